package io.spiremgmt.bench;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListEntriesResponse;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Loads N entries across 3 sites into a real PostgreSQL and measures, over real gRPC against the
 * real backend, ListEntries pages of 100 (no filter, by site, by selector, by SPIFFE ID prefix),
 * then the write path ({@link WriteBench}: CreateEntry from concurrent clients, BatchCreateEntries
 * of 500). Run by {@code bench/entries.sh}; prints each query's cold first page, p50/p99 latencies
 * of pages sampled at random depths through the whole result, and the write rates with their SQL
 * cost.
 */
public final class EntryBench {
  private static final String TD = "bench.example.org";
  private static final int HTTP_PORT = 18080;

  /** Untimed ListEntries calls before the measured ones. */
  private static final int LIST_WARM_UP = 2000;

  private EntryBench() {}

  public static void main(String[] args) throws Exception {
    int entries = Integer.parseInt(BenchSupport.arg(args, 0, "1000000"));
    int pagesPerQuery = Integer.parseInt(BenchSupport.arg(args, 1, "300"));
    int creates = Integer.parseInt(BenchSupport.arg(args, 2, "3000"));
    int concurrency = Integer.parseInt(BenchSupport.arg(args, 3, "16"));
    int batches = Integer.parseInt(BenchSupport.arg(args, 4, "20"));
    int batchClients = Integer.parseInt(BenchSupport.arg(args, 5, "4"));
    Path data = Path.of(".data/bench").toAbsolutePath();
    Files.createDirectories(data);

    try (EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("pg"))) {
      Process backend = BenchSupport.startBackend(db, data, HTTP_PORT);
      try {
        String token = Files.readString(data.resolve("admin.token")).trim();
        ManagedChannel channel =
            ManagedChannelBuilder.forAddress("localhost", HTTP_PORT).usePlaintext().build();
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        var entriesApi =
            WorkloadEntryServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        var sitesApi =
            SiteServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));

        List<String> sites = ensureSites(sitesApi);
        load(db, sites, entries);
        analyze(db);

        if (pagesPerQuery > 0) {
          System.out.printf(
              Locale.ROOT,
              "%n== ListEntries, page_size 100, %d entries, up to %d pages per query at random depths"
                  + " ==%n",
              count(db),
              pagesPerQuery);
          // The JIT's warm-up, on other namespaces than those measured, so that the figures at a
          // small size (few pages to walk) and at a large one compare the queries, not the JIT.
          for (int i = 0; i < LIST_WARM_UP; i++) {
            String ns = "ns-" + (1 + i % 5);
            page(
                entriesApi,
                i % 2 == 0
                    ? r -> r.setSpiffeIdPrefix("spiffe://" + TD + "/" + ns + "/")
                    : r -> r.addSelectors(Selector.newBuilder().setType("k8s:ns").setValue(ns)),
                "");
          }
          measureList("no filter", entriesApi, r -> r, pagesPerQuery);
          measureList("by site", entriesApi, r -> r.setSiteId(sites.get(1)), pagesPerQuery);
          measureList(
              "by selector k8s:ns=ns-7 (1%)",
              entriesApi,
              r -> r.addSelectors(Selector.newBuilder().setType("k8s:ns").setValue("ns-7")),
              pagesPerQuery);
          measureList(
              "by SPIFFE ID prefix /ns-42/ (1%)",
              entriesApi, r -> r.setSpiffeIdPrefix("spiffe://" + TD + "/ns-42/"), pagesPerQuery);
        }
        WriteBench.Cpu cpu = new WriteBench.Cpu(backend.toHandle(), data.resolve("pg"));
        if (creates > 0) {
          WriteBench.measureCreates(entriesApi, db, cpu, sites, creates, concurrency);
        }
        if (batches > 0) {
          WriteBench.measureBatchCreates(entriesApi, db, cpu, sites, batches, batchClients);
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } finally {
        BenchSupport.stop(backend);
      }
    }
  }

  private static List<String> ensureSites(SiteServiceGrpc.SiteServiceBlockingStub sites) {
    List<String> ids = new ArrayList<>();
    var existing =
        sites.listSites(ListSitesRequest.newBuilder().setTrustDomain(TD).build()).getSitesList();
    for (int i = 0; i < 3; i++) {
      String name = "bench-site-" + i;
      String id =
          existing.stream()
              .filter(s -> s.getName().equals(name))
              .map(Site::getId)
              .findFirst()
              .orElseGet(
                  () ->
                      sites
                          .createSite(
                              CreateSiteRequest.newBuilder()
                                  .setSite(Site.newBuilder().setName(name).setTrustDomain(TD))
                                  .build())
                          .getId());
      ids.add(id);
    }
    return ids;
  }

  /** Bulk-loads entries with SQL (hashes computed exactly as the service computes them). */
  private static void load(EmbeddedDatabase db, List<String> sites, int target)
      throws SQLException {
    long have = count(db);
    if (have >= target) {
      System.out.printf(Locale.ROOT, "reusing %d loaded entries%n", have);
      return;
    }
    long start = System.nanoTime();
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = off");
      String sel = "ARRAY['k8s:ns:ns-' || (g % 100), 'k8s:sa:sa-' || g]";
      s.execute(
          "CREATE TEMP TABLE bench_src AS SELECT g,"
              + " ('01a00000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS id,"
              + " 'spiffe://"
              + TD
              + "/ns-' || (g % 100) || '/sa-' || g AS spiffe_id,"
              + " 'spiffe://"
              + TD
              + "/spire/agent/k8s_psat/node-' || (g % 50) AS parent_id,"
              + " encode(sha256(convert_to(array_to_string("
              + sel
              + ", E'\\n'), 'UTF8')), 'hex') AS sel_hash"
              + " FROM generate_series("
              + (have + 1)
              + ", "
              + target
              + ") g");
      s.execute(
          "INSERT INTO workload_entries (id, spiffe_id, parent_id, ttl, selectors_hash, similar_key, revision,"
              + " created_by, created_at, updated_at)"
              + " SELECT id, spiffe_id, parent_id, 3600, sel_hash,"
              + " encode(sha256(convert_to(spiffe_id || E'\\n' || parent_id || E'\\n' || sel_hash, 'UTF8')), 'hex'),"
              + " 1, 'bench', now(), now() FROM bench_src");
      s.execute(
          "INSERT INTO workload_entry_selectors (workload_entry_id, selector_hash, type, value, position)"
              + " SELECT id, encode(sha256(convert_to('k8s:ns:ns-' || (g % 100), 'UTF8')), 'hex'), 'k8s:ns',"
              + " 'ns-' || (g % 100), 0 FROM bench_src"
              + " UNION ALL SELECT id, encode(sha256(convert_to('k8s:sa:sa-' || g, 'UTF8')), 'hex'), 'k8s:sa',"
              + " 'sa-' || g, 1 FROM bench_src");
      s.execute(
          "INSERT INTO workload_entry_sites (workload_entry_id, site_id, sync_status, target_revision, changed_at)"
              + " SELECT id, (ARRAY['"
              + String.join("','", sites)
              + "']::uuid[])[g % 3 + 1],"
              + " CASE WHEN g % 20 = 0 THEN 'PENDING' ELSE 'SYNCED' END, 1, now() FROM bench_src"
              + " UNION ALL SELECT id, (ARRAY['"
              + String.join("','", sites)
              + "']::uuid[])[(g + 1) % 3 + 1],"
              + " 'SYNCED', 1, now() FROM bench_src WHERE g % 10 = 0");
      s.execute("DROP TABLE bench_src");
      s.execute("VACUUM ANALYZE");
    }
    System.out.printf(
        Locale.ROOT,
        "loaded %d entries in %.1f s%n",
        target - have,
        (System.nanoTime() - start) / 1e9);
  }

  private static void analyze(EmbeddedDatabase db) throws SQLException {
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement()) {
      s.execute("ANALYZE");
    }
  }

  /**
   * One query shape: its first page timed cold (the first request of this shape), then a walk
   * through the whole result that collects every page's token (untimed: it warms the JIT and the
   * caches on this shape at every depth), then {@code pages} pages of 100 timed at random depths
   * through the result, each fetched by its token, in a shuffled order.
   */
  private static void measureList(
      String name,
      WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub api,
      UnaryOperator<ListEntriesRequest.Builder> filter,
      int pages) {
    long t0 = System.nanoTime();
    ListEntriesResponse first = page(api, filter, "");
    long cold = System.nanoTime() - t0;
    System.out.printf(
        Locale.ROOT,
        "%-34s first page, cold: %.2f ms (rows=%d)%n",
        name,
        cold / 1e6,
        first.getEntriesCount());

    // tokens.get(i) fetches page i + 2 (page 1 is the one above).
    List<String> tokens = new ArrayList<>();
    for (String token = first.getNextPageToken(); !token.isEmpty(); ) {
      tokens.add(token);
      token = page(api, filter, token).getNextPageToken();
    }
    if (tokens.isEmpty()) {
      System.out.printf(Locale.ROOT, "%-34s no deeper pages: the result has one page%n", name);
      return;
    }
    List<Integer> depths = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      depths.add(i);
    }
    Collections.shuffle(depths, new Random(42));
    List<Integer> sample = depths.subList(0, Math.min(pages, depths.size()));
    List<Long> nanos = new ArrayList<>();
    int rows = 0;
    for (int i : sample) {
      long start = System.nanoTime();
      rows += page(api, filter, tokens.get(i)).getEntriesCount();
      nanos.add(System.nanoTime() - start);
    }
    BenchSupport.report(
        String.format(
            Locale.ROOT,
            "  pages %d-%d of %d",
            2 + Collections.min(sample),
            2 + Collections.max(sample),
            tokens.size() + 1),
        nanos,
        rows);
  }

  /** One page of 100 of the filtered listing, from {@code token} ("" for the first). */
  private static ListEntriesResponse page(
      WorkloadEntryServiceGrpc.WorkloadEntryServiceBlockingStub api,
      UnaryOperator<ListEntriesRequest.Builder> filter,
      String token) {
    return api.withDeadlineAfter(30, TimeUnit.SECONDS)
        .listEntries(
            filter
                .apply(ListEntriesRequest.newBuilder())
                .setPageSize(100)
                .setPageToken(token)
                .build());
  }

  private static long count(EmbeddedDatabase db) throws SQLException {
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM workload_entries")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
