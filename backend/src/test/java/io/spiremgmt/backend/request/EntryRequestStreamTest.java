package io.spiremgmt.backend.request;

import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApproveEntryRequestRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestState;
import io.spiremgmt.api.v1.EntryRequestUpdate;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.StreamEntryRequestUpdatesRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Metrics;
import io.spiremgmt.backend.support.Requests;
import io.spiremgmt.backend.support.StreamQueue;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** StreamEntryRequestUpdates: every change of the requests a caller sees, resumable, scoped. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryRequestStreamTest {
  private final String admin = Api.adminToken("root@req-stream");
  private final String operator = Api.token("olga@req-stream", List.of("Operator"), Map.of());
  private final String payments = Api.developerToken("dana@req-stream", "payments");
  private final String ledger = Api.developerToken("erin@req-stream", "ledger");
  private final List<Context.CancellableContext> streams = new ArrayList<>();
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Requests.siteUnder(admin, td, ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
  }

  @AfterEach
  void cancelStreams() {
    streams.forEach(c -> c.cancel(null));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == 0);
  }

  private EntryRequest submit(String token, String namespace, String path) {
    Entry.Builder e =
        entry(td, "/ns/" + namespace + path, site.getId())
            .clearDnsNames()
            .clearSelectors()
            .addSelectors(Fixtures.selector("k8s:ns", namespace));
    return Api.requests(token).submitEntryRequest(Requests.create(e));
  }

  @Test
  void anApproverSeesEveryChangeAndADeveloperOnlyItsOwnAndItsNamespaces() throws Exception {
    // Given an Operator's stream and a payments Developer's stream
    BlockingQueue<Object> all = subscribe(operator, "");
    BlockingQueue<Object> mine = subscribe(payments, "");

    // When both Developers submit and the Operator approves the payments request
    EntryRequest p = submit(payments, "payments", "/s1");
    EntryRequest l = submit(ledger, "ledger", "/s1");
    Api.requests(operator)
        .approveEntryRequest(ApproveEntryRequestRequest.newBuilder().setId(p.getId()).build());

    // Then the Operator sees three changes in commit order
    assertThat(take(all, 3))
        .extracting(u -> u.getEntryRequest().getId() + " " + u.getEvent())
        .containsExactly(p.getId() + " submit", l.getId() + " submit", p.getId() + " apply");
    // And the payments Developer sees its own two, never the ledger one
    List<EntryRequestUpdate> own = take(mine, 2);
    assertThat(own).extracting(u -> u.getEntryRequest().getId()).containsOnly(p.getId());
    assertThat(own.get(1).getEntryRequest().getState())
        .isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(own.get(1).getActor()).isEqualTo("olga@req-stream");
    assertThat(mine.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void resumingFromACursorDeliversEveryLaterChangeOnce() throws Exception {
    // Given a stream that saw one submission and went away
    Context.CancellableContext first = Context.current().withCancellation();
    BlockingQueue<Object> updates = subscribe(operator, "", first);
    EntryRequest a = submit(payments, "payments", "/r1");
    String cursor = take(updates, 1).get(0).getCursor();
    first.cancel(null);
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == 0);

    // When more happens while it is away
    EntryRequest b = submit(payments, "payments", "/r2");
    Api.requests(operator)
        .approveEntryRequest(ApproveEntryRequestRequest.newBuilder().setId(a.getId()).build());

    // Then resuming delivers exactly those, in order
    BlockingQueue<Object> resumed = subscribe(operator, cursor);
    assertThat(take(resumed, 2))
        .extracting(u -> u.getEntryRequest().getId() + " " + u.getEvent())
        .containsExactly(b.getId() + " submit", a.getId() + " apply");
    assertThat(resumed.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aTransactionLeftOpenOnAnotherTableDoesNotDelayAChange() throws Exception {
    // Given an Operator's stream, and a session idle in a transaction holding a transaction id
    BlockingQueue<Object> updates = subscribe(operator, "");
    try (java.sql.Connection idle = io.spiremgmt.backend.support.DbProbe.connect()) {
      idle.setAutoCommit(false);
      try (java.sql.Statement st = idle.createStatement()) {
        st.executeQuery("SELECT pg_current_xact_id()").close();
      }

      // When a Developer submits a request
      EntryRequest p = submit(payments, "payments", "/open-tx");

      // Then it is streamed while that transaction is still open
      Object next = updates.poll(5, TimeUnit.SECONDS);
      assertThat(next).isInstanceOf(EntryRequestUpdate.class);
      assertThat(((EntryRequestUpdate) next).getEntryRequest().getId()).isEqualTo(p.getId());
      idle.rollback();
    }
  }

  @Test
  void aMalformedCursorIsRefused() throws Exception {
    BlockingQueue<Object> q = subscribe(operator, "not-a-cursor");
    Object first = q.poll(15, TimeUnit.SECONDS);
    assertThat(first).isInstanceOf(io.grpc.StatusRuntimeException.class);
    assertThat(Api.reason((Throwable) first)).isEqualTo("INVALID_FIELD");
  }

  @Test
  void aStreamEndsUnauthenticatedSoonAfterItsApiKeyIsRevoked() throws Exception {
    // Given an Operator key's stream, followed by the service
    io.spiremgmt.api.v1.CreateApiKeyResponse key =
        io.spiremgmt.backend.support.ApiKeys.createKey(
            admin, io.spiremgmt.backend.support.ApiKeys.key("Operator", List.of(), ""));
    Context.CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    BlockingQueue<Object> updates = new LinkedBlockingQueue<>();
    double before = liveStreams();
    ctx.run(
        () ->
            Api.requestsAsync(null)
                .withInterceptors(
                    io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(
                        io.spiremgmt.backend.support.ApiKeys.header(key.getSecret())))
                .withDeadlineAfter(90, TimeUnit.SECONDS)
                .streamEntryRequestUpdates(
                    StreamEntryRequestUpdatesRequest.getDefaultInstance(),
                    StreamQueue.into(updates)));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() > before);

    // When the key is revoked
    java.time.Instant revoked = java.time.Instant.now();
    io.spiremgmt.backend.support.ApiKeys.service(admin)
        .revokeApiKey(
            io.spiremgmt.api.v1.RevokeApiKeyRequest.newBuilder()
                .setId(key.getApiKey().getId())
                .build());

    // Then the stream ends UNAUTHENTICATED within seconds
    Object end = updates.poll(30, TimeUnit.SECONDS);
    assertThat(end).isInstanceOf(io.grpc.StatusRuntimeException.class);
    assertThat(((io.grpc.StatusRuntimeException) end).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
    assertThat(java.time.Duration.between(revoked, java.time.Instant.now()))
        .isLessThan(java.time.Duration.ofSeconds(15));
  }

  private static double liveStreams() {
    return Metrics.gauge("entry_request_update_streams");
  }

  private BlockingQueue<Object> subscribe(String token, String cursor) throws Exception {
    Context.CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    return subscribe(token, cursor, ctx);
  }

  private BlockingQueue<Object> subscribe(
      String token, String cursor, Context.CancellableContext ctx) throws Exception {
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    double before = liveStreams();
    ctx.run(
        () ->
            Api.requestsAsync(token)
                .streamEntryRequestUpdates(
                    StreamEntryRequestUpdatesRequest.newBuilder().setCursor(cursor).build(),
                    StreamQueue.into(queue)));
    // Live once the service follows it: only then does "from now on" include the next write.
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> liveStreams() > before || !queue.isEmpty());
    return queue;
  }

  private static List<EntryRequestUpdate> take(BlockingQueue<Object> queue, int n)
      throws Exception {
    List<EntryRequestUpdate> out = new ArrayList<>();
    while (out.size() < n) {
      Object next = queue.poll(15, TimeUnit.SECONDS);
      assertThat(next).as("update %d of %d", out.size() + 1, n).isNotNull();
      if (next instanceof Throwable t) {
        throw new AssertionError("stream failed", t);
      }
      out.add((EntryRequestUpdate) next);
    }
    return out;
  }
}
