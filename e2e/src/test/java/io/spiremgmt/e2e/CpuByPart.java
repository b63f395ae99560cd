package io.spiremgmt.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The CPU time (user + system, from {@code /proc/<pid>/stat}) the parts of a cluster have used so
 * far: the backend, its PostgreSQL, the site agents, the SPIRE servers and their PostgreSQL, told
 * apart by command line (the packaged jars the bench starts, {@code spire-server}, {@code
 * postgres}; SPIRE's PostgreSQL server by its port). Every such process on the machine counts, so
 * nothing else of the kind may run beside the bench. Time of processes that have ended (a closed
 * connection's backend) is not counted, so a figure is a lower bound; CPU time hardly depends on
 * how busy the machine is, unlike a latency.
 */
final class CpuByPart {
  static final String BACKEND = "backend";
  static final String BACKEND_DB = "backend's PostgreSQL";
  static final String AGENTS = "site agents";
  static final String SPIRE = "SPIRE servers";
  static final String SPIRE_DB = "SPIRE's PostgreSQL";
  private static final List<String> PARTS = List.of(BACKEND, BACKEND_DB, AGENTS, SPIRE, SPIRE_DB);
  private static final double TICKS_PER_SECOND = 100;

  private CpuByPart() {}

  /**
   * Seconds of CPU by part, now; {@code spireDbPort} is the port of SPIRE's PostgreSQL server (0:
   * none), whose postmaster's command line names it.
   */
  static Map<String, Double> now(int spireDbPort) {
    // PostgreSQL's pg_ctl detaches the server from this JVM, so every process is looked at.
    Map<Long, Proc> procs = new HashMap<>();
    ProcessHandle.allProcesses()
        .forEach(
            p -> {
              Proc proc = Proc.read(p.pid());
              if (proc != null) {
                procs.put(p.pid(), proc);
              }
            });
    // Each PostgreSQL process's postmaster, and which postmasters serve SPIRE's databases.
    Map<Long, Long> postmasterOf = new HashMap<>();
    Map<Long, Boolean> servesSpire = new HashMap<>();
    for (Map.Entry<Long, Proc> e : procs.entrySet()) {
      if (!e.getValue().postgres()) {
        continue;
      }
      Proc parent = procs.get(e.getValue().parent());
      long postmaster = parent != null && parent.postgres() ? e.getValue().parent() : e.getKey();
      postmasterOf.put(e.getKey(), postmaster);
      if (postmaster == e.getKey()
          && spireDbPort > 0
          && (e.getValue().cmdline() + " ").contains(" -p " + spireDbPort + " ")) {
        servesSpire.put(postmaster, true);
      }
    }
    Map<String, Double> seconds = new TreeMap<>();
    PARTS.forEach(part -> seconds.put(part, 0.0));
    for (Map.Entry<Long, Proc> e : procs.entrySet()) {
      Proc p = e.getValue();
      String part;
      if (p.postgres()) {
        part =
            servesSpire.getOrDefault(postmasterOf.get(e.getKey()), false) ? SPIRE_DB : BACKEND_DB;
      } else if (p.cmdline().contains(System.getProperty("e2e.backend.jar", "\0"))) {
        part = BACKEND;
      } else if (p.cmdline().contains(System.getProperty("e2e.agent.jar", "\0"))) {
        part = AGENTS;
      } else if (p.cmdline().contains("spire-server")) {
        part = SPIRE;
      } else {
        continue;
      }
      seconds.merge(part, p.cpuSeconds(), Double::sum);
    }
    return seconds;
  }

  /** Prints the CPU each part used between {@code before} and {@code after}, per entry. */
  static void print(String what, Map<String, Double> before, Map<String, Double> after, int n) {
    List<String> cells = new ArrayList<>();
    double total = 0;
    for (String part : PARTS) {
      double ms = (after.get(part) - before.get(part)) * 1e3 / n;
      total += ms;
      if (ms > 0) {
        cells.add(String.format(Locale.ROOT, "%s %.2f", part, ms));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "    CPU per entry, %s: %.2f ms (%s)%n",
        what,
        total,
        String.join(", ", cells));
  }

  /** One process: its parent, its command line (arguments joined by spaces) and CPU seconds. */
  private record Proc(long parent, String cmdline, double cpuSeconds) {
    boolean postgres() {
      return cmdline.startsWith("postgres") || cmdline.contains("/bin/postgres");
    }

    static Proc read(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long parent = Long.parseLong(f[1]);
        double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        String cmdline =
            new String(
                    Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8)
                .replace('\0', ' ')
                .trim();
        return new Proc(parent, cmdline, cpu);
      } catch (IOException | RuntimeException e) {
        // It ended while being read.
        return null;
      }
    }
  }
}
