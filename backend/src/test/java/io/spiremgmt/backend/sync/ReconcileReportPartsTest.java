package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesResponse;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteAgentStatus;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ReportReconcile in parts: a report larger than one message (the server takes at most 4 MiB) is
 * sent as parts under one reconcile id, staged out of sight, and lands whole with its last part.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ReconcileReportPartsTest {
  private static final int MAX_MESSAGE = 4 * 1024 * 1024;
  private static final int PART_BYTES = 1024 * 1024;

  private final String token = Api.adminToken("agent@reconcile-parts");

  @Inject BackgroundDuties duties;
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
    acquire("agent-a");
  }

  @Test
  void aReportLargerThanOneMessageLandsCompleteWhenSentInParts() {
    // Given: 1,100 unmanaged entries with long selectors, over 4 MiB together, which the server
    // refuses as one message
    List<UnmanagedEntry> all = new ArrayList<>();
    for (int i = 0; i < 1100; i++) {
      all.add(longUnmanaged(String.format("u-%05d", i)));
    }
    ReportReconcileRequest whole = whole(all.size(), all);
    assertThat(whole.getSerializedSize()).isGreaterThan(MAX_MESSAGE);
    assertThatThrownBy(() -> Api.sync(token).reportReconcile(whole))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));

    // When: it is sent in parts of at most 1 MiB of entries
    List<List<UnmanagedEntry>> parts = partsOf(all);
    String reconcileId = UUID.randomUUID().toString();
    for (int i = 0; i < parts.size(); i++) {
      Api.sync(token)
          .reportReconcile(part(reconcileId, i < parts.size() - 1, all.size(), parts.get(i)));
    }

    // Then: every entry is listed once, and site health counts them all
    assertThat(parts).hasSizeGreaterThan(4);
    assertThat(listAll()).containsExactlyElementsOf(all);
    assertThat(health().getUnmanagedCount()).isEqualTo(1100);
    assertThat(stagedRows()).isZero();
  }

  @Test
  void stagedPartsStayOutOfSightUntilTheLastPartLands() {
    // Given: the site's last reconcile listed one entry
    Api.sync(token).reportReconcile(whole(1, List.of(unmanaged("old-1"))));
    String reconcileId = UUID.randomUUID().toString();

    // When: two parts of the next reconcile arrive, but not its last
    Api.sync(token)
        .reportReconcile(part(reconcileId, true, 3, List.of(unmanaged("u-1"), unmanaged("u-2"))));
    Api.sync(token).reportReconcile(part(reconcileId, true, 3, List.of(unmanaged("u-3"))));

    // Then: the previous reconcile is still what the site shows
    assertThat(listAll()).containsExactly(unmanaged("old-1"));
    assertThat(health().getUnmanagedCount()).isEqualTo(1);
    assertThat(stagedRows()).isEqualTo(3);

    // When: the last part lands
    Api.sync(token).reportReconcile(part(reconcileId, false, 4, List.of(unmanaged("u-4"))));

    // Then
    assertThat(listAll())
        .containsExactly(unmanaged("u-1"), unmanaged("u-2"), unmanaged("u-3"), unmanaged("u-4"));
    assertThat(health().getUnmanagedCount()).isEqualTo(4);
    assertThat(stagedRows()).isZero();
  }

  @Test
  void aNewReconcileDiscardsWhatAnAbandonedOneStaged() {
    // Given: a reconcile that sent one part and was never finished
    String abandoned = UUID.randomUUID().toString();
    Api.sync(token)
        .reportReconcile(part(abandoned, true, 2, List.of(unmanaged("a-1"), unmanaged("a-2"))));

    // When: the next reconcile sends its first part
    String next = UUID.randomUUID().toString();
    Api.sync(token).reportReconcile(part(next, true, 2, List.of(unmanaged("b-1"))));

    // Then: nothing of the abandoned one is left
    assertThat(stagedRows(abandoned)).isZero();
    assertThat(stagedRows(next)).isEqualTo(1);

    // When: it finishes
    Api.sync(token).reportReconcile(part(next, false, 2, List.of(unmanaged("b-2"))));

    // Then: only its entries are listed
    assertThat(listAll()).containsExactly(unmanaged("b-1"), unmanaged("b-2"));
    assertThat(stagedRows()).isZero();
  }

  @Test
  void theBackgroundDutiesPurgeAReconcileAbandonedOverAnHourAgoAndKeepAFreshOne() {
    // Given: this site's reconcile that sent one part two hours ago and never finished
    String abandoned = UUID.randomUUID().toString();
    Api.sync(token)
        .reportReconcile(part(abandoned, true, 2, List.of(unmanaged("a-1"), unmanaged("a-2"))));
    DbProbe.execute(
        "UPDATE site_unmanaged_staged SET staged_at = now() - interval '2 hours'"
            + " WHERE reconcile_id = '"
            + abandoned
            + "'");
    // and another site's reconcile in progress, staged just now
    Site other = Fixtures.site(token, Fixtures.trustDomain());
    Api.sync(token)
        .acquireLease(
            AcquireLeaseRequest.newBuilder()
                .setSiteId(other.getId())
                .setAgentId("agent-o")
                .setAgentVersion("1.2.3")
                .setSpireReachable(true)
                .build());
    String fresh = UUID.randomUUID().toString();
    Api.sync(token)
        .reportReconcile(
            part(fresh, true, 2, List.of(unmanaged("o-1"))).toBuilder()
                .setSiteId(other.getId())
                .setAgentId("agent-o")
                .build());

    // When: the background duties run
    assertThat(duties.runOnce().await().atMost(Duration.ofSeconds(30))).isTrue();

    // Then: the abandoned parts are gone, the fresh ones wait for their last part
    assertThat(stagedRows(abandoned)).isZero();
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM site_unmanaged_staged WHERE reconcile_id = '" + fresh + "'"))
        .isEqualTo(1);
  }

  @Test
  void aReportInOneMessageDiscardsStagedPartsAndReplacesTheList() {
    // Given: a staged part of an unfinished reconcile
    Api.sync(token)
        .reportReconcile(part(UUID.randomUUID().toString(), true, 5, List.of(unmanaged("p-1"))));

    // When: an agent that sends its report in one message reports
    Api.sync(token).reportReconcile(whole(3, List.of(unmanaged("w-1"), unmanaged("w-2"))));

    // Then
    assertThat(listAll()).containsExactly(unmanaged("w-1"), unmanaged("w-2"));
    assertThat(health().getUnmanagedCount()).isEqualTo(3);
    assertThat(stagedRows()).isZero();
  }

  @Test
  void aRepeatedPartListsItsEntriesOnce() {
    // Given
    String reconcileId = UUID.randomUUID().toString();
    ReportReconcileRequest first =
        part(reconcileId, true, 3, List.of(unmanaged("u-1"), unmanaged("u-2")));
    ReportReconcileRequest last = part(reconcileId, false, 3, List.of(unmanaged("u-3")));

    // When: the first part is sent again (its answer was lost), then the last part
    Api.sync(token).reportReconcile(first);
    Api.sync(token).reportReconcile(first);
    Api.sync(token).reportReconcile(last);

    // Then
    assertThat(listAll()).containsExactly(unmanaged("u-1"), unmanaged("u-2"), unmanaged("u-3"));
    assertThat(health().getUnmanagedCount()).isEqualTo(3);

    // When: every part is sent again (the last part's answer was lost)
    Map<String, String> before = DbProbe.snapshot();
    Api.sync(token).reportReconcile(first);
    Api.sync(token).reportReconcile(last);

    // Then: nothing changes
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aBadReconcileIdIsRefusedAndChangesNothing() {
    // Given
    Api.sync(token).reportReconcile(whole(1, List.of(unmanaged("old-1"))));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertInvalid(part("", true, 1, List.of(unmanaged("u-1"))), "MISSING_FIELD", "reconcile_id");
    for (String bad :
        List.of("has space", "-leading-dash", "x".repeat(129), "ümlaut", "semi;colon", "tab\t")) {
      assertInvalid(part(bad, true, 1, List.of(unmanaged("u-1"))), "INVALID_FIELD", "reconcile_id");
      assertInvalid(
          part(bad, false, 1, List.of(unmanaged("u-1"))), "INVALID_FIELD", "reconcile_id");
    }
    assertThat(DbProbe.snapshot()).isEqualTo(before);

    // Then: the longest id is accepted
    Api.sync(token)
        .reportReconcile(part("A1._-" + "x".repeat(123), false, 1, List.of(unmanaged("u-1"))));
    assertThat(listAll()).containsExactly(unmanaged("u-1"));
  }

  @Test
  void partsListingMoreThanTheLimitInAllAreRefusedAndChangeNothing() {
    // Given: a first part listing the most entries a reconcile may list
    String reconcileId = UUID.randomUUID().toString();
    List<UnmanagedEntry> most = new ArrayList<>();
    for (int i = 0; i < SyncRequestValidator.MAX_UNMANAGED; i++) {
      most.add(unmanaged(String.format("m-%05d", i)));
    }
    Api.sync(token).reportReconcile(part(reconcileId, true, 20_000, most));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then: one more entry in another part is refused, an entry already staged is not
    assertInvalid(
        part(reconcileId, false, 20_000, List.of(unmanaged("z-1"))),
        "BATCH_TOO_LARGE",
        "unmanaged_entries");
    assertThat(DbProbe.snapshot()).isEqualTo(before);

    // When / Then: a last part counting fewer entries than the parts list is refused
    assertInvalid(
        part(reconcileId, false, 9_999, List.of(unmanaged("m-00000"))),
        "INVALID_FIELD",
        "unmanaged_count");
    assertThat(DbProbe.snapshot()).isEqualTo(before);

    // When: the last part repeats an entry and counts them all
    Api.sync(token)
        .reportReconcile(part(reconcileId, false, 20_000, List.of(unmanaged("m-00000"))));

    // Then: 10,000 are listed, 20,000 counted
    ListUnmanagedEntriesResponse page =
        Api.sync(token)
            .listUnmanagedEntries(
                ListUnmanagedEntriesRequest.newBuilder()
                    .setSiteId(site.getId())
                    .setPageSize(1)
                    .build());
    assertThat(page.getTotalCount()).isEqualTo(20_000);
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM site_unmanaged_entries WHERE site_id = '"
                    + site.getId()
                    + "'"))
        .isEqualTo(SyncRequestValidator.MAX_UNMANAGED);
  }

  @Test
  void aPartFromAnAgentWithoutTheLeaseIsRefusedAndChangesNothing() {
    // Given: agent-a staged a part, then its lease ran out and agent-b took over
    String reconcileId = UUID.randomUUID().toString();
    Api.sync(token).reportReconcile(part(reconcileId, true, 2, List.of(unmanaged("u-1"))));
    DbProbe.execute(
        "UPDATE site_agents SET lease_expires_at = now() - interval '1 second' WHERE site_id = '"
            + site.getId()
            + "'");
    acquire("agent-b");
    Map<String, String> before = DbProbe.snapshot();

    // When / Then: agent-a's next parts are refused
    assertFails(
        () ->
            Api.sync(token).reportReconcile(part(reconcileId, true, 2, List.of(unmanaged("u-2")))),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertFails(
        () ->
            Api.sync(token).reportReconcile(part(reconcileId, false, 2, List.of(unmanaged("u-2")))),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
    assertThat(listAll()).isEmpty();
  }

  private void assertInvalid(ReportReconcileRequest request, String reason, String field) {
    assertThatThrownBy(() -> Api.sync(token).reportReconcile(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo(reason);
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
  }

  /** Splits {@code all} into parts holding at most {@link #PART_BYTES} of entries each. */
  private static List<List<UnmanagedEntry>> partsOf(List<UnmanagedEntry> all) {
    List<List<UnmanagedEntry>> parts = new ArrayList<>();
    List<UnmanagedEntry> current = new ArrayList<>();
    int bytes = 0;
    for (UnmanagedEntry u : all) {
      int size = u.getSerializedSize() + 4;
      if (!current.isEmpty() && bytes + size > PART_BYTES) {
        parts.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(u);
      bytes += size;
    }
    parts.add(current);
    return parts;
  }

  private ReportReconcileRequest whole(long count, List<UnmanagedEntry> entries) {
    return ReportReconcileRequest.newBuilder()
        .setSiteId(site.getId())
        .setAgentId("agent-a")
        .setUnmanagedCount(count)
        .addAllUnmanagedEntries(entries)
        .build();
  }

  private ReportReconcileRequest part(
      String reconcileId, boolean moreParts, long count, List<UnmanagedEntry> entries) {
    return whole(count, entries).toBuilder()
        .setReconcileId(reconcileId)
        .setMoreParts(moreParts)
        .build();
  }

  private List<UnmanagedEntry> listAll() {
    List<UnmanagedEntry> seen = new ArrayList<>();
    String pageToken = "";
    do {
      ListUnmanagedEntriesResponse page =
          Api.sync(token)
              .listUnmanagedEntries(
                  ListUnmanagedEntriesRequest.newBuilder()
                      .setSiteId(site.getId())
                      .setPageSize(100)
                      .setPageToken(pageToken)
                      .build());
      seen.addAll(page.getEntriesList());
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());
    return seen;
  }

  private SiteAgentStatus health() {
    return Api.sites(token)
        .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build())
        .getAgent();
  }

  private long stagedRows() {
    return DbProbe.queryLong(
        "SELECT count(*) FROM site_unmanaged_staged WHERE site_id = '" + site.getId() + "'");
  }

  private long stagedRows(String reconcileId) {
    return DbProbe.queryLong(
        "SELECT count(*) FROM site_unmanaged_staged WHERE site_id = '"
            + site.getId()
            + "' AND reconcile_id = '"
            + reconcileId
            + "'");
  }

  private void acquire(String agentId) {
    Api.sync(token)
        .acquireLease(
            AcquireLeaseRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(agentId)
                .setAgentVersion("1.2.3")
                .setSpireReachable(true)
                .build());
  }

  private UnmanagedEntry unmanaged(String id) {
    return UnmanagedEntry.newBuilder()
        .setSpireEntryId(id)
        .setSpiffeId("spiffe://" + td + "/" + id)
        .setParentId("spiffe://" + td + "/agent")
        .addSelectors("unix:uid:0")
        .build();
  }

  /** An unmanaged entry of about 4 KB: two selectors at the longest a report accepts. */
  private UnmanagedEntry longUnmanaged(String id) {
    return unmanaged(id).toBuilder()
        .addSelectors("k8s:pod-label:a=" + "a".repeat(2030))
        .addSelectors("k8s:pod-label:b=" + "b".repeat(2030))
        .build();
  }
}
