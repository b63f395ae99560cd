package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.spiremgmt.agent.run.SyncLoop;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Traces and logs of the packaged backend and site agent, judged by a real Jaeger: the spans of a
 * create reach its SQL, the agent's calls carry their trace into the backend, its write to SPIRE
 * and its report share one trace; and both write JSON log lines with the fields operators read.
 */
class TracingEndToEndTest {
  private static final String BACKEND = "spire-mgmt-backend";
  private static final String AGENT = "spire-mgmt-site-agent";
  private static final String ENTRY_SERVICE = "spire.mgmt.v1.WorkloadEntryService/";
  private static final String SYNC_SERVICE = "spire.mgmt.v1.SyncService/";
  private static final String BATCH_CREATE = "spire.api.server.entry.v1.Entry/BatchCreateEntry";
  private static final Duration EXPORTED = Duration.ofSeconds(30);
  private static final String RFC_3339 =
      "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})";

  private static JaegerProcess jaeger;
  private static Cluster cluster;
  private static Converge converge;

  @BeforeAll
  static void start() throws Exception {
    jaeger = JaegerProcess.start();
    Map<String, String> observed = new HashMap<>();
    observed.put("quarkus.otel.exporter.otlp.endpoint", jaeger.otlpEndpoint());
    // Spans leave within 100 ms instead of Quarkus's 5 s batch delay.
    observed.put("quarkus.otel.bsp.schedule.delay", "100ms");
    observed.put("quarkus.log.console.json.enabled", "true");
    cluster = Cluster.start(Map.of("a", Cluster.PROD), observed);
    converge = new Converge(cluster);
    Map<String, String> agent = new HashMap<>(observed);
    // After the first full reconcile every write comes from a poll, so its trace holds the poll.
    agent.put("agent.full-reconcile-interval", "1h");
    cluster.startAgent("a", "traced-a", agent);
    await("the agent's first full reconcile in Jaeger")
        .atMost(EXPORTED)
        .until(() -> !jaeger.traces(AGENT, "full reconcile").isEmpty());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (jaeger != null) {
      jaeger.close();
    }
  }

  @Test
  void createEntryContinuesTheCallersTraceDownToItsSql() {
    // Given a caller's trace context
    String traceId = hex(16);
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + traceId + "-" + hex(8) + "-01");

    // When it creates an entry
    cluster
        .entries(0)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .createEntry(
            CreateEntryRequest.newBuilder()
                .setEntry(converge.entry(Cluster.PROD, "/traced/create", "a"))
                .build());

    // Then the backend's CreateEntry span is in that trace, with SQL statements under it
    await()
        .atMost(EXPORTED)
        .untilAsserted(
            () -> {
              Trace trace = Trace.of(jaeger.trace(traceId));
              assertThat(trace).as("trace %s in Jaeger", traceId).isNotNull();
              Span create = trace.only(BACKEND, ENTRY_SERVICE + "CreateEntry");
              assertThat(create.tag("span.kind")).isEqualTo("server");
              assertThat(trace.under(create))
                  .as("SQL spans under CreateEntry")
                  .anySatisfy(s -> assertThat(s.tag("db.system")).isEqualTo("postgres"));
            });
  }

  @Test
  void theAgentsPollAndSpireWriteShareOneTraceWithTheBackendsSpansAndSoDoesItsReport()
      throws Exception {
    // Given
    Entry entry = converge.create(converge.entry(Cluster.PROD, "/traced/sync", "a"));

    // When the agent has written it to SPIRE and reported it
    converge.synced(entry.getId(), 1, "a");

    // Then the SPIRE write that carried it is in the trace of the pass that polled it
    String spireId = Cluster.PREFIX + entry.getId();
    await()
        .atMost(EXPORTED)
        .untilAsserted(
            () -> {
              Trace trace =
                  jaeger.traces(AGENT, BATCH_CREATE).stream()
                      .map(Trace::of)
                      .filter(t -> t.has(AGENT, BATCH_CREATE, "spire.entry_ids", spireId))
                      .findFirst()
                      .orElseThrow(() -> new AssertionError("no BatchCreateEntry of " + spireId));
              Span pass = trace.only(AGENT, "sync pass");
              assertThat(pass.parent).as("the pass is the trace's root").isNull();
              assertThat(trace.under(pass))
                  .extracting(s -> s.operation)
                  .contains(BATCH_CREATE, SYNC_SERVICE + "PollEntries");
              assertChildCall(trace, "PollEntries");
            });
    // Then its result went with the next poll (or, before a full reconcile, on its own): that
    // turn's span says so, and its trace holds the backend's span and the report's SQL
    await()
        .atMost(EXPORTED)
        .untilAsserted(
            () -> {
              List<Trace> reporting = new ArrayList<>();
              for (String turn : List.of("sync pass", "full reconcile")) {
                jaeger.traces(AGENT, turn).stream()
                    .map(Trace::of)
                    .filter(t -> t.only(AGENT, turn).tag(SyncLoop.RESULTS_REPORTED) != null)
                    .forEach(reporting::add);
              }
              assertThat(reporting).as("traces of a turn that reported results").isNotEmpty();
              for (Trace report : reporting) {
                String rpc =
                    report.spans().stream().anyMatch(s -> s.operation.endsWith("ReportSyncResult"))
                        ? "ReportSyncResult"
                        : "PollEntries";
                assertChildCall(report, rpc);
                assertThat(report.spans())
                    .filteredOn(s -> s.service.equals(BACKEND))
                    .filteredOn(s -> s.operation.equals(SYNC_SERVICE + rpc))
                    .as("the report's SQL")
                    .anySatisfy(
                        server ->
                            assertThat(report.under(server))
                                .anySatisfy(
                                    sql -> assertThat(sql.tag("db.system")).isEqualTo("postgres")));
              }
            });
  }

  /** Each backend span of {@code rpc} in {@code trace} is a child of the agent's client span. */
  private static void assertChildCall(Trace trace, String rpc) {
    List<Span> servers =
        trace.spans().stream()
            .filter(s -> s.service.equals(BACKEND) && s.operation.equals(SYNC_SERVICE + rpc))
            .toList();
    assertThat(servers).as("the backend's %s spans", rpc).isNotEmpty();
    for (Span server : servers) {
      assertThat(trace.spans())
          .as("the backend's %s span is a child of the agent's call", rpc)
          .anySatisfy(
              client -> {
                assertThat(client.id).isEqualTo(server.parent);
                assertThat(client.service).isEqualTo(AGENT);
                assertThat(client.operation).isEqualTo(SYNC_SERVICE + rpc);
                assertThat(client.tag("span.kind")).isEqualTo("client");
              });
    }
  }

  @Test
  void bothDeployablesLogJsonLinesWithTimestampLevelTraceComponentAndActor() throws Exception {
    // Given the agent took its site's lease (the backend logs it while serving the agent's call)
    // and reconciled it once (the agent logs it inside its span), both already done at start

    // When their log lines are read
    JsonObject lease =
        jsonLine(
            cluster.backend(0),
            "took the lease",
            l -> l.getString("message").contains(cluster.site("a").getId()));
    JsonObject reconcile = jsonLine(cluster.agent("traced-a"), "full reconcile:", l -> true);

    // Then each has the fields, the backend's names its caller, and both name their trace
    assertThat(lease.getString("timestamp")).matches(RFC_3339);
    assertThat(OffsetDateTime.parse(lease.getString("timestamp"))).isNotNull();
    assertThat(lease.getString("level")).isEqualTo("INFO");
    assertThat(lease.getString("component")).isEqualTo("backend");
    assertThat(lease.getString("logger")).endsWith("LeaseService");
    assertThat(lease.getString("actor")).isEqualTo("e2e-agent-a");
    assertThat(lease.getString("trace_id")).matches("[0-9a-f]{32}");
    assertThat(lease.getString("span_id")).matches("[0-9a-f]{16}");
    assertThat(lease.fieldNames()).doesNotContain("mdc", "traceId", "spanId", "sampled");
    Trace leaseTrace = Trace.of(jaeger.trace(lease.getString("trace_id")));
    assertThat(leaseTrace).as("the lease call's trace in Jaeger").isNotNull();
    assertThat(leaseTrace.only(BACKEND, SYNC_SERVICE + "AcquireLease")).isNotNull();

    assertThat(reconcile.getString("timestamp")).matches(RFC_3339);
    assertThat(reconcile.getString("level")).isEqualTo("INFO");
    assertThat(reconcile.getString("component")).isEqualTo("site-agent");
    assertThat(reconcile.getString("trace_id")).matches("[0-9a-f]{32}");
    assertThat(reconcile.fieldNames()).doesNotContain("mdc", "actor");
    Trace reconcileTrace = Trace.of(jaeger.trace(reconcile.getString("trace_id")));
    assertThat(reconcileTrace).as("the reconcile's trace in Jaeger").isNotNull();
    assertThat(reconcileTrace.only(AGENT, "full reconcile")).isNotNull();
  }

  /**
   * The last JSON line of {@code process} whose message contains {@code text} and passes {@code
   * also} (its log file is appended to by every run).
   */
  private static JsonObject jsonLine(
      JavaProcess process, String text, java.util.function.Predicate<JsonObject> also)
      throws Exception {
    List<JsonObject> lines = new ArrayList<>();
    for (String line : process.loggedSince(0).lines().toList()) {
      if (line.startsWith("{")) {
        JsonObject json = new JsonObject(line);
        if (json.getString("message", "").contains(text) && also.test(json)) {
          lines.add(json);
        }
      }
    }
    assertThat(lines).as("JSON lines with '%s'", text).isNotEmpty();
    return lines.get(lines.size() - 1);
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** One span of the query API's JSON. */
  record Span(
      String id, String parent, String service, String operation, Map<String, String> tags) {
    String tag(String key) {
      return tags.get(key);
    }
  }

  /** A trace of the query API's JSON, its spans with their services, parents and tags. */
  record Trace(List<Span> spans) {
    static Trace of(JsonObject json) {
      if (json == null) {
        return null;
      }
      JsonObject processes = json.getJsonObject("processes");
      List<Span> spans = new ArrayList<>();
      for (Object o : json.getJsonArray("spans")) {
        JsonObject s = (JsonObject) o;
        String parent = null;
        for (Object r : s.getJsonArray("references", new io.vertx.core.json.JsonArray())) {
          JsonObject ref = (JsonObject) r;
          if ("CHILD_OF".equals(ref.getString("refType"))) {
            parent = ref.getString("spanID");
          }
        }
        Map<String, String> tags = new HashMap<>();
        for (Object t : s.getJsonArray("tags", new io.vertx.core.json.JsonArray())) {
          JsonObject tag = (JsonObject) t;
          tags.put(tag.getString("key"), String.valueOf(tag.getValue("value")));
        }
        String service = processes.getJsonObject(s.getString("processID")).getString("serviceName");
        spans.add(
            new Span(s.getString("spanID"), parent, service, s.getString("operationName"), tags));
      }
      return new Trace(spans);
    }

    /** The one span of {@code service} named {@code operation}; fails on none or several. */
    Span only(String service, String operation) {
      List<Span> found =
          spans.stream()
              .filter(s -> s.service.equals(service) && s.operation.equals(operation))
              .toList();
      assertThat(found).as("%s spans of %s", operation, service).hasSize(1);
      return found.get(0);
    }

    /** Whether a span of {@code service} named {@code operation} has a tag containing {@code v}. */
    boolean has(String service, String operation, String tag, String v) {
      return spans.stream()
          .anyMatch(
              s ->
                  s.service.equals(service)
                      && s.operation.equals(operation)
                      && s.tag(tag) != null
                      && s.tag(tag).contains(v));
    }

    /** Every span below {@code root}. */
    List<Span> under(Span root) {
      List<Span> out = new ArrayList<>();
      List<String> frontier = new ArrayList<>(List.of(root.id));
      while (!frontier.isEmpty()) {
        String id = frontier.remove(0);
        for (Span s : spans) {
          if (Objects.equals(s.parent, id)) {
            out.add(s);
            frontier.add(s.id);
          }
        }
      }
      return out;
    }
  }
}
