package io.spiremgmt.bench;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc.EntryRequestServiceBlockingStub;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.ListEntryRequestsRequest;
import io.spiremgmt.api.v1.ListEntryRequestsResponse;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Loads entry requests into a real PostgreSQL in steps (10,000, then 100,000 by default) and at
 * each step measures, over real gRPC against the real backend, ListEntryRequests pages of 50 for
 * {@code mine} (Developers of different volumes) and {@code awaiting_my_decision} (Operators). Run
 * by {@code bench/requests.sh}; prints p50/p99/max of first pages and of deeper pages fetched by
 * their page tokens.
 */
public final class RequestBench {
  private static final int HTTP_PORT = 18090;
  private static final int PAGE_SIZE = 50;
  private static final int PERSONS = 500;
  private static final int APPROVERS = 20;

  /**
   * Developers whose own requests are listed: the busiest ten (person-0 first, with about 4.5% of
   * all requests), then every tenth of the rest.
   */
  private static final List<Integer> MINE_CALLERS =
      IntStream.range(0, PERSONS).filter(p -> p < 10 || p % 10 == 0).boxed().toList();

  /**
   * Calls of each kind made before the first figures: without them the first step measures the
   * backend's JIT compiler.
   */
  private static final int WARM_UP_CALLS = 2000;

  /** Operators who list what awaits their decision. */
  private static final int AWAITING_CALLERS = 10;

  private static final List<String> SITES =
      List.of(
          "5e000000-0000-4000-8000-000000000001",
          "5e000000-0000-4000-8000-000000000002",
          "5e000000-0000-4000-8000-000000000003");

  private RequestBench() {}

  public static void main(String[] args) throws Exception {
    int calls = Integer.parseInt(BenchSupport.arg(args, 0, "500"));
    int[] sizes =
        Arrays.stream(BenchSupport.arg(args, 1, "10000,100000").split(","))
            .mapToInt(Integer::parseInt)
            .sorted()
            .toArray();
    Path data = Path.of(".data/bench-requests").toAbsolutePath();
    Files.createDirectories(data);

    try (EmbeddedDatabase db = EmbeddedDatabase.start(data.resolve("pg"))) {
      Process backend = BenchSupport.startBackend(db, data, HTTP_PORT);
      try {
        TokenIssuer issuer = new TokenIssuer(devKeys(data.resolve("jwt")), TokenIssuer.DEV_ISSUER);
        ManagedChannel channel =
            ManagedChannelBuilder.forAddress("localhost", HTTP_PORT).usePlaintext().build();
        List<Caller> mine =
            MINE_CALLERS.stream()
                .map(
                    p ->
                        new Caller(
                            "person-" + p,
                            stub(
                                channel,
                                issuer.mint(
                                    "person-" + p,
                                    List.of("Developer"),
                                    Duration.ofHours(2),
                                    Map.of("namespaces", List.of("ns-" + p % 100))))))
                .toList();
        List<Caller> approvers =
            IntStream.range(0, AWAITING_CALLERS)
                .mapToObj(
                    a ->
                        new Caller(
                            "approver-" + a,
                            stub(
                                channel,
                                issuer.mint(
                                    "approver-" + a, List.of("Operator"), Duration.ofHours(2)))))
                .toList();

        clear(db);
        int loaded = 0;
        for (int size : sizes) {
          load(db, loaded, size, sizes[sizes.length - 1]);
          if (loaded == 0) {
            warmUp(mine, approvers, WARM_UP_CALLS);
          }
          loaded = size;
          System.out.printf(
              Locale.ROOT,
              "%n== ListEntryRequests, page_size %d, %s; %d calls per query: half first pages,"
                  + " half deeper pages by token ==%n",
              PAGE_SIZE,
              counts(db),
              calls);
          baseline(mine, calls);
          measure("mine (" + mine.size() + " Developers)", mine, r -> r.setMine(true), calls);
          measure(
              "awaiting_my_decision (" + approvers.size() + " Operators)",
              approvers,
              r -> r.setAwaitingMyDecision(true),
              calls);
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } finally {
        BenchSupport.stop(backend);
      }
    }
  }

  /** A caller (a person) and its authenticated stub. */
  private record Caller(String person, EntryRequestServiceBlockingStub api) {}

  /** One timed call to make: a caller's page, {@code token} "" for its first. */
  private record Call(Caller caller, String token) {}

  private static EntryRequestServiceBlockingStub stub(ManagedChannel channel, String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return EntryRequestServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** The dev signing key the backend made (or reused) under {@code dir} at its start. */
  private static KeyPair devKeys(Path dir) throws Exception {
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    return new KeyPair(
        rsa.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(dir.resolve("public.der")))),
        rsa.generatePrivate(
            new PKCS8EncodedKeySpec(Files.readAllBytes(dir.resolve("private.der")))));
  }

  /**
   * One query: every caller's pages walked once, untimed (collecting each deeper page's token); a
   * plan of {@code calls} pages, half of them first pages of random callers, half deeper pages
   * drawn at random from every caller's tokens, run once untimed (it warms the JIT, the caches and
   * the prepared statements), then timed in another order.
   */
  private static void measure(
      String name,
      List<Caller> callers,
      UnaryOperator<ListEntryRequestsRequest.Builder> filter,
      int calls) {
    List<Call> deeper = new ArrayList<>();
    int firstRows = 0;
    for (Caller c : callers) {
      ListEntryRequestsResponse page = page(c, filter, "");
      firstRows += page.getEntryRequestsCount();
      for (String token = page.getNextPageToken(); !token.isEmpty(); ) {
        deeper.add(new Call(c, token));
        token = page(c, filter, token).getNextPageToken();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%s: %d first pages (%d rows), %d deeper pages%n",
        name,
        callers.size(),
        firstRows,
        deeper.size());
    Random random = new Random(42);
    List<Call> plan = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      plan.add(
          i % 2 == 0 || deeper.isEmpty()
              ? new Call(callers.get(random.nextInt(callers.size())), "")
              : deeper.get(random.nextInt(deeper.size())));
    }
    Collections.shuffle(plan, random);
    for (Call call : plan) {
      page(call.caller(), filter, call.token());
    }
    Collections.shuffle(plan, random);
    System.out.printf(Locale.ROOT, "  (load average %s)%n", BenchSupport.loadAverage());
    Caller busiest = callers.get(0);
    List<Long> first = new ArrayList<>();
    List<Long> deep = new ArrayList<>();
    List<Long> deepBusiest = new ArrayList<>();
    int rowsBusiest = 0;
    List<Long> all = new ArrayList<>();
    int rowsFirst = 0;
    int rowsDeep = 0;
    for (Call call : plan) {
      long start = System.nanoTime();
      int rows = page(call.caller(), filter, call.token()).getEntryRequestsCount();
      long nanos = System.nanoTime() - start;
      all.add(nanos);
      if (call.token().isEmpty()) {
        first.add(nanos);
        rowsFirst += rows;
      } else {
        deep.add(nanos);
        rowsDeep += rows;
        if (call.caller() == busiest) {
          deepBusiest.add(nanos);
          rowsBusiest += rows;
        }
      }
    }
    BenchSupport.report("  first pages", first, rowsFirst);
    if (!deep.isEmpty()) {
      BenchSupport.report("  deeper pages", deep, rowsDeep);
    }
    if (!deepBusiest.isEmpty()) {
      BenchSupport.report("  deeper pages of " + busiest.person(), deepBusiest, rowsBusiest);
    }
    BenchSupport.report("  all", all, rowsFirst + rowsDeep);
  }

  /** Untimed: {@code calls} calls of each of GetApprovalPolicy and both lists' first pages. */
  private static void warmUp(List<Caller> developers, List<Caller> approvers, int calls) {
    long start = System.nanoTime();
    Random random = new Random(1);
    for (int i = 0; i < calls; i++) {
      Caller developer = developers.get(random.nextInt(developers.size()));
      developer
          .api()
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
      page(developer, r -> r.setMine(true), "");
      page(approvers.get(random.nextInt(approvers.size())), r -> r.setAwaitingMyDecision(true), "");
    }
    System.out.printf(
        Locale.ROOT,
        "warmed up the backend with %d calls in %.1f s%n",
        3 * calls,
        (System.nanoTime() - start) / 1e9);
  }

  /**
   * The floor under every figure: GetApprovalPolicy (authentication, one session, two tiny queries)
   * by the same Developers, {@code calls} times untimed, then {@code calls} times timed.
   */
  private static void baseline(List<Caller> callers, int calls) {
    Random random = new Random(7);
    List<Long> nanos = new ArrayList<>();
    for (int i = 0; i < 2 * calls; i++) {
      Caller c = callers.get(random.nextInt(callers.size()));
      long start = System.nanoTime();
      c.api()
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
      if (i >= calls) {
        nanos.add(System.nanoTime() - start);
      }
    }
    System.out.printf(Locale.ROOT, "baseline (load average %s)%n", BenchSupport.loadAverage());
    BenchSupport.report("  GetApprovalPolicy", nanos, 0);
  }

  private static ListEntryRequestsResponse page(
      Caller caller, UnaryOperator<ListEntryRequestsRequest.Builder> filter, String token) {
    return caller
        .api()
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .listEntryRequests(
            filter
                .apply(ListEntryRequestsRequest.newBuilder())
                .setPageSize(PAGE_SIZE)
                .setPageToken(token)
                .build());
  }

  private static void clear(EmbeddedDatabase db) throws SQLException {
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE entry_request_approvals, entry_request_events, entry_requests");
    }
  }

  /**
   * Loads requests {@code from + 1} to {@code to} with SQL. Submission times run over the last year
   * (the last of {@code last} requests now), ids are UUIDv7 of those times, so each load is newer
   * than the one before. Requesters are {@value #PERSONS} persons with a skewed share (person-0
   * about 4.5% of all requests, person-499 about 0.1%), 10% of them through an API key, 2% by
   * approvers; 15% of the requests are PENDING, spread over the whole year (expiring in 30 days, so
   * the sweeper leaves them), the rest in the final states; the approvals recorded fit the states
   * (an APPLIED request has all it needed, a third of the PENDING ones one of two).
   */
  private static void load(EmbeddedDatabase db, int from, int to, int last) throws SQLException {
    long start = System.nanoTime();
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = off");
      // A deterministic uniform number in [0, 1) per request and purpose.
      s.execute(
          "CREATE FUNCTION pg_temp.u(g bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE AS"
              + " 'SELECT (hashint8(g * 16 + salt) & 2147483647) / 2147483648.0'");
      s.execute(
          "CREATE TEMP TABLE bench_src AS SELECT g, created,"
              + " lpad(to_hex((extract(epoch FROM created) * 1000)::bigint), 12, '0') AS ms_hex,"
              + " CASE WHEN pg_temp.u(g, 5) < 0.02 THEN 'approver-' || (g + 3) % "
              + APPROVERS
              + "   ELSE 'person-' || floor("
              + PERSONS
              + " * pg_temp.u(g, 1) ^ 2)::int END AS person,"
              + " CASE WHEN pg_temp.u(g, 2) < 0.15 THEN 'PENDING'"
              + "   WHEN pg_temp.u(g, 2) < 0.75 THEN 'APPLIED'"
              + "   WHEN pg_temp.u(g, 2) < 0.85 THEN 'REJECTED'"
              + "   WHEN pg_temp.u(g, 2) < 0.92 THEN 'CANCELLED'"
              + "   WHEN pg_temp.u(g, 2) < 0.96 THEN 'EXPIRED'"
              + "   WHEN pg_temp.u(g, 2) < 0.98 THEN 'CONFLICT' ELSE 'FAILED' END AS state,"
              + " CASE WHEN pg_temp.u(g, 3) < 0.4 THEN 'CREATE'"
              + "   WHEN pg_temp.u(g, 3) < 0.85 THEN 'UPDATE' ELSE 'DELETE' END AS kind,"
              + " pg_temp.u(g, 4) AS ra, pg_temp.u(g, 6) AS rk, (g % 4)::int + 1 AS tpl"
              + " FROM (SELECT g, date_trunc('day', now()) - interval '1 year'"
              + "   + g * (interval '1 year' / "
              + last
              + ") AS created FROM generate_series("
              + (from + 1)
              + ", "
              + to
              + ") g) t");
      s.execute(
          "ALTER TABLE bench_src ADD COLUMN required int, ADD COLUMN approved int,"
              + " ADD COLUMN requester text, ADD COLUMN id uuid");
      s.execute(
          "UPDATE bench_src SET"
              + " required = CASE WHEN state = 'APPLIED' AND ra < 0.3 THEN 0"
              + "   WHEN ra >= 0.7 THEN 2 ELSE 1 END,"
              + " requester = CASE WHEN rk < 0.1 AND person LIKE 'person-%'"
              + "   THEN 'apikey:ci-' || person ELSE person END,"
              + " id = (substr(ms_hex, 1, 8) || '-' || substr(ms_hex, 9, 4) || '-7000-8000-'"
              + "   || lpad(to_hex(g), 12, '0'))::uuid");
      s.execute(
          "UPDATE bench_src SET approved = CASE state WHEN 'APPLIED' THEN required"
              + " WHEN 'PENDING' THEN (required = 2 AND rk < 0.66)::int"
              + " WHEN 'REJECTED' THEN (required = 2 AND rk < 0.3)::int"
              + " WHEN 'CONFLICT' THEN required - 1 WHEN 'FAILED' THEN required - 1 ELSE 0 END");
      String approver = "'approver-' || (g % " + APPROVERS + ")";
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO entry_requests (id, state, kind, entry_id, base_revision, entry_before,"
                  + " proposed_entry, update_mask, justification, requester, requester_person,"
                  + " client_request_id, site_ids, namespaces, approval_reasons,"
                  + " approvals_required, decided_by, decision_message, failure_reason,"
                  + " conflicting_entry, applied_entry, created_at, updated_at, expires_at)"
                  + " SELECT id, state, kind,"
                  + " ('0e000000-0000-4000-8000-' || lpad(to_hex(g % 40000), 12, '0'))::uuid,"
                  + " CASE kind WHEN 'CREATE' THEN 0 ELSE 1 + g % 7 END,"
                  + " CASE kind WHEN 'CREATE' THEN NULL ELSE (?::bytea[])[tpl] END,"
                  + " CASE kind WHEN 'DELETE' THEN NULL ELSE (?::bytea[])[tpl] END,"
                  + " CASE kind WHEN 'UPDATE' THEN CASE WHEN g % 2 = 0 THEN '{ttl}'::text[]"
                  + "   ELSE '{selectors,dns_names}'::text[] END ELSE '{}'::text[] END,"
                  + " 'bench request ' || g || ': the payments service needs a new workload',"
                  + " requester, person,"
                  + " CASE WHEN requester LIKE 'apikey:%' THEN 'ci-run-' || g END,"
                  + " CASE WHEN g % 5 = 0 THEN (?::uuid[])[1:2]"
                  + "   ELSE ARRAY[(?::uuid[])[g % 3 + 1]] END,"
                  + " CASE WHEN g % 10 = 0"
                  + "   THEN ARRAY['ns-' || (hashint8(g) & 511) % 100, 'ns-' || g % 100]"
                  + "   ELSE ARRAY['ns-' || coalesce(substring(person FROM 'person-(\\d+)')::int"
                  + "     % 100, 0)] END,"
                  + " CASE WHEN required = 0 THEN '{}'::text[]"
                  + "   ELSE ARRAY['site bench-site-' || g % 3 || ': every change needs approval']"
                  + "   END,"
                  + " required,"
                  + " CASE state WHEN 'PENDING' THEN NULL WHEN 'CANCELLED' THEN requester"
                  + "   WHEN 'EXPIRED' THEN 'system'"
                  + "   WHEN 'APPLIED' THEN CASE required WHEN 0 THEN requester WHEN 1 THEN "
                  + approver
                  + "     ELSE 'approver-' || (g + 7) % "
                  + APPROVERS
                  + " END"
                  + "   ELSE 'approver-' || (g + 11) % "
                  + APPROVERS
                  + " END,"
                  + " CASE state WHEN 'REJECTED' THEN 'not needed: use the shared identity'"
                  + "   WHEN 'CONFLICT' THEN 'the entry changed since the request was based on it'"
                  + "   WHEN 'FAILED' THEN 'site not found' END,"
                  + " CASE state WHEN 'FAILED' THEN 'SITE_NOT_FOUND' END,"
                  + " CASE state WHEN 'CONFLICT' THEN (?::bytea[])[tpl % 4 + 1] END,"
                  + " CASE WHEN state = 'APPLIED' AND kind <> 'DELETE' THEN (?::bytea[])[tpl] END,"
                  + " created,"
                  + " CASE state WHEN 'PENDING' THEN created ELSE created + interval '3 hours' END,"
                  + " CASE state WHEN 'PENDING' THEN now() + interval '30 days'"
                  + "   ELSE created + interval '7 days' END"
                  + " FROM bench_src")) {
        Array entries = c.createArrayOf("bytea", entryTemplates());
        Array sites = c.createArrayOf("uuid", SITES.stream().map(UUID::fromString).toArray());
        insert.setArray(1, entries);
        insert.setArray(2, entries);
        insert.setArray(3, sites);
        insert.setArray(4, sites);
        insert.setArray(5, entries);
        insert.setArray(6, entries);
        insert.executeUpdate();
      }
      // The first approval by approver-(g % 20), the second by approver-((g + 7) % 20); the
      // requesting approvers are approver-((g + 3) % 20), so nobody approves its own request.
      s.execute(
          "INSERT INTO entry_request_approvals"
              + " (request_id, approver_person, approver, comment, approved_at)"
              + " SELECT id, "
              + approver
              + ", "
              + approver
              + ", 'ok', created + interval '1 hour' FROM bench_src WHERE approved >= 1"
              + " UNION ALL SELECT id, 'approver-' || (g + 7) % "
              + APPROVERS
              + ", 'approver-' || (g + 7) % "
              + APPROVERS
              + ", '', created + interval '2 hours' FROM bench_src WHERE approved >= 2");
      s.execute("DROP TABLE bench_src");
      s.execute("VACUUM ANALYZE entry_requests");
      s.execute("VACUUM ANALYZE entry_request_approvals");
    }
    System.out.printf(
        Locale.ROOT,
        "%nloaded requests %d-%d in %.1f s%n",
        from + 1,
        to,
        (System.nanoTime() - start) / 1e9);
  }

  /** Four small serialized entries, as a request stores them. */
  private static byte[][] entryTemplates() {
    return IntStream.range(0, 4)
        .mapToObj(
            i ->
                Entry.newBuilder()
                    .setId(new UUID(0x0e00000000004000L, 0x8000000000000000L + i).toString())
                    .setSpiffeId("spiffe://bench.example.org/ns-" + i + "/sa/payments-" + i)
                    .setParentId("spiffe://bench.example.org/spire/agent/k8s_psat/node-" + i)
                    .addSelectors(Selector.newBuilder().setType("k8s:ns").setValue("ns-" + i))
                    .addSelectors(Selector.newBuilder().setType("k8s:sa").setValue("payments-" + i))
                    .addSiteIds(SITES.get(i % 3))
                    .setTtl(3600)
                    .setRevision(1 + i)
                    .build()
                    .toByteArray())
        .toArray(byte[][]::new);
  }

  /** "N requests (P PENDING), A approvals". */
  private static String counts(EmbeddedDatabase db) throws SQLException {
    try (Connection c = BenchSupport.connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM entry_requests),"
                    + " (SELECT count(*) FROM entry_requests WHERE state = 'PENDING'),"
                    + " (SELECT count(*) FROM entry_request_approvals)")) {
      rs.next();
      return String.format(
          Locale.ROOT,
          "%d requests (%d PENDING), %d approvals",
          rs.getLong(1),
          rs.getLong(2),
          rs.getLong(3));
    }
  }
}
