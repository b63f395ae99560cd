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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The sync benchmark ({@code bench/sync.sh}): three real SPIRE servers of one trust domain, the
 * packaged backend and three agents. Prints (1) the latency of creating an entry centrally up to
 * SYNCED at all three sites, seen through StreamSyncUpdates, beside the parts no system can avoid
 * (the create call, SPIRE's own write), (2) optionally the saturation rates of the system and of
 * raw SPIRE writes, and (3) the bulk rate of syncing entries created centrally against raw
 * BatchCreateEntry of the same entries into the same SPIRE servers.
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
    List<Double> rates = rates(System.getProperty("bench.latency-rates", "10,50"));
    List<Double> saturationRates = rates(System.getProperty("bench.saturation-rates", ""));
    if (!datastore.equals("postgres") && !datastore.equals("sqlite")) {
      throw new IllegalArgumentException("SPIRE_DATASTORE must be postgres or sqlite");
    }
    System.setProperty("e2e.jvm.xmx", "1g");
    // SPIRE on PostgreSQL by default, as in production: its sqlite datastore slows down as it fills
    // (about 10 creates/s per server beyond 30,000 entries on 2 cores), which a 100,000-entry run
    // cannot wait for.
    System.out.printf("SPIRE datastore: %s%n", datastore);
    System.out.printf(
        "backend JVM: %s%nagent JVM:   %s%n",
        System.getProperty("e2e.jvm.opts.backend", "(test defaults)"),
        System.getProperty("e2e.jvm.opts.agent", "(test defaults)"));
    try (Cluster cluster =
        Cluster.start(
            Map.of("a", TD, "b", TD, "c", TD),
            datastore.equals("postgres"),
            // The production lease, not the tests' 3 s: the lease bounds each SPIRE write's
            // deadline (a third of it), which a loaded machine's large batches need.
            Map.of("spire-mgmt.sync.lease-ttl", "15s"))) {
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
      int measured;
      try (SyncedEverywhere synced = new SyncedEverywhere(cluster)) {
        if (latencyN > 0) {
          latency(cluster, data, synced, latencyN, rates);
        }
        if (!saturationRates.isEmpty()) {
          saturation(cluster, data, synced, saturationRates);
        }
        measured = synced.at.size();
      }

      cluster.stopAgents();
      if (bulkN > 0) {
        bulk(cluster, data, bulkN, batch, agentSettings, measured);
      }
    }
    System.exit(0);
  }

  /**
   * Target 1 of the speed issue: at each paced rate, side by side, (a) CreateEntry alone, (b) a raw
   * SPIRE BatchCreateEntry of one entry at each site (the slowest site's time per entry), and (c)
   * the whole way from calling CreateEntry to SYNCED at all three sites; the overhead is (c) − (a)
   * − (b), percentile by percentile. Untimed warm-up runs of both paths go first, so the JIT and
   * the connection pools are warm.
   */
  private static void latency(
      Cluster cluster, Converge data, SyncedEverywhere synced, int n, List<Double> rates)
      throws Exception {
    int warmUp = Integer.getInteger("bench.warm-up", 2000);
    System.out.printf(
        "warm-up: %d entries through the system and %d raw, untimed%n", warmUp, warmUp);
    throughSystem(cluster, data, synced, warmUp, 0, 4);
    raw(cluster, data, warmUp, 0, 4);
    for (double rate : rates) {
      Map<String, Double> cpu0 = CpuByPart.now(cluster.spireDbPort());
      Run system = throughSystem(cluster, data, synced, n, rate, 4);
      Map<String, Double> cpu1 = CpuByPart.now(cluster.spireDbPort());
      double[] b = raw(cluster, data, n, rate, 4);
      Map<String, Double> cpu2 = CpuByPart.now(cluster.spireDbPort());
      double[] a = system.createCall();
      double[] c = system.createToSynced();
      System.out.printf(
          "== latency, %s, %d entries, 4 clients ==%n",
          rate > 0 ? "paced at " + fmt(rate) + " creates/s" : "unpaced", n);
      row("(a) CreateEntry", a);
      row("(b) raw SPIRE BatchCreateEntry of 1, slowest of 3 sites", b);
      row("(c) CreateEntry called -> SYNCED at all 3 sites", c);
      System.out.printf(
          "%-58s p50=%6.1f ms  p99=%6.1f ms  (target <= 20 / 50 ms)%n",
          "overhead (c) - (a) - (b)",
          pct(c, 50) - pct(a, 50) - pct(b, 50),
          pct(c, 99) - pct(a, 99) - pct(b, 99));
      row("    CreateEntry returned -> SYNCED at all 3 sites", system.returnedToSynced());
      row("    written -> stream client (per site)", system.delivery());
      CpuByPart.print("(c) through the system", cpu0, cpu1, n);
      CpuByPart.print("(b) raw", cpu1, cpu2, n);
      if (system.missing() > 0) {
        System.out.printf("    %d entries not SYNCED everywhere within 120 s%n", system.missing());
      }
    }
  }

  /**
   * Target 2 of the speed issue: at each paced rate (16 clients, 10 s), the p99 of (c) through the
   * system and of (b) raw into the three SPIRE servers; the highest rate each keeps under 500 ms.
   */
  private static void saturation(
      Cluster cluster, Converge data, SyncedEverywhere synced, List<Double> rates)
      throws Exception {
    System.out.println("== saturation: p99 at paced rates, 16 clients, 10 s each ==");
    System.out.printf("%10s %22s %22s%n", "creates/s", "(c) system p99 (ms)", "(b) raw p99 (ms)");
    double systemBest = 0;
    double rawBest = 0;
    for (double rate : rates) {
      int n = (int) (rate * 10);
      Run system = throughSystem(cluster, data, synced, n, rate, 16);
      double[] c = system.createToSynced();
      double[] b = raw(cluster, data, n, rate, 16);
      double c99 = system.missing() > 0 ? Double.POSITIVE_INFINITY : pct(c, 99);
      double b99 = pct(b, 99);
      System.out.printf("%10s %22.1f %22.1f%n", fmt(rate), c99, b99);
      if (c99 < 500) {
        systemBest = Math.max(systemBest, rate);
      }
      if (b99 < 500) {
        rawBest = Math.max(rawBest, rate);
      }
    }
    System.out.printf(
        "highest rate with p99 < 500 ms: system %s/s, raw %s/s, ratio %.2f (target >= 0.8;"
            + " a rate at the top of the list means the limit lies beyond it)%n",
        fmt(systemBest), fmt(rawBest), rawBest == 0 ? 0 : systemBest / rawBest);
  }

  /**
   * Which entries have been SYNCED at all three sites and when, from one StreamSyncUpdates
   * subscription held for the whole run; and how long each (entry, site)'s first SYNCED change took
   * from its write (change_time, just before its commit) to this client.
   */
  private static final class SyncedEverywhere implements AutoCloseable {
    final Map<String, Set<String>> syncedSites = new ConcurrentHashMap<>();
    final Map<String, Long> at = new ConcurrentHashMap<>();
    final Map<String, Double> delivery = new ConcurrentHashMap<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    private final Context.CancellableContext ctx = Context.current().withCancellation();

    SyncedEverywhere(Cluster cluster) throws Exception {
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
                          Timestamp t = u.getChangeTime();
                          delivery.putIfAbsent(
                              u.getEntryId() + "/" + u.getSiteId(),
                              (System.currentTimeMillis() * 1e6
                                      - (t.getSeconds() * 1e9 + t.getNanos()))
                                  / 1e6);
                          Set<String> sites =
                              syncedSites.computeIfAbsent(
                                  u.getEntryId(), id -> ConcurrentHashMap.newKeySet());
                          sites.add(u.getSiteId());
                          if (sites.size() == SITES.size()) {
                            at.putIfAbsent(u.getEntryId(), now);
                          }
                        }

                        @Override
                        public void onError(Throwable t) {
                          if (!ctx.isCancelled()) {
                            error.set(t);
                            System.err.println("stream failed: " + t);
                          }
                        }

                        @Override
                        public void onCompleted() {}
                      }));
      await("the stream open on the backend")
          .atMost(Duration.ofSeconds(30))
          .until(() -> cluster.backend(0).metric("sync_update_streams") == 1);
    }

    @Override
    public void close() {
      ctx.cancel(null);
    }
  }

  /**
   * The figures of one run through the system, per entry: when its CreateEntry was called and
   * returned (nanoTime), and the stream's view.
   */
  private record Run(
      Map<String, Long> calledAt, Map<String, Long> returnedAt, SyncedEverywhere synced) {
    double[] createCall() {
      return sorted(returnedAt.keySet().stream(), id -> returnedAt.get(id) - calledAt.get(id));
    }

    double[] createToSynced() {
      return sorted(measured(), id -> synced.at.get(id) - calledAt.get(id));
    }

    double[] returnedToSynced() {
      return sorted(measured(), id -> synced.at.get(id) - returnedAt.get(id));
    }

    double[] delivery() {
      return synced.delivery.entrySet().stream()
          .filter(e -> returnedAt.containsKey(e.getKey().substring(0, e.getKey().indexOf('/'))))
          .mapToDouble(Map.Entry::getValue)
          .sorted()
          .toArray();
    }

    long missing() {
      return returnedAt.size() - measured().count();
    }

    private Stream<String> measured() {
      return returnedAt.keySet().stream().filter(synced.at::containsKey);
    }

    private static double[] sorted(Stream<String> ids, ToLongFunction<String> nanos) {
      return ids.mapToDouble(id -> nanos.applyAsLong(id) / 1e6).sorted().toArray();
    }
  }

  /**
   * Creates {@code n} entries for all three sites from {@code clients} clients, paced at {@code
   * rate} entries/s (0: not), and waits (up to 120 s) until the stream has seen each SYNCED at all
   * three.
   */
  private static Run throughSystem(
      Cluster cluster, Converge data, SyncedEverywhere synced, int n, double rate, int clients)
      throws Exception {
    Map<String, Long> calledAt = new ConcurrentHashMap<>();
    Map<String, Long> returnedAt = new ConcurrentHashMap<>();
    paced(
        n,
        rate,
        clients,
        k -> {
          Entry.Builder spec = data.entryIn(TD, "/latency/e", namespace(k), "a", "b", "c");
          long t0 = System.nanoTime();
          Entry e = data.create(spec);
          long t1 = System.nanoTime();
          calledAt.put(e.getId(), t0);
          returnedAt.put(e.getId(), t1);
        });
    try {
      await("every entry SYNCED at all sites")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  synced.error.get() != null
                      || synced.at.keySet().containsAll(returnedAt.keySet()));
    } catch (ConditionTimeoutException e) {
      System.err.println("not every entry was SYNCED at all sites within 120 s");
    }
    return new Run(calledAt, returnedAt, synced);
  }

  /**
   * Writes {@code n} new entries straight into the three SPIRE servers, one BatchCreateEntry of a
   * single entry per site and entry, the three sites at once, paced like {@link #throughSystem};
   * then deletes them. Per entry, the slowest site's time (ms), sorted.
   */
  private static double[] raw(Cluster cluster, Converge data, int n, double rate, int clients)
      throws Exception {
    EntryTranslator translator = new EntryTranslator("raw");
    Map<String, SpireEntryClient> spire = new ConcurrentHashMap<>();
    for (String s : SITES) {
      spire.put(s, SpireEntryClient.overUnixSocket(cluster.spire(s).socket(), 1000, 1, 30));
    }
    ExecutorService siteCalls = Executors.newFixedThreadPool(SITES.size() * clients);
    List<String> written = Collections.synchronizedList(new ArrayList<>());
    List<Double> slowest = Collections.synchronizedList(new ArrayList<>());
    try {
      paced(
          n,
          rate,
          clients,
          k -> {
            SpireEntry e =
                translator.toSpire(
                    data.entryIn(TD, "/raw/e", namespace(k), "a", "b", "c")
                        .setId(UUID.randomUUID().toString())
                        .build());
            List<Future<Long>> calls = new ArrayList<>();
            for (String s : SITES) {
              calls.add(
                  siteCalls.submit(
                      () -> {
                        long t0 = System.nanoTime();
                        if (!spire.get(s).create(List.of(e)).get(0).ok()) {
                          throw new IllegalStateException("raw create failed at " + s);
                        }
                        return System.nanoTime() - t0;
                      }));
            }
            long max = 0;
            for (Future<Long> f : calls) {
              max = Math.max(max, f.get());
            }
            written.add(e.id());
            slowest.add(max / 1e6);
          });
      for (String s : SITES) {
        spire.get(s).delete(written);
      }
    } finally {
      siteCalls.shutdown();
      spire.values().forEach(SpireEntryClient::close);
    }
    return slowest.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  /** One paced call of {@link #paced}. */
  private interface Call {
    void run(int k) throws Exception;
  }

  /**
   * Runs {@code call} for k = 0..n-1 from {@code clients} threads; the k-th call starts no earlier
   * than k / rate seconds after the first (rate 0: at once).
   */
  private static void paced(int n, double rate, int clients, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> runs = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int c = 0; c < clients; c++) {
        runs.add(
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
                    call.run(k);
                  }
                  return null;
                }));
      }
      for (Future<?> f : runs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static void row(String what, double[] sorted) {
    System.out.printf(
        "%-58s p50=%6.1f ms  p99=%6.1f ms  max=%6.1f ms%n",
        what, pct(sorted, 50), pct(sorted, 99), sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
  }

  private static String fmt(double rate) {
    return rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate);
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

  private static List<Double> rates(String list) {
    return Arrays.stream(list.split(","))
        .map(String::trim)
        .filter(r -> !r.isEmpty())
        .map(Double::parseDouble)
        .toList();
  }

  private static double pct(double[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
