package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.Context.CancellableContext;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApprovalPolicy;
import io.spiremgmt.api.v1.ApproveEntryRequestRequest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestState;
import io.spiremgmt.api.v1.EntryRequestUpdate;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.RequestedChange;
import io.spiremgmt.api.v1.SiteApprovalPolicy;
import io.spiremgmt.api.v1.StreamEntryRequestUpdatesRequest;
import io.spiremgmt.api.v1.SubmitEntryRequestRequest;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.UpdateApprovalPolicyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Self-service with approval, end to end: a Developer's entry request, approved by an Operator on
 * one backend replica and followed live on another, is applied through the write path and reaches a
 * real SPIRE server through a real site agent, with its audit trail naming the approver and the
 * request.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EntryRequestEndToEndTest {
  private static final String DEVELOPER = "dana@e2e";
  private static final String OPERATOR = "olga@e2e";

  private static Cluster cluster;
  private static Converge converge;
  private static int second;
  private static String developer;
  private static String operator;

  private final List<CancellableContext> streams = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    // One site with its SPIRE server, two backend replicas on one database, and the site's agent
    // (which talks to replica 0)
    cluster = Cluster.start(Map.of("a", Cluster.PROD));
    converge = new Converge(cluster);
    second = cluster.startBackend();
    cluster.startAgent("a", "e2e-a", Map.of());
    developer =
        cluster.token(DEVELOPER, Set.of("Developer"), Map.of("namespaces", List.of("payments")));
    operator = cluster.token(OPERATOR, Set.of("Operator"), Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void cancelStreams() {
    streams.forEach(c -> c.cancel(null));
  }

  @Test
  void aDevelopersRequestApprovedByAnOperatorIsStreamedAcrossReplicasAndReachesSpire()
      throws Exception {
    // Given: the Admin puts site A under approval for Developers' changes
    ApprovalPolicy policy =
        cluster.requests(0).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
    cluster
        .requests(0)
        .updateApprovalPolicy(
            UpdateApprovalPolicyRequest.newBuilder()
                .setPolicy(
                    policy.toBuilder()
                        .addSites(
                            SiteApprovalPolicy.newBuilder()
                                .setSiteId(cluster.site("a").getId())
                                .setMode(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES)
                                .setApprovalsRequired(1)))
                .build());

    // Given: the Developer follows its requests on replica 1, from now on
    Updates onSecond = subscribe(second, "");
    await()
        .atMost(Converge.WITHIN)
        .until(
            () ->
                onSecond.open()
                    && cluster.backend(second).metric("entry_request_update_streams") == 1.0);

    // When: the Developer writes an entry of its namespace for site A directly, on replica 0
    Entry.Builder wanted = converge.inNamespace(Cluster.PROD, "payments", "checkout", "a");
    StatusRuntimeException direct =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                cluster
                    .entries(0, developer)
                    .createEntry(CreateEntryRequest.newBuilder().setEntry(wanted).build()));

    // Then: it is refused, pointing to SubmitEntryRequest
    assertThat(direct).as("the Developer's direct CreateEntry").isNotNull();
    assertThat(direct.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(reason(direct)).isEqualTo("APPROVAL_REQUIRED");
    assertThat(direct.getStatus().getDescription()).contains("SubmitEntryRequest");

    // When: it submits the same entry for approval, on replica 0
    EntryRequest pending = cluster.requests(0, developer).submitEntryRequest(create(wanted));

    // Then: it waits for one approval, and there is no entry yet
    assertThat(pending.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);
    assertThat(pending.getApprovalsRequired()).isEqualTo(1);
    assertThat(pending.getRequester()).isEqualTo(DEVELOPER);
    assertThat(converge.purged(pending.getEntryId())).as("no entry before approval").isTrue();

    // Then: replica 1 streams the submission to the Developer
    EntryRequestUpdate submitted = onSecond.next();
    assertThat(submitted.getEvent()).isEqualTo("submit");
    assertThat(submitted.getActor()).isEqualTo(DEVELOPER);
    assertThat(submitted.getEntryRequest().getId()).isEqualTo(pending.getId());
    assertThat(submitted.getEntryRequest().getState())
        .isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);

    // When: an Operator approves it, on replica 0
    EntryRequest applied =
        cluster
            .requests(0, operator)
            .approveEntryRequest(
                ApproveEntryRequestRequest.newBuilder()
                    .setId(pending.getId())
                    .setComment("checked the workload")
                    .build());

    // Then: it is applied at once, as the approver's write
    assertThat(applied.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(applied.getDecidedBy()).isEqualTo(OPERATOR);
    Entry entry = applied.getAppliedEntry();
    assertThat(entry.getId()).isEqualTo(pending.getEntryId());
    assertThat(entry.getSpiffeId()).isEqualTo(wanted.getSpiffeId());

    // Then: replica 1 streams the application next, nothing in between
    EntryRequestUpdate apply = onSecond.next();
    assertThat(apply.getEvent()).isEqualTo("apply");
    assertThat(apply.getActor()).isEqualTo(OPERATOR);
    assertThat(apply.getEntryRequest().getId()).isEqualTo(pending.getId());
    assertThat(apply.getEntryRequest().getState())
        .isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);

    // When: the Developer resumes on replica 0 after the submission it saw on replica 1
    Updates onFirst = subscribe(0, submitted.getCursor());

    // Then: replica 0 delivers the application, at the same position in the log
    EntryRequestUpdate resumed = onFirst.next();
    assertThat(resumed.getEvent()).isEqualTo("apply");
    assertThat(resumed.getEntryRequest().getId()).isEqualTo(pending.getId());
    assertThat(resumed.getCursor()).isEqualTo(apply.getCursor());

    // When: the Developer submits another request
    EntryRequest next =
        cluster
            .requests(0, developer)
            .submitEntryRequest(
                create(converge.inNamespace(Cluster.PROD, "payments", "ledger", "a")));

    // Then: it is what both streams show next: the application came once, and only once
    EntryRequestUpdate afterResumed = onFirst.next();
    EntryRequestUpdate afterApply = onSecond.next();
    assertThat(List.of(afterResumed, afterApply))
        .allSatisfy(
            u -> {
              assertThat(u.getEntryRequest().getId()).isEqualTo(next.getId());
              assertThat(u.getEvent()).isEqualTo("submit");
            });

    // Then: the site's agent puts the entry into site A's SPIRE server, and it is SYNCED there
    converge.held("a", entry);
    converge.synced(entry.getId(), 1, "a");
    assertThat(
            cluster
                .entries(second, developer)
                .getEntry(GetEntryRequest.newBuilder().setId(entry.getId()).build())
                .getSiteStatusesList())
        .as("the entry as the Developer reads it on replica 1")
        .extracting(EntrySiteStatus::getSyncState)
        .containsExactly(SyncState.SYNC_STATE_SYNCED);

    // Then: the entry's creation is audited as the Operator's write under the request's id
    List<AuditEvent> creations =
        cluster
            .audit(second)
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setTargetType("entry")
                    .setTargetId(entry.getId())
                    .build())
            .getAuditEventsList()
            .stream()
            .filter(e -> e.getAction().equals("entry.create"))
            .toList();
    assertThat(creations)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo(OPERATOR);
              assertThat(e.getRequestId()).isEqualTo(pending.getId());
            });

    // Then: the request's own trail shows who submitted it and who applied it (newest first)
    assertThat(
            cluster
                .audit(second)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setTargetType("entry_request")
                        .setTargetId(pending.getId())
                        .build())
                .getAuditEventsList())
        .extracting(e -> e.getAction() + " by " + e.getActor())
        .containsExactly(
            "entry_request.apply by " + OPERATOR, "entry_request.submit by " + DEVELOPER);
  }

  // ---- helpers ----

  /** A request to create {@code entry}. */
  private static SubmitEntryRequestRequest create(Entry.Builder entry) {
    return SubmitEntryRequestRequest.newBuilder()
        .setChange(RequestedChange.newBuilder().setCreate(entry))
        .setJustification("the checkout service moves to site A")
        .build();
  }

  /** The ErrorInfo reason of a failed call, or null. */
  private static String reason(StatusRuntimeException e) throws InvalidProtocolBufferException {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        return detail.unpack(ErrorInfo.class).getReason();
      }
    }
    return null;
  }

  /** The Developer's StreamEntryRequestUpdates on replica {@code backend}, after {@code cursor}. */
  private Updates subscribe(int backend, String cursor) {
    Updates updates = new Updates();
    CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    ctx.run(
        () ->
            cluster
                .requestsAsync(backend, developer)
                .streamEntryRequestUpdates(
                    StreamEntryRequestUpdatesRequest.newBuilder().setCursor(cursor).build(),
                    updates));
    return updates;
  }

  /**
   * The updates of one StreamEntryRequestUpdates call, in the order they came. The stream is meant
   * to stay open: once it fails or completes, {@link #open()} and {@link #next()} throw with its
   * error.
   */
  private static final class Updates implements StreamObserver<EntryRequestUpdate> {
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

    @Override
    public void onNext(EntryRequestUpdate u) {
      queue.add(u);
    }

    @Override
    public void onError(Throwable t) {
      queue.add(t);
    }

    @Override
    public void onCompleted() {
      queue.add(new IllegalStateException("the server completed the stream"));
    }

    /** True while the stream is open; throws with the stream's error once it has ended. */
    boolean open() {
      for (Object o : queue) {
        if (o instanceof Throwable t) {
          throw new IllegalStateException("StreamEntryRequestUpdates ended: " + t, t);
        }
      }
      return true;
    }

    /** The next update, waiting for it. */
    EntryRequestUpdate next() throws InterruptedException {
      Object next = queue.poll(Converge.WITHIN.toSeconds(), TimeUnit.SECONDS);
      assertThat(next).as("the stream's next update").isNotNull();
      if (next instanceof Throwable t) {
        throw new AssertionError("StreamEntryRequestUpdates ended", t);
      }
      return (EntryRequestUpdate) next;
    }
  }
}
