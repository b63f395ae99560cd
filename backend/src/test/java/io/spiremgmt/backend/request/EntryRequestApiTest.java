package io.spiremgmt.backend.request;

import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static io.spiremgmt.backend.support.Requests.approve;
import static io.spiremgmt.backend.support.Requests.create;
import static io.spiremgmt.backend.support.Requests.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApprovalPolicy;
import io.spiremgmt.api.v1.ApproveEntryRequestRequest;
import io.spiremgmt.api.v1.CancelEntryRequestRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestState;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.GetEntryRequestRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListEntryRequestsRequest;
import io.spiremgmt.api.v1.ListEntryRequestsResponse;
import io.spiremgmt.api.v1.PreviewEntryRequestRequest;
import io.spiremgmt.api.v1.PreviewEntryRequestResponse;
import io.spiremgmt.api.v1.RejectEntryRequestRequest;
import io.spiremgmt.api.v1.RequestedChange;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteApprovalPolicy;
import io.spiremgmt.api.v1.SubmitEntryRequestRequest;
import io.spiremgmt.api.v1.UpdateApprovalPolicyRequest;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Requests;
import io.spiremgmt.backend.support.TestDatabase;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * EntryRequestService over real gRPC and PostgreSQL: the policy, the refusal of direct writes that
 * need approval, every transition and every refusal. Each test puts its own sites under a policy,
 * so tests do not see each other's settings.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryRequestApiTest {
  private final String admin = Api.adminToken("root@requests");
  private final String operator =
      Api.token("olga@requests", List.of("Operator"), java.util.Map.of());
  private final String operator2 =
      Api.token("oscar@requests", List.of("Operator"), java.util.Map.of());
  private final String developer = Api.developerToken("dana@requests", "payments");
  private final String viewer = Api.token("vic@requests", List.of("Viewer"), java.util.Map.of());
  private String td;

  @Inject RequestSweeper sweeper;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
  }

  private Site siteUnder(ApprovalMode mode, int approvals) {
    return Requests.siteUnder(admin, td, mode, approvals);
  }

  /** A Developer's entry in namespace payments (no DNS names). */
  private Entry.Builder devEntry(String path, String... sites) {
    return entry(td, "/ns/payments" + path, sites).clearDnsNames();
  }

  @Test
  void aDevelopersRequestWaitsForAnOperatorAndIsAppliedWithItsAuditTrail() {
    // Given a site where Developers' changes need one approval
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES, 1);

    // When the Developer writes directly, it is refused and nothing is written
    long before = DbProbe.queryLong("SELECT count(*) FROM workload_entries");
    assertFails(
        () ->
            Api.entries(developer)
                .createEntry(
                    CreateEntryRequest.newBuilder()
                        .setEntry(devEntry("/api", site.getId()))
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "APPROVAL_REQUIRED");
    assertThat(DbProbe.queryLong("SELECT count(*) FROM workload_entries")).isEqualTo(before);

    // When it submits the change instead
    EntryRequest pending =
        Api.requests(developer).submitEntryRequest(create(devEntry("/api", site.getId())));

    // Then it waits for one approval, and nothing is written yet
    assertThat(pending.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);
    assertThat(pending.getApprovalsRequired()).isEqualTo(1);
    assertThat(pending.getApprovalReasonsList())
        .containsExactly("site " + site.getName() + ": Developers' changes need approval");
    assertThat(pending.getNamespacesList()).containsExactly("payments");
    assertFails(
        () ->
            Api.entries(admin)
                .getEntry(GetEntryRequest.newBuilder().setId(pending.getEntryId()).build()),
        Status.Code.NOT_FOUND,
        "ENTRY_NOT_FOUND");

    // And the requester, a Developer or a Viewer cannot approve it
    assertFails(
        () -> Api.requests(developer).approveEntryRequest(approve(pending)),
        Status.Code.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED");
    assertFails(
        () -> Api.requests(viewer).approveEntryRequest(approve(pending)),
        Status.Code.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED");

    // When an Operator approves it
    EntryRequest applied = Api.requests(operator).approveEntryRequest(approve(pending));

    // Then the entry exists, written by the approver under the request's id
    assertThat(applied.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(applied.getDecidedBy()).isEqualTo("olga@requests");
    assertThat(applied.getApprovalsList())
        .extracting(a -> a.getApprover())
        .containsExactly("olga@requests");
    Entry created =
        Api.entries(admin)
            .getEntry(GetEntryRequest.newBuilder().setId(pending.getEntryId()).build());
    assertThat(created.getSpiffeId()).isEqualTo("spiffe://" + td + "/ns/payments/api");
    assertThat(applied.getAppliedEntry().getId()).isEqualTo(created.getId());
    assertThat(
            DbProbe.queryString(
                "SELECT actor || ' ' || request_id FROM audit_events WHERE action = 'entry.create'"
                    + " AND target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo("olga@requests " + pending.getId());
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE target_id = '"
                    + pending.getId()
                    + "'"))
        .isEqualTo("entry_request.submit,entry_request.apply");
    String applyEvent =
        DbProbe.queryString(
            "SELECT after_state::text FROM audit_events WHERE action = 'entry_request.apply'"
                + " AND target_id = '"
                + pending.getId()
                + "'");
    assertThat(applyEvent).contains("dana@requests").contains("olga@requests");

    // And a decision on a request that is no longer pending names its state
    StatusRuntimeException late =
        org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class,
            () -> Api.requests(operator2).approveEntryRequest(approve(pending)));
    assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(Api.reason(late)).isEqualTo("REQUEST_NOT_PENDING");
    assertThat(late.getStatus().getDescription()).contains("APPLIED");
  }

  @Test
  void withoutARuleAChangeIsAppliedAtOnceAndARetryReturnsTheSameRequest() {
    // Given a site without any approval setting
    Site site = Fixtures.site(admin, td);
    SubmitEntryRequestRequest submit =
        create(devEntry("/at-once", site.getId())).toBuilder().setRequestId("retry-1").build();

    // When a Developer submits a change twice with the same request id
    EntryRequest first = Api.requests(developer).submitEntryRequest(submit);
    EntryRequest second = Api.requests(developer).submitEntryRequest(submit);

    // Then it was applied at once, and the retry is the same request
    assertThat(first.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(first.getApprovalsRequired()).isZero();
    assertThat(second.getId()).isEqualTo(first.getId());
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM entry_requests WHERE client_request_id = 'retry-1'"
                    + " AND requester = 'dana@requests'"))
        .isEqualTo(1);
    assertThat(
            Api.entries(admin)
                .getEntry(GetEntryRequest.newBuilder().setId(first.getEntryId()).build())
                .getRevision())
        .isEqualTo(1);
  }

  @Test
  void theRequesterCannotApproveUnderAnotherCredentialOfTheSamePerson() {
    // Given a site where every change needs approval, an Admin's pending request, and an
    // Operator API key that Admin created
    String alice = Api.adminToken("alice@requests");
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    EntryRequest pending =
        Api.requests(alice).submitEntryRequest(create(entry(td, "/alice", site.getId())));
    assertThat(pending.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);
    String key = ApiKeys.createKey(alice, ApiKeys.key("Operator", List.of(), "")).getSecret();

    // When the key approves it, or alice herself
    // Then both are the requester: refused, and the request stays pending
    assertFails(
        () ->
            Api.requests(null)
                .withInterceptors(
                    io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(ApiKeys.header(key)))
                .approveEntryRequest(approve(pending)),
        Status.Code.PERMISSION_DENIED,
        "SELF_APPROVAL");
    assertFails(
        () -> Api.requests(alice).approveEntryRequest(approve(pending)),
        Status.Code.PERMISSION_DENIED,
        "SELF_APPROVAL");
    assertThat(
            Api.requests(admin)
                .getEntryRequest(GetEntryRequestRequest.newBuilder().setId(pending.getId()).build())
                .getState())
        .isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);

    // And an Operator's direct write there is refused, while an Admin's goes through, audited as a
    // bypass
    assertFails(
        () -> Fixtures.create(operator, entry(td, "/direct-op", site.getId())),
        Status.Code.FAILED_PRECONDITION,
        "APPROVAL_REQUIRED");
    Entry direct = Fixtures.create(admin, entry(td, "/direct-admin", site.getId()));
    assertThat(
            DbProbe.queryString(
                "SELECT after_state::text FROM audit_events WHERE action = 'entry.policy_bypass'"
                    + " AND target_id = '"
                    + direct.getId()
                    + "'"))
        .contains("every change needs approval");
  }

  @Test
  void aTwoApprovalSiteCountsEachPersonOnce() {
    // Given a request at a site that needs two approvers
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 2);
    EntryRequest pending =
        Api.requests(developer).submitEntryRequest(create(devEntry("/two", site.getId())));
    assertThat(pending.getApprovalsRequired()).isEqualTo(2);

    // When one Operator approves twice
    EntryRequest once = Api.requests(operator).approveEntryRequest(approve(pending));
    EntryRequest twice = Api.requests(operator).approveEntryRequest(approve(pending));

    // Then it counts once and the request still waits
    assertThat(once.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);
    assertThat(twice.getApprovalsCount()).isEqualTo(1);
    assertThat(twice.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);

    // When a second person approves
    EntryRequest applied = Api.requests(operator2).approveEntryRequest(approve(pending));

    // Then it is applied with both approvals
    assertThat(applied.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(applied.getApprovalsList())
        .extracting(a -> a.getApproverPerson())
        .containsExactlyInAnyOrder("olga@requests", "oscar@requests");
  }

  @Test
  void aStaleRequestGoesToConflictAndIsSupersededByANewOne() {
    // Given an entry and a pending update request based on its revision 1
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES, 1);
    Entry stored = Fixtures.create(admin, devEntry("/stale", site.getId()));
    EntryRequest pending =
        Api.requests(developer)
            .submitEntryRequest(update(stored.getId(), 1, Entry.newBuilder().setTtl(7200)));
    assertThat(pending.getEntryBefore().getTtl()).isEqualTo(3600);
    assertThat(pending.getProposedEntry().getTtl()).isEqualTo(7200);

    // When the entry changes before the approval
    Api.entries(admin)
        .updateEntry(
            UpdateEntryRequest.newBuilder()
                .setEntry(Entry.newBuilder().setId(stored.getId()).setRevision(1).setHint("moved"))
                .build());
    EntryRequest conflict = Api.requests(operator).approveEntryRequest(approve(pending));

    // Then the request is CONFLICT with both versions and the entry keeps its TTL
    assertThat(conflict.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_CONFLICT);
    assertThat(conflict.getConflictingEntry().getRevision()).isEqualTo(2);
    assertThat(conflict.getEntryBefore().getRevision()).isEqualTo(1);
    assertThat(
            Api.entries(admin)
                .getEntry(GetEntryRequest.newBuilder().setId(stored.getId()).build())
                .getTtl())
        .isEqualTo(3600);

    // When the requester submits a new request that supersedes it
    EntryRequest next =
        Api.requests(developer)
            .submitEntryRequest(
                update(stored.getId(), 2, Entry.newBuilder().setTtl(7200)).toBuilder()
                    .setSupersedes(pending.getId())
                    .build());

    // Then both are linked, and the old one cannot be superseded twice
    assertThat(next.getSupersedes()).isEqualTo(pending.getId());
    assertThat(
            Api.requests(developer)
                .getEntryRequest(GetEntryRequestRequest.newBuilder().setId(pending.getId()).build())
                .getSupersededBy())
        .isEqualTo(next.getId());
    assertFails(
        () ->
            Api.requests(developer)
                .submitEntryRequest(
                    create(devEntry("/other", site.getId())).toBuilder()
                        .setSupersedes(pending.getId())
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "REQUEST_NOT_SUPERSEDABLE");
    EntryRequest applied = Api.requests(operator).approveEntryRequest(approve(next));
    assertThat(applied.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(applied.getAppliedEntry().getTtl()).isEqualTo(7200);
  }

  @Test
  void aChangeThatNoLongerValidatesFailsWithTheDirectWritesReason() {
    // Given a pending create at a site that is then deleted
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    EntryRequest pending =
        Api.requests(developer).submitEntryRequest(create(devEntry("/gone", site.getId())));
    Api.sites(admin)
        .deleteSite(io.spiremgmt.api.v1.DeleteSiteRequest.newBuilder().setId(site.getId()).build());

    // When an Operator approves it
    EntryRequest failed = Api.requests(operator).approveEntryRequest(approve(pending));

    // Then it is FAILED with SITE_NOT_FOUND and nothing was written
    assertThat(failed.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_FAILED);
    assertThat(failed.getFailureReason()).isEqualTo("SITE_NOT_FOUND");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM workload_entries WHERE id = '" + pending.getEntryId() + "'"))
        .isZero();
  }

  @Test
  void rejectCancelAndExpiryEndARequestAndAreAudited() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    EntryRequest a =
        Api.requests(developer).submitEntryRequest(create(devEntry("/a", site.getId())));
    EntryRequest b =
        Api.requests(developer).submitEntryRequest(create(devEntry("/b", site.getId())));
    EntryRequest c =
        Api.requests(developer).submitEntryRequest(create(devEntry("/c", site.getId())));

    // A rejection needs a reason, and the requester cannot reject
    assertFails(
        () ->
            Api.requests(operator)
                .rejectEntryRequest(
                    RejectEntryRequestRequest.newBuilder().setId(a.getId()).build()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    EntryRequest rejected =
        Api.requests(operator)
            .rejectEntryRequest(
                RejectEntryRequestRequest.newBuilder()
                    .setId(a.getId())
                    .setReason("use the shared identity")
                    .build());
    assertThat(rejected.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_REJECTED);
    assertThat(rejected.getDecisionMessage()).isEqualTo("use the shared identity");

    // Only the requester cancels
    assertFails(
        () ->
            Api.requests(operator)
                .cancelEntryRequest(
                    CancelEntryRequestRequest.newBuilder().setId(b.getId()).build()),
        Status.Code.PERMISSION_DENIED,
        "NOT_REQUESTER");
    EntryRequest cancelled =
        Api.requests(developer)
            .cancelEntryRequest(CancelEntryRequestRequest.newBuilder().setId(b.getId()).build());
    assertThat(cancelled.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_CANCELLED);
    assertFails(
        () -> Api.requests(operator).approveEntryRequest(approve(b)),
        Status.Code.FAILED_PRECONDITION,
        "REQUEST_NOT_PENDING");

    // A request past its expiry is refused decisions and ended by the sweep
    DbProbe.execute(
        "UPDATE entry_requests SET expires_at = now() - interval '1 minute' WHERE id = '"
            + c.getId()
            + "'");
    assertFails(
        () -> Api.requests(operator).approveEntryRequest(approve(c)),
        Status.Code.FAILED_PRECONDITION,
        "REQUEST_NOT_PENDING");
    sweeper.sweep().await().indefinitely();
    EntryRequest expired =
        Api.requests(developer)
            .getEntryRequest(GetEntryRequestRequest.newBuilder().setId(c.getId()).build());
    assertThat(expired.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_EXPIRED);
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(action || ':' || actor, ',' ORDER BY id) FROM audit_events"
                    + " WHERE target_id IN ('"
                    + a.getId()
                    + "', '"
                    + b.getId()
                    + "', '"
                    + c.getId()
                    + "')"
                    + " AND action <> 'entry_request.submit'"))
        .isEqualTo(
            "entry_request.reject:olga@requests,entry_request.cancel:dana@requests,entry_request.expire:system");

    // Unknown and malformed ids
    assertFails(
        () ->
            Api.requests(operator)
                .approveEntryRequest(
                    ApproveEntryRequestRequest.newBuilder()
                        .setId(java.util.UUID.randomUUID().toString())
                        .build()),
        Status.Code.NOT_FOUND,
        "REQUEST_NOT_FOUND");
    assertFails(
        () ->
            Api.requests(operator)
                .approveEntryRequest(ApproveEntryRequestRequest.newBuilder().setId("nope").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
  }

  @Test
  void concurrentApprovalsLetExactlyOneDecisionWin() throws Exception {
    // Given eight pending requests, each approved by two Operators at the same moment
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int i = 0; i < 8; i++) {
        EntryRequest pending =
            Api.requests(developer)
                .submitEntryRequest(create(devEntry("/race-" + i, site.getId())));
        List<Callable<Status.Code>> calls = new ArrayList<>();
        for (String token : List.of(operator, operator2)) {
          calls.add(
              () -> {
                try {
                  Api.requests(token).approveEntryRequest(approve(pending));
                  return Status.Code.OK;
                } catch (StatusRuntimeException e) {
                  return e.getStatus().getCode();
                }
              });
        }
        // When both decide
        List<Status.Code> codes = new ArrayList<>();
        for (Future<Status.Code> f : pool.invokeAll(calls)) {
          codes.add(f.get());
        }

        // Then exactly one wins; the other is told the request is taken or decided
        assertThat(codes).containsOnlyOnce(Status.Code.OK);
        assertThat(codes)
            .filteredOn(c -> c != Status.Code.OK)
            .allMatch(c -> c == Status.Code.ABORTED || c == Status.Code.FAILED_PRECONDITION);
        assertThat(
                DbProbe.queryLong(
                    "SELECT count(*) FROM audit_events WHERE action = 'entry.create' AND target_id = '"
                        + pending.getEntryId()
                        + "'"))
            .isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void listsShowMineAndAwaitingMyDecisionWithinTheCallersScope() {
    // Given requests of two Developers in different namespaces
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    String other = Api.developerToken("erin@requests", "ledger");
    EntryRequest mine =
        Api.requests(developer).submitEntryRequest(create(devEntry("/list", site.getId())));
    EntryRequest theirs =
        Api.requests(other)
            .submitEntryRequest(
                create(
                    entry(td, "/ns/ledger/list", site.getId())
                        .clearDnsNames()
                        .clearSelectors()
                        .addSelectors(Fixtures.selector("k8s:ns", "ledger"))));

    // Then the first Developer lists its own, never the other's, and cannot read it
    ListEntryRequestsResponse devList =
        Api.requests(developer)
            .listEntryRequests(
                ListEntryRequestsRequest.newBuilder().setSiteId(site.getId()).build());
    assertThat(devList.getEntryRequestsList())
        .extracting(EntryRequest::getId)
        .containsExactly(mine.getId());
    assertFails(
        () ->
            Api.requests(developer)
                .getEntryRequest(GetEntryRequestRequest.newBuilder().setId(theirs.getId()).build()),
        Status.Code.NOT_FOUND,
        "REQUEST_NOT_FOUND");

    // And an Operator sees both awaiting its decision, newest first, one per page
    ListEntryRequestsResponse page1 =
        Api.requests(operator)
            .listEntryRequests(
                ListEntryRequestsRequest.newBuilder()
                    .setAwaitingMyDecision(true)
                    .setSiteId(site.getId())
                    .setPageSize(1)
                    .build());
    assertThat(page1.getEntryRequestsList())
        .extracting(EntryRequest::getId)
        .containsExactly(theirs.getId());
    ListEntryRequestsResponse page2 =
        Api.requests(operator)
            .listEntryRequests(
                ListEntryRequestsRequest.newBuilder()
                    .setAwaitingMyDecision(true)
                    .setSiteId(site.getId())
                    .setPageSize(1)
                    .setPageToken(page1.getNextPageToken())
                    .build());
    assertThat(page2.getEntryRequestsList())
        .extracting(EntryRequest::getId)
        .containsExactly(mine.getId());

    // And a page token does not cross callers
    assertFails(
        () ->
            Api.requests(operator2)
                .listEntryRequests(
                    ListEntryRequestsRequest.newBuilder()
                        .setAwaitingMyDecision(true)
                        .setSiteId(site.getId())
                        .setPageSize(1)
                        .setPageToken(page1.getNextPageToken())
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");

    // And once approved, it no longer awaits that Operator
    Api.requests(operator).approveEntryRequest(approve(mine));
    assertThat(
            Api.requests(operator)
                .listEntryRequests(
                    ListEntryRequestsRequest.newBuilder()
                        .setAwaitingMyDecision(true)
                        .setSiteId(site.getId())
                        .build())
                .getEntryRequestsList())
        .extracting(EntryRequest::getId)
        .containsExactly(theirs.getId());
    assertThat(
            Api.requests(developer)
                .listEntryRequests(
                    ListEntryRequestsRequest.newBuilder()
                        .setMine(true)
                        .setSiteId(site.getId())
                        .build())
                .getEntryRequestsList())
        .extracting(EntryRequest::getState)
        .containsExactly(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
  }

  @Test
  void previewNamesEveryProblemAndWhoMustApproveWritingNothing() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES, 2);
    java.util.Map<String, String> before = DbProbe.snapshot();

    // A broken change: every field problem at once
    PreviewEntryRequestResponse broken =
        Api.requests(developer)
            .previewEntryRequest(
                PreviewEntryRequestRequest.newBuilder()
                    .setChange(
                        RequestedChange.newBuilder()
                            .setCreate(devEntry("/p", site.getId()).setSpiffeId("nope").setTtl(3)))
                    .build());
    assertThat(broken.getValid()).isFalse();
    assertThat(broken.getProblemsList())
        .extracting(p -> p.getField())
        .contains("justification", "change.create.spiffe_id", "change.create.ttl");

    // A good one: who must approve
    PreviewEntryRequestResponse good =
        Api.requests(developer)
            .previewEntryRequest(
                PreviewEntryRequestRequest.newBuilder()
                    .setChange(RequestedChange.newBuilder().setCreate(devEntry("/p", site.getId())))
                    .setJustification("why not")
                    .build());
    assertThat(good.getValid()).isTrue();
    assertThat(good.getApprovalRequired()).isTrue();
    assertThat(good.getApprovalsRequired()).isEqualTo(2);
    assertThat(good.getApproverRolesList()).containsExactly("Admin", "Operator");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void thePolicyIsReadByEveryoneAndChangedByAdminsAtTheirRevision() {
    ApprovalPolicy policy =
        Api.requests(viewer).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
    assertFails(
        () ->
            Api.requests(operator)
                .updateApprovalPolicy(
                    UpdateApprovalPolicyRequest.newBuilder().setPolicy(policy).build()),
        Status.Code.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED");
    assertFails(
        () ->
            Api.requests(admin)
                .updateApprovalPolicy(
                    UpdateApprovalPolicyRequest.newBuilder()
                        .setPolicy(policy.toBuilder().setRevision(policy.getRevision() + 5))
                        .build()),
        Status.Code.ABORTED,
        "STALE_REVISION");
    assertFails(
        () ->
            Api.requests(admin)
                .updateApprovalPolicy(
                    UpdateApprovalPolicyRequest.newBuilder()
                        .setPolicy(
                            policy.toBuilder()
                                .addSites(
                                    SiteApprovalPolicy.newBuilder()
                                        .setSiteId(java.util.UUID.randomUUID().toString())
                                        .setMode(ApprovalMode.APPROVAL_MODE_ALL_CHANGES)))
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    Site site = Fixtures.site(admin, td);
    assertFails(
        () ->
            Api.requests(admin)
                .updateApprovalPolicy(
                    UpdateApprovalPolicyRequest.newBuilder()
                        .setPolicy(
                            policy.toBuilder()
                                .addSites(
                                    SiteApprovalPolicy.newBuilder()
                                        .setSiteId(site.getId())
                                        .setMode(ApprovalMode.APPROVAL_MODE_ALL_CHANGES)
                                        .setApprovalsRequired(3)))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertThat(
            Api.requests(viewer)
                .getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance())
                .getRevision())
        .isEqualTo(policy.getRevision());
  }

  @Test
  void aRuleNeedsApprovalWhateverTheSiteSays() {
    // Given the DNS names rule switched on
    ApprovalPolicy policy =
        Api.requests(admin).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
    ApprovalPolicy ruled =
        Api.requests(admin)
            .updateApprovalPolicy(
                UpdateApprovalPolicyRequest.newBuilder()
                    .setPolicy(
                        policy.toBuilder()
                            .setRules(policy.getRules().toBuilder().setDnsNames(true)))
                    .build());
    try {
      Site site = Fixtures.site(admin, td);
      // Then an Operator's entry with DNS names needs approval, one without does not
      assertFails(
          () -> Fixtures.create(operator, entry(td, "/dns", site.getId())),
          Status.Code.FAILED_PRECONDITION,
          "APPROVAL_REQUIRED");
      Fixtures.create(operator, entry(td, "/no-dns", site.getId()).clearDnsNames());
      EntryRequest pending =
          Api.requests(operator).submitEntryRequest(create(entry(td, "/dns", site.getId())));
      assertThat(pending.getApprovalReasonsList()).containsExactly("rule: DNS names need approval");
      assertThat(pending.getApprovalsRequired()).isEqualTo(1);
    } finally {
      ApprovalPolicy now =
          Api.requests(admin).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
      Api.requests(admin)
          .updateApprovalPolicy(
              UpdateApprovalPolicyRequest.newBuilder()
                  .setPolicy(now.toBuilder().setRules(policy.getRules()))
                  .build());
    }
    assertThat(ruled.getRules().getDnsNames()).isTrue();
  }

  @Test
  void aDeleteRequestRemovesTheEntryOnApproval() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES, 1);
    Entry stored = Fixtures.create(admin, devEntry("/del", site.getId()));
    assertFails(
        () ->
            Api.entries(developer)
                .deleteEntry(DeleteEntryRequest.newBuilder().setId(stored.getId()).build()),
        Status.Code.FAILED_PRECONDITION,
        "APPROVAL_REQUIRED");
    EntryRequest pending =
        Api.requests(developer)
            .submitEntryRequest(
                SubmitEntryRequestRequest.newBuilder()
                    .setChange(
                        RequestedChange.newBuilder()
                            .setDelete(
                                io.spiremgmt.api.v1.EntryDelete.newBuilder()
                                    .setId(stored.getId())
                                    .setRevision(stored.getRevision())))
                    .setJustification("retired")
                    .build());
    EntryRequest applied = Api.requests(operator).approveEntryRequest(approve(pending));
    assertThat(applied.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_APPLIED);
    assertThat(
            Api.entries(admin)
                .getEntry(GetEntryRequest.newBuilder().setId(stored.getId()).build())
                .hasDeleteTime())
        .isTrue();
    assertThat(
            Api.audit(admin)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setTargetType("entry_request")
                        .setTargetId(pending.getId())
                        .build())
                .getAuditEventsCount())
        .isEqualTo(2);
  }

  @Test
  void badInputIsRefusedNamingTheFieldAndWritesNothing() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    java.util.Map<String, String> before = DbProbe.snapshot();
    record Case(SubmitEntryRequestRequest request, Status.Code code, String reason, String field) {}
    SubmitEntryRequestRequest good = create(devEntry("/bad", site.getId()));
    List<Case> cases =
        List.of(
            new Case(
                good.toBuilder().clearChange().build(),
                Status.Code.INVALID_ARGUMENT,
                "MISSING_FIELD",
                "change"),
            new Case(
                good.toBuilder().setJustification(" ").build(),
                Status.Code.INVALID_ARGUMENT,
                "MISSING_FIELD",
                "justification"),
            new Case(
                good.toBuilder().setJustification("x".repeat(2001)).build(),
                Status.Code.INVALID_ARGUMENT,
                "INVALID_FIELD",
                "justification"),
            new Case(
                good.toBuilder().setJustification("a\u0000b").build(),
                Status.Code.INVALID_ARGUMENT,
                "INVALID_FIELD",
                "justification"),
            new Case(
                create(devEntry("/bad", site.getId()).setSpiffeId("spiffe://x/../y")),
                Status.Code.INVALID_ARGUMENT,
                "INVALID_SPIFFE_ID",
                "change.create.spiffe_id"),
            new Case(
                create(devEntry("/bad", java.util.UUID.randomUUID().toString())),
                Status.Code.NOT_FOUND,
                "SITE_NOT_FOUND",
                "change.create.site_ids"),
            new Case(
                update(java.util.UUID.randomUUID().toString(), 0, Entry.newBuilder().setTtl(60)),
                Status.Code.INVALID_ARGUMENT,
                "MISSING_FIELD",
                "change.update.entry.revision"),
            new Case(
                good.toBuilder().setSupersedes("nope").build(),
                Status.Code.INVALID_ARGUMENT,
                "INVALID_ID",
                "supersedes"),
            new Case(
                good.toBuilder().setSupersedes(java.util.UUID.randomUUID().toString()).build(),
                Status.Code.NOT_FOUND,
                "REQUEST_NOT_FOUND",
                "supersedes"),
            // A Developer's change outside its namespaces
            new Case(
                create(
                    entry(td, "/ns/ledger/x", site.getId())
                        .clearDnsNames()
                        .clearSelectors()
                        .addSelectors(Fixtures.selector("k8s:ns", "ledger"))),
                Status.Code.PERMISSION_DENIED,
                "OUTSIDE_SCOPE",
                "entry"));
    for (Case c : cases) {
      StatusRuntimeException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              StatusRuntimeException.class,
              () -> Api.requests(developer).submitEntryRequest(c.request()));
      assertThat(e.getStatus().getCode()).as(c.toString()).isEqualTo(c.code());
      assertThat(Api.reason(e)).as(e.getStatus().toString()).isEqualTo(c.reason());
      assertThat(Api.errorInfo(e).getMetadataMap().get("field"))
          .as(e.getStatus().toString())
          .isEqualTo(c.field());
    }
    assertFails(
        () ->
            Api.requests(operator)
                .listEntryRequests(
                    ListEntryRequestsRequest.newBuilder()
                        .addStates(EntryRequestState.ENTRY_REQUEST_STATE_UNSPECIFIED)
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.requests(operator)
                .listEntryRequests(
                    ListEntryRequestsRequest.newBuilder().setPageToken("junk").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
    // Denials are audited; nothing else changed
    java.util.Map<String, String> after = DbProbe.snapshot();
    after.remove("audit_events");
    before.remove("audit_events");
    assertThat(after).isEqualTo(before);
  }

  @Test
  void aDeveloperCannotSeeOrCancelAnotherNamespacesRequest() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    String other = Api.developerToken("erin@requests", "ledger");
    EntryRequest mine =
        Api.requests(developer).submitEntryRequest(create(devEntry("/hidden", site.getId())));
    assertFails(
        () ->
            Api.requests(other)
                .cancelEntryRequest(
                    CancelEntryRequestRequest.newBuilder().setId(mine.getId()).build()),
        Status.Code.NOT_FOUND,
        "REQUEST_NOT_FOUND");
    // A Developer of the same namespace sees it but cannot cancel it
    String colleague = Api.developerToken("finn@requests", "payments");
    assertThat(
            Api.requests(colleague)
                .getEntryRequest(GetEntryRequestRequest.newBuilder().setId(mine.getId()).build())
                .getRequester())
        .isEqualTo("dana@requests");
    assertFails(
        () ->
            Api.requests(colleague)
                .cancelEntryRequest(
                    CancelEntryRequestRequest.newBuilder().setId(mine.getId()).build()),
        Status.Code.PERMISSION_DENIED,
        "NOT_REQUESTER");
  }

  @Test
  void theGaugesCountPendingRequestsPerSite() {
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_ALL_CHANGES, 1);
    EntryRequest old =
        Api.requests(developer).submitEntryRequest(create(devEntry("/g1", site.getId())));
    Api.requests(developer).submitEntryRequest(create(devEntry("/g2", site.getId())));
    // The first was submitted two hours ago (still pending: it expires after 7 days).
    DbProbe.execute(
        "UPDATE entry_requests SET created_at = now() - interval '2 hours' WHERE id = '"
            + old.getId()
            + "'");
    sweeper.sweep().await().indefinitely();
    assertThat(
            io.spiremgmt.backend.support.Metrics.gauge(
                "entry_requests_pending{site=\"" + site.getId() + "\"}"))
        .isEqualTo(2.0);
    assertThat(io.spiremgmt.backend.support.Metrics.gauge("entry_requests_oldest_pending_seconds"))
        .isGreaterThanOrEqualTo(7200.0);
  }

  @Test
  void aDeveloperNoLongerSeesTheCurrentEntryOnceItLeftItsNamespaces() {
    // Given a Developer's update request of an entry in its namespace
    Site site = siteUnder(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES, 1);
    Entry stored = Fixtures.create(admin, devEntry("/moved", site.getId()));
    EntryRequest r =
        Api.requests(developer)
            .submitEntryRequest(update(stored.getId(), 1, Entry.newBuilder().setTtl(7200)));
    GetEntryRequestRequest get = GetEntryRequestRequest.newBuilder().setId(r.getId()).build();
    assertThat(Api.requests(developer).getEntryRequest(get).getEntryCurrent().getRevision())
        .isEqualTo(1);

    // When an Admin moves the entry to another namespace
    Api.entries(admin)
        .updateEntry(
            UpdateEntryRequest.newBuilder()
                .setEntry(
                    Entry.newBuilder()
                        .setId(stored.getId())
                        .setRevision(1)
                        .addSelectors(Fixtures.selector("k8s:ns", "ledger")))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("selectors"))
                .build());

    // Then the Developer still sees its request, but not the entry as it is now
    assertThat(Api.requests(developer).getEntryRequest(get).hasEntryCurrent()).isFalse();
    assertThat(Api.requests(operator).getEntryRequest(get).getEntryCurrent().getRevision())
        .isEqualTo(2);
  }
}
