package io.spiremgmt.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The footprint benchmark ({@code bench/footprint.sh}): the packaged backend on an embedded
 * PostgreSQL (not counted), one site with a real SPIRE server and its agent, both JVMs started with
 * the options given in {@code e2e.jvm.opts.backend} and {@code e2e.jvm.opts.agent} (the script
 * passes what the container images run with). Prints the backend's start time (Quarkus' own
 * "started in" and launch-to-ready, first start with the migrations and restarts on a migrated
 * database), then the resident memory (VmRSS, and the peak VmHWM) of both processes idle and while
 * 16 clients create entries that the agent writes to SPIRE.
 */
public final class FootprintBench {
  private static final String TD = "footprint.test";
  private static final Pattern STARTED = Pattern.compile("started in ([0-9.]+)s");

  private FootprintBench() {}

  public static void main(String[] args) throws Exception {
    int restarts = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int loadSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    System.out.printf(
        "backend JVM: %s%nagent JVM:   %s%n",
        System.getProperty("e2e.jvm.opts.backend", "(test defaults)"),
        System.getProperty("e2e.jvm.opts.agent", "(test defaults)"));
    try (Cluster cluster = Cluster.start(Map.of("a", TD))) {
      JavaProcess backend = cluster.backend(0);
      System.out.println("== backend start (the embedded PostgreSQL is already running) ==");
      startTimes(backend, restarts);

      JavaProcess agent = cluster.startAgent("a", "footprint-a", Map.of());
      Converge data = new Converge(cluster);
      data.held("a", data.create(data.entry(TD, "/footprint/first", "a")));

      System.out.printf("== idle, %d s after the agent's first sync ==%n", idleSeconds);
      // Idling is what is measured here: a wait for the clock, not for a condition.
      Thread.sleep(idleSeconds * 1000L);
      memory("backend", backend);
      memory("agent", agent);

      System.out.printf(
          "== under writes: %d clients creating entries for %d s, the agent syncing them ==%n",
          clients, loadSeconds);
      load(cluster, data, backend, agent, clients, loadSeconds);
    }
    System.exit(0);
  }

  /**
   * The first start's time (already done by the cluster: it ran the migrations) and {@code
   * restarts} more, each after a graceful stop.
   */
  private static void startTimes(JavaProcess backend, int restarts) throws Exception {
    List<Double> quarkus = new ArrayList<>();
    List<Double> ready = new ArrayList<>();
    System.out.printf(
        Locale.ROOT, "first start (migrations included): Quarkus %.3f s%n", lastStarted(backend));
    for (int i = 0; i < restarts; i++) {
      backend.close();
      long mark = backend.logMark();
      long t0 = System.nanoTime();
      backend.restart();
      ready.add((System.nanoTime() - t0) / 1e9);
      quarkus.add(startedSince(backend, mark));
    }
    if (restarts > 0) {
      System.out.printf(
          Locale.ROOT,
          "restarts=%d Quarkus 'started in': median %.3f s max %.3f s;"
              + " launch to /q/health/ready: median %.3f s max %.3f s%n",
          restarts,
          median(quarkus),
          quarkus.stream().mapToDouble(Double::doubleValue).max().orElse(0),
          median(ready),
          ready.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }
  }

  private static double lastStarted(JavaProcess p) throws IOException {
    return startedSince(p, 0);
  }

  private static double startedSince(JavaProcess p, long mark) throws IOException {
    Matcher m = STARTED.matcher(p.loggedSince(mark));
    double last = Double.NaN;
    while (m.find()) {
      last = Double.parseDouble(m.group(1));
    }
    if (Double.isNaN(last)) {
      throw new IllegalStateException("no 'started in' line in the backend's log");
    }
    return last;
  }

  private static void load(
      Cluster cluster,
      Converge data,
      JavaProcess backend,
      JavaProcess agent,
      int clients,
      int seconds)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger created = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> futures = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      futures.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  data.create(data.entryIn(TD, "/footprint/load", "ns-" + client, "a"));
                  created.incrementAndGet();
                }
                return null;
              }));
    }
    long[] backendMax = {0};
    long[] agentMax = {0};
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long start = System.nanoTime();
    while (System.nanoTime() < end) {
      backendMax[0] = Math.max(backendMax[0], rssKb(backend));
      agentMax[0] = Math.max(agentMax[0], rssKb(agent));
      // Sampling memory four times a second while the clients run.
      Thread.sleep(250);
    }
    running.set(false);
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT, "created=%d (%.0f entries/s)%n", created.get(), created.get() / elapsed);
    System.out.printf(
        Locale.ROOT, "backend RSS max while writing: %.0f MB%n", backendMax[0] / 1024.0);
    System.out.printf(Locale.ROOT, "agent RSS max while syncing: %.0f MB%n", agentMax[0] / 1024.0);
    await("the agent caught up")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> cluster.overallSync().getPending() == 0);
    memory("backend after the writes", backend);
    memory("agent after the sync", agent);
  }

  private static void memory(String name, JavaProcess p) throws IOException {
    System.out.printf(
        Locale.ROOT,
        "%-26s RSS %.0f MB (peak since start %.0f MB)%n",
        name,
        rssKb(p) / 1024.0,
        status(p, "VmHWM:") / 1024.0);
  }

  private static long rssKb(JavaProcess p) throws IOException {
    return status(p, "VmRSS:");
  }

  /** A {@code kB} line of {@code /proc/<pid>/status}. */
  private static long status(JavaProcess p, String key) throws IOException {
    return Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status")).stream()
        .filter(line -> line.startsWith(key))
        .map(line -> line.substring(key.length()).trim().split("\\s+")[0])
        .mapToLong(Long::parseLong)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + key + " for " + p.pid()));
  }

  private static double median(List<Double> xs) {
    double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
  }
}
