package io.spiremgmt.bench;

import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.BatchCreateEntryResult;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The central write path under load, over real gRPC: CreateEntry from concurrent clients and
 * BatchCreateEntries of 500. Each phase prints its latencies, its rate, the load average, and the
 * SQL it cost as counted by PostgreSQL ({@code pg_stat_statements}: statements and transactions per
 * created entry, and the most frequent statements), which does not depend on the machine's load.
 */
final class WriteBench {
  private static final String TD = "bench.example.org";
  private static final int BATCH = 500;

  private WriteBench() {}

  /** {@code n} CreateEntry calls from {@code clients} concurrent clients, one site each. */
  static void measureCreates(
      WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub api,
      EmbeddedDatabase db,
      Cpu cpu,
      List<String> sites,
      int n,
      int clients)
      throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    measure(
        String.format(Locale.ROOT, "CreateEntry, %d entries, %d concurrent clients", n, clients),
        "create",
        n,
        1,
        clients,
        db,
        cpu,
        i -> {
          long t0 = System.nanoTime();
          api.withDeadlineAfter(30, TimeUnit.SECONDS)
              .createEntry(CreateEntryRequest.newBuilder().setEntry(entry(run, i, sites)).build());
          return System.nanoTime() - t0;
        });
  }

  /**
   * {@code batches} BatchCreateEntries calls of 500 entries from {@code clients} concurrent
   * clients; every item must succeed.
   */
  static void measureBatchCreates(
      WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub api,
      EmbeddedDatabase db,
      Cpu cpu,
      List<String> sites,
      int batches,
      int clients)
      throws Exception {
    String run = "b" + Long.toString(System.currentTimeMillis(), 36);
    measure(
        String.format(
            Locale.ROOT,
            "BatchCreateEntries, %d batches of %d, %d concurrent clients",
            batches,
            BATCH,
            clients),
        "batch create",
        batches,
        BATCH,
        clients,
        db,
        cpu,
        b -> {
          BatchCreateEntriesRequest.Builder request = BatchCreateEntriesRequest.newBuilder();
          for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
            request.addRequests(CreateEntryRequest.newBuilder().setEntry(entry(run, i, sites)));
          }
          long t0 = System.nanoTime();
          BatchCreateEntriesResponse response =
              api.withDeadlineAfter(120, TimeUnit.SECONDS).batchCreateEntries(request.build());
          long took = System.nanoTime() - t0;
          for (BatchCreateEntryResult r : response.getResultsList()) {
            if (r.getStatus().getCode() != 0) {
              throw new IllegalStateException("a batch item failed: " + r.getStatus());
            }
          }
          return took;
        });
  }

  /**
   * Runs {@code calls} timed calls of {@code entriesPerCall} entries each on {@code clients}
   * threads and prints one block: latencies, entries per second, CPU and SQL per entry. A fifth as
   * many calls (at least one) run first, untimed, so the JIT has compiled the path.
   */
  private static void measure(
      String heading,
      String label,
      int calls,
      int entriesPerCall,
      int clients,
      EmbeddedDatabase db,
      Cpu cpu,
      TimedCall call)
      throws Exception {
    int warmup = Math.max(1, calls / 5);
    concurrently(warmup, clients, i -> call.call(calls + i));
    SqlCount sqlBefore = SqlCount.take(db);
    Cpu.Used cpuBefore = cpu.used();
    long start = System.nanoTime();
    List<Long> nanos = concurrently(calls, clients, call);
    double seconds = (System.nanoTime() - start) / 1e9;
    Cpu.Used cpuAfter = cpu.used();
    SqlCount sqlAfter = SqlCount.take(db);
    int entries = calls * entriesPerCall;
    System.out.printf(
        Locale.ROOT, "%n== %s (load average %s) ==%n", heading, BenchSupport.loadAverage());
    BenchSupport.report(label, nanos, entries);
    System.out.printf(
        Locale.ROOT, "%-34s %.0f entries/s%n", label + " throughput", entries / seconds);
    cpuAfter.minus(cpuBefore).print(entries);
    sqlAfter.minus(sqlBefore).print(entries);
  }

  /**
   * The CPU time the backend process and the PostgreSQL server (the postmaster and its live
   * children: the pooled connections' backends) have used: unlike a rate, it hardly depends on how
   * busy the machine is.
   */
  record Cpu(ProcessHandle backend, Path pgData) {
    record Used(double backendSeconds, double postgresSeconds) {
      Used minus(Used earlier) {
        return new Used(
            backendSeconds - earlier.backendSeconds, postgresSeconds - earlier.postgresSeconds);
      }

      void print(int entries) {
        System.out.printf(
            Locale.ROOT,
            "%-34s backend %.2f ms/entry, PostgreSQL %.2f ms/entry%n",
            "CPU time",
            backendSeconds * 1e3 / entries,
            postgresSeconds * 1e3 / entries);
      }
    }

    Used used() throws IOException {
      long postmaster =
          Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).trim());
      double pg =
          ProcessHandle.of(postmaster)
              .map(p -> seconds(p) + p.descendants().mapToDouble(Cpu::seconds).sum())
              .orElse(0.0);
      return new Used(seconds(backend), pg);
    }

    private static double seconds(ProcessHandle p) {
      return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }
  }

  private static Entry entry(String run, int i, List<String> sites) {
    return Entry.newBuilder()
        .setSpiffeId("spiffe://" + TD + "/created/" + run + "/" + i)
        .setParentId("spiffe://" + TD + "/spire/agent/k8s_psat/node-1")
        .addSelectors(Selector.newBuilder().setType("k8s:ns").setValue("created"))
        .addSelectors(Selector.newBuilder().setType("k8s:sa").setValue(run + "-" + i))
        .addSiteIds(sites.get(i % sites.size()))
        .build();
  }

  /** A timed call for item {@code i}: returns its latency in nanoseconds. */
  private interface TimedCall {
    long call(int i) throws Exception;
  }

  /** Runs items 0..n-1 on {@code clients} threads; their latencies. */
  private static List<Long> concurrently(int n, int clients, TimedCall call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Long> nanos = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < clients; w++) {
      workers.add(
          pool.submit(
              () -> {
                int i;
                while ((i = next.getAndIncrement()) < n) {
                  nanos.add(call.call(i));
                }
                return null;
              }));
    }
    try {
      for (Future<?> w : workers) {
        w.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return nanos;
  }

  /**
   * What PostgreSQL has counted so far in the bench database: calls per statement ({@code
   * pg_stat_statements}, every role, utility statements such as BEGIN and COMMIT included) and
   * committed transactions. The bench's own counting queries are left out.
   */
  private record SqlCount(Map<String, Long> calls, long commits) {
    static SqlCount take(EmbeddedDatabase db) throws SQLException {
      Map<String, Long> calls = new HashMap<>();
      try (Connection c = BenchSupport.connect(db);
          Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        try (ResultSet rs =
            s.executeQuery(
                "SELECT query, sum(calls) FROM pg_stat_statements"
                    + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    + " AND query NOT LIKE '%pg_stat%' AND query NOT LIKE '%pg_extension%'"
                    + " GROUP BY query")) {
          while (rs.next()) {
            calls.merge(rs.getString(1), rs.getLong(2), Long::sum);
          }
        }
        try (ResultSet rs =
            s.executeQuery(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
          rs.next();
          return new SqlCount(calls, rs.getLong(1));
        }
      }
    }

    SqlCount minus(SqlCount earlier) {
      Map<String, Long> delta = new HashMap<>();
      calls.forEach(
          (q, n) -> {
            long d = n - earlier.calls.getOrDefault(q, 0L);
            if (d > 0) {
              delta.put(q, d);
            }
          });
      return new SqlCount(delta, commits - earlier.commits);
    }

    /**
     * Prints statements and transactions per entry over {@code entries} created entries, and the
     * statements run most often (background duties of the backend included: a few per second).
     */
    void print(int entries) {
      long statements = calls.values().stream().mapToLong(Long::longValue).sum();
      System.out.printf(
          Locale.ROOT,
          "%-34s %.2f statements/entry, %.3f commits/entry (%d statements, %d commits)%n",
          "SQL (pg_stat_statements)",
          (double) statements / entries,
          (double) commits / entries,
          statements,
          commits);
      calls.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(12)
          .forEach(
              e ->
                  System.out.printf(
                      Locale.ROOT,
                      "  %8.3f/entry  %s%n",
                      (double) e.getValue() / entries,
                      abbreviate(e.getKey())));
    }

    private static String abbreviate(String query) {
      String oneLine = query.replaceAll("\\s+", " ").trim();
      return oneLine.length() <= 110 ? oneLine : oneLine.substring(0, 107) + "...";
    }
  }
}
