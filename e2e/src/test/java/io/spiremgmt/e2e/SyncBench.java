package io.spiremgmt.e2e;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.sync.EntryTranslator;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The sync benchmark ({@code bench/sync.sh}): three real SPIRE servers of one trust domain, the
 * packaged backend and three agents. Prints (1) the latency from CreateEntry returning to SYNCED at
 * all three sites, seen through StreamSyncUpdates, and (2) the bulk rate of syncing entries created
 * centrally against raw BatchCreateEntry of the same entries into the same SPIRE servers.
 */
public final class SyncBench {
  private static final String TD = "bench.test";
  private static final List<String> SITES = List.of("a", "b", "c");
  private static final int NAMESPACES = 1000;

  private SyncBench() {}

  public static void main(String[] args) throws Exception {
    int latencyN = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int bulkN = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    String datastore = System.getProperty("bench.spire-datastore", "postgres");
    double rate = Double.parseDouble(System.getProperty("bench.latency-rate", "0"));
    if (!datastore.equals("postgres") && !datastore.equals("sqlite")) {
      throw new IllegalArgumentException("SPIRE_DATASTORE must be postgres or sqlite");
    }
    System.setProperty("e2e.jvm.xmx", "1g");
    // SPIRE on PostgreSQL by default, as in production: its sqlite datastore slows down as it fills
    // (about 10 creates/s per server beyond 30,000 entries on 2 cores), which a 100,000-entry run
    // cannot wait for.
    System.out.printf("SPIRE datastore: %s%n", datastore);
    try (Cluster cluster =
        Cluster.start(Map.of("a", TD, "b", TD, "c", TD), datastore.equals("postgres"))) {
      Converge data = new Converge(cluster);
      Map<String, String> agentSettings =
          Map.of(
              "agent.spire.batch-size", String.valueOf(batch),
              "agent.full-reconcile-interval", "1h",
              "agent.poll-wait", "30s",
              "quarkus.log.category.\"io.spiremgmt.agent.run\".level", "DEBUG");
      for (String s : SITES) {
        cluster.startAgent(s, "bench-" + s, agentSettings);
      }
      latency(cluster, data, latencyN, rate);

      cluster.stopAgents();
      if (bulkN > 0) {
        bulk(cluster, data, bulkN, batch, agentSettings, latencyN);
      }
    }
    System.exit(0);
  }

  /**
   * Latency over {@code n} entries from 4 clients, paced at {@code rate} entries/s (0: not). Each
   * entry gives one sample, computed once both ends are known: from its CreateEntry returning to
   * the update that completed its set of SYNCED sites. A sample is what was measured: an entry
   * SYNCED everywhere before its create's response arrived gives a negative sample, counted in the
   * output, not 0.
   */
  private static void latency(Cluster cluster, Converge data, int n, double rate) throws Exception {
    Map<String, Long> returnedAt = new ConcurrentHashMap<>();
    Map<String, Set<String>> syncedSites = new ConcurrentHashMap<>();
    Map<String, Long> syncedEverywhereAt = new ConcurrentHashMap<>();
    // How long each (entry, site)'s SYNCED change took from its write (change_time, just before its
    // commit) to this client: the stream's share. The first SYNCED of a pair only.
    Map<String, Double> delivery = new ConcurrentHashMap<>();
    AtomicReference<Throwable> streamError = new AtomicReference<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(
        () ->
            cluster
                .syncAsync(0)
                .streamSyncUpdates(
                    StreamSyncUpdatesRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(SyncUpdate u) {
                        long now = System.nanoTime();
                        if (u.getSyncState() != SyncState.SYNC_STATE_SYNCED) {
                          return;
                        }
                        Timestamp at = u.getChangeTime();
                        delivery.putIfAbsent(
                            u.getEntryId() + "/" + u.getSiteId(),
                            (System.currentTimeMillis() * 1e6
                                    - (at.getSeconds() * 1e9 + at.getNanos()))
                                / 1e6);
                        Set<String> sites =
                            syncedSites.computeIfAbsent(
                                u.getEntryId(), id -> ConcurrentHashMap.newKeySet());
                        sites.add(u.getSiteId());
                        if (sites.size() == SITES.size()) {
                          syncedEverywhereAt.putIfAbsent(u.getEntryId(), now);
                        }
                      }

                      @Override
                      public void onError(Throwable t) {
                        if (!ctx.isCancelled()) {
                          streamError.set(t);
                          System.err.println("stream failed: " + t);
                        }
                      }

                      @Override
                      public void onCompleted() {}
                    }));
    await("the stream open on the backend")
        .atMost(Duration.ofSeconds(30))
        .until(() -> cluster.backend(0).metric("sync_update_streams") == 1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> clients = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < 4; c++) {
      clients.add(
          pool.submit(
              () -> {
                int k;
                while ((k = next.getAndIncrement()) < n) {
                  if (rate > 0) {
                    // Pacing, not waiting for a condition.
                    long due = start + (long) (k * 1e9 / rate) - System.nanoTime();
                    if (due > 0) {
                      Thread.sleep(due / 1_000_000, (int) (due % 1_000_000));
                    }
                  }
                  Entry e =
                      data.create(data.entryIn(TD, "/latency/e", namespace(k), "a", "b", "c"));
                  returnedAt.put(e.getId(), System.nanoTime());
                }
                return null;
              }));
    }
    for (Future<?> f : clients) {
      f.get();
    }
    pool.shutdown();
    try {
      await("every entry SYNCED at all sites")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  streamError.get() != null
                      || syncedEverywhereAt.keySet().containsAll(returnedAt.keySet()));
    } catch (ConditionTimeoutException e) {
      System.err.println(
          "not every entry was SYNCED at all sites within 120 s: reporting those that were");
    }
    ctx.cancel(null);
    double[] sorted =
        returnedAt.entrySet().stream()
            .filter(e -> syncedEverywhereAt.containsKey(e.getKey()))
            .mapToDouble(e -> (syncedEverywhereAt.get(e.getKey()) - e.getValue()) / 1e6)
            .sorted()
            .toArray();
    long beforeReturn = Arrays.stream(sorted).filter(ms -> ms < 0).count();
    System.out.printf(
        "== latency: CreateEntry returned -> SYNCED at all %d sites (4 concurrent clients, %s, %.0f"
            + " s) ==%n",
        SITES.size(),
        rate > 0 ? "paced at " + rate + " entries/s" : "unpaced",
        (System.nanoTime() - start) / 1e9);
    System.out.printf(
        "entries=%d measured=%d p50=%.1f ms p99=%.1f ms max=%.1f ms"
            + " (SYNCED before the create returned: %d)%n",
        n,
        sorted.length,
        pct(sorted, 50),
        pct(sorted, 99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1],
        beforeReturn);
    double[] stream =
        delivery.values().stream().mapToDouble(Double::doubleValue).sorted().toArray();
    System.out.printf(
        "of which written -> stream client (per site): p50=%.1f ms p99=%.1f ms%n",
        pct(stream, 50), pct(stream, 99));
  }

  private static void bulk(
      Cluster cluster,
      Converge data,
      int n,
      int batch,
      Map<String, String> agentSettings,
      int already)
      throws Exception {
    // Central creation (agents stopped), in batches of 500 from 4 clients.
    List<Entry.Builder> specs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      specs.add(data.entryIn(TD, "/bulk/e", namespace(i), "a", "b", "c"));
    }
    List<Entry> created = Collections.synchronizedList(new ArrayList<>(n));
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> calls = new ArrayList<>();
    for (int from = 0; from < n; from += 500) {
      List<Entry.Builder> chunk = specs.subList(from, Math.min(n, from + 500));
      calls.add(
          pool.submit(
              () -> {
                BatchCreateEntriesRequest.Builder b = BatchCreateEntriesRequest.newBuilder();
                chunk.forEach(e -> b.addRequests(CreateEntryRequest.newBuilder().setEntry(e)));
                cluster
                    .entries(0)
                    .batchCreateEntries(b.build())
                    .getResultsList()
                    .forEach(r -> created.add(r.getEntry()));
                return null;
              }));
    }
    for (Future<?> f : calls) {
      f.get();
    }
    pool.shutdown();
    double centralSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("== bulk: %d entries x %d sites ==%n", n, SITES.size());
    System.out.printf(
        "central BatchCreateEntries     %d entries in %.1f s = %.0f entries/s%n",
        created.size(), centralSeconds, created.size() / centralSeconds);

    // Raw: the same entries straight into the three SPIRE servers, concurrently.
    // The same fields the agent writes, under another id prefix.
    EntryTranslator raw = new EntryTranslator("raw");
    List<SpireEntry> rawEntries = created.stream().map(raw::toSpire).toList();
    double rawSeconds = rawCreate(cluster, rawEntries, batch);
    double rawRate = SITES.size() * (double) rawEntries.size() / rawSeconds;
    System.out.printf(
        "raw SPIRE BatchCreateEntry     %d entries in %.1f s = %.0f entries/s (batch %d)%n",
        SITES.size() * rawEntries.size(), rawSeconds, rawRate, batch);
    List<String> rawIds = rawEntries.stream().map(SpireEntry::id).toList();
    onEverySite(
        s -> {
          try (SpireEntryClient c =
              SpireEntryClient.overUnixSocket(cluster.spire(s).socket(), 1000, batch, 120)) {
            c.delete(rawIds);
          }
        });
    // The agents start on SPIRE databases as clean as the raw phase had them.
    cluster.vacuumSpire();

    // Through the system: agents start, reconcile and report until every pair is SYNCED.
    long total = SITES.size() * (long) (n + already);
    long s0 = System.nanoTime();
    for (String s : SITES) {
      cluster.startAgent(s, "bulk-" + s, agentSettings);
    }
    await("every pair SYNCED")
        .atMost(Duration.ofHours(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.overallSync().getSynced() >= total);
    double syncSeconds = (System.nanoTime() - s0) / 1e9;
    double syncRate = SITES.size() * (double) n / syncSeconds;
    System.out.printf(
        "agents: start -> all SYNCED    %d entries in %.1f s = %.0f entries/s (incl. agent start)%n",
        SITES.size() * n, syncSeconds, syncRate);
    System.out.printf("ratio sync/raw                 %.2f (target >= 0.8)%n", syncRate / rawRate);
  }

  private static double rawCreate(Cluster cluster, List<SpireEntry> entries, int batch)
      throws Exception {
    long t0 = System.nanoTime();
    onEverySite(
        s -> {
          try (SpireEntryClient c =
              SpireEntryClient.overUnixSocket(cluster.spire(s).socket(), 1000, batch, 120)) {
            long failed = c.create(entries).stream().filter(r -> !r.ok()).count();
            if (failed > 0) {
              throw new IllegalStateException(failed + " raw creates failed at " + s);
            }
          }
        });
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Runs {@code work} for every site at once and waits for all of them. */
  private static void onEverySite(Consumer<String> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(SITES.size());
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (String s : SITES) {
        runs.add(pool.submit(() -> work.accept(s)));
      }
      for (Future<?> f : runs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /**
   * The namespace of the i-th entry: a fleet of {@value #NAMESPACES} namespaces. SPIRE checks every
   * create for a "similar" entry by intersecting the entries of each selector, so a create costs
   * time in proportion to the entries sharing its namespace selector: 100,000 entries in one
   * namespace would measure that scan (quadratic in total) rather than a realistic fleet.
   */
  private static String namespace(int i) {
    return "ns-" + (i % NAMESPACES);
  }

  private static double pct(double[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
