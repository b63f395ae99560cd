package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Timestamps;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ListSiteEntriesRequest;
import io.spiremgmt.api.v1.ListSiteEntriesResponse;
import io.spiremgmt.api.v1.ListUnmanagedEntriesRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesResponse;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteAgentStatus;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agents' side of SyncService: the site lease that keeps one agent active, the desired-state
 * listing of a full reconcile, its unmanaged-entry report, and what GetSiteHealth shows of them.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SiteAgentApiTest {
  private final String token = Api.adminToken("agent@lease");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
  }

  @Test
  void oneAgentHoldsTheLeaseAndAnotherTakesOverOnlyAfterItExpires() {
    // Given
    Lease first = acquire("agent-a");

    // When
    Lease second = acquire("agent-b");
    Lease renewed = acquire("agent-a");

    // Then
    assertThat(first.getHeld()).isTrue();
    assertThat(first.getTtl().getSeconds()).isEqualTo(15);
    assertThat(second.getHeld()).isFalse();
    assertThat(second.getHolderAgentId()).isEqualTo("agent-a");
    assertThat(renewed.getHeld()).isTrue();
    assertThat(Timestamps.compare(renewed.getExpireTime(), first.getExpireTime())).isPositive();

    // When: agent-a stops renewing and its lease runs out
    expireLease();
    Lease takeover = acquire("agent-b");
    Lease late = acquire("agent-a");

    // Then
    assertThat(takeover.getHeld()).isTrue();
    assertThat(takeover.getHolderAgentId()).isEqualTo("agent-b");
    assertThat(late.getHeld()).isFalse();
    assertThat(late.getHolderAgentId()).isEqualTo("agent-b");

    // Then: each new tenure is audited, renewals are not
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(coalesce(before_state->>'agent_id', '-') || '>'"
                    + " || (after_state->>'agent_id'), ',' ORDER BY id) FROM audit_events"
                    + " WHERE action = 'site.agent_lease' AND target_id = '"
                    + site.getId()
                    + "'"))
        .isEqualTo("->agent-a,agent-a>agent-b");
  }

  @Test
  void aReportRacingATakeoverIsRefusedOnceTheTakeoverCommitsAndChangesNothing() throws Exception {
    // Given: agent-a holds the lease and has a result to report, while agent-b's takeover has
    // written the lease row but not committed yet
    Entry e = create(token, entry(td, "/takeover", site.getId()));
    acquire("agent-a");
    try (Connection takeover = DbProbe.connect()) {
      takeover.setAutoCommit(false);
      try (Statement st = takeover.createStatement()) {
        st.executeUpdate(
            "UPDATE site_agents SET agent_id = 'agent-b', lease_expires_at = now() + interval"
                + " '1 minute' WHERE site_id = '"
                + site.getId()
                + "'");
      }

      // When: agent-a reports, and the takeover commits while the report waits on the lease row
      CompletableFuture<Throwable> report =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  Api.sync(token)
                      .reportSyncResult(
                          ReportSyncResultRequest.newBuilder()
                              .setSiteId(site.getId())
                              .setAgentId("agent-a")
                              .addResults(
                                  SyncResult.newBuilder()
                                      .setEntryId(e.getId())
                                      .setRevision(1)
                                      .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
                                      .setSpireEntryId("x"))
                              .build());
                  return null;
                } catch (Throwable t) {
                  return t;
                }
              });
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  report.isDone()
                      || DbProbe.queryLong(
                              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                  + " AND query LIKE '%site_agents%'")
                          > 0);
      takeover.commit();

      // Then: refused as not the holder, and the entry is still not SYNCED at the site
      assertThat(report.get(30, TimeUnit.SECONDS))
          .isInstanceOf(StatusRuntimeException.class)
          .satisfies(
              t ->
                  assertThat(((StatusRuntimeException) t).getStatus().getCode())
                      .isEqualTo(Status.Code.FAILED_PRECONDITION))
          .hasMessageContaining("agent-a does not hold the lease");
    }
    assertThat(
            DbProbe.queryString(
                "SELECT sync_status FROM workload_entry_sites WHERE workload_entry_id = '"
                    + e.getId()
                    + "'"))
        .isNotEqualTo("SYNCED");
  }

  @Test
  void anAgentWithoutTheLeaseIsFencedOffAndChangesNothing() {
    // Given
    Entry e = create(token, entry(td, "/fenced", site.getId()));
    acquire("agent-a");
    Map<String, String> before = DbProbe.snapshot();

    // When / Then: every agent call of agent-b is refused
    assertFails(
        () ->
            Api.sync(token)
                .pollEntries(
                    PollEntriesRequest.newBuilder()
                        .setSiteId(site.getId())
                        .setAgentId("agent-b")
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(
                    ReportSyncResultRequest.newBuilder()
                        .setSiteId(site.getId())
                        .setAgentId("agent-b")
                        .addResults(
                            SyncResult.newBuilder()
                                .setEntryId(e.getId())
                                .setRevision(1)
                                .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
                                .setSpireEntryId("x"))
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertFails(
        () ->
            Api.sync(token)
                .reportReconcile(
                    ReportReconcileRequest.newBuilder()
                        .setSiteId(site.getId())
                        .setAgentId("agent-b")
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
    // Reading the desired state needs no lease (a dry run beside the active agent does it).
    assertThat(Api.sync(token).listSiteEntries(listRequest("agent-b", 10, "")).getEntriesCount())
        .isEqualTo(1);
  }

  @Test
  void leaseFieldsAtTheirMaximumLengthAreAcceptedAndOneMoreIsInvalid() {
    // Given: an agent id, version and SPIRE error each at its longest accepted length
    String agentId = "a".repeat(128);
    AcquireLeaseRequest longest =
        AcquireLeaseRequest.newBuilder()
            .setSiteId(site.getId())
            .setAgentId(agentId)
            .setAgentVersion("v".repeat(64))
            .setSpireReachable(false)
            .setSpireError("e".repeat(SyncRequestValidator.MAX_ERROR))
            .build();

    // When: it takes the lease (a takeover, so an audit row is written), then renews it
    Lease taken = Api.sync(token).acquireLease(longest);
    Lease renewed = Api.sync(token).acquireLease(longest);

    // Then
    assertThat(taken.getHeld()).isTrue();
    assertThat(renewed.getHeld()).isTrue();
    assertThat(renewed.getHolderAgentId()).isEqualTo(agentId);
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE target_id = '"
                    + site.getId()
                    + "' AND after_state->>'agent_id' = '"
                    + agentId
                    + "'"))
        .isEqualTo(1);
    assertFails(
        () -> Api.sync(token).acquireLease(longest.toBuilder().setAgentId(agentId + "a").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .acquireLease(longest.toBuilder().setAgentVersion("v".repeat(65)).build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .acquireLease(
                    longest.toBuilder()
                        .setSpireError("e".repeat(SyncRequestValidator.MAX_ERROR + 1))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
  }

  @Test
  void rejectsMissingAgentIdsUnknownSitesAndBadFields() {
    // Given: an Admin (token) and a site

    // When / Then
    assertFails(() -> acquire(""), Status.Code.INVALID_ARGUMENT, "MISSING_FIELD");
    assertFails(() -> acquire("x".repeat(129)), Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .acquireLease(
                    AcquireLeaseRequest.newBuilder()
                        .setSiteId(UUID.randomUUID().toString())
                        .setAgentId("agent-a")
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () ->
            Api.sync(token)
                .pollEntries(PollEntriesRequest.newBuilder().setSiteId(site.getId()).build()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    acquire("agent-a");
    assertFails(
        () -> Api.sync(token).listSiteEntries(listRequest("agent-a", -1, "")),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_SIZE");
    assertFails(
        () -> Api.sync(token).listSiteEntries(listRequest("agent-a", 1, "garbage")),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
    assertFails(
        () ->
            Api.sync(token)
                .reportReconcile(
                    ReportReconcileRequest.newBuilder()
                        .setSiteId(site.getId())
                        .setAgentId("agent-a")
                        .setUnmanagedCount(0)
                        .addUnmanagedEntries(UnmanagedEntry.newBuilder().setSpireEntryId("u1"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
  }

  @Test
  void listsTheSiteEntriesByIdInPagesWithoutTheOnesBeingRemoved() {
    // Given
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(create(token, entry(td, "/listed-" + i, site.getId())).getId());
    }
    Api.entries(token).deleteEntry(DeleteEntryRequest.newBuilder().setId(ids.get(2)).build());
    acquire("agent-a");

    // When
    List<SiteEntry> seen = new ArrayList<>();
    String pageToken = "";
    int pages = 0;
    do {
      ListSiteEntriesResponse page =
          Api.sync(token).listSiteEntries(listRequest("agent-a", 2, pageToken));
      seen.addAll(page.getEntriesList());
      pageToken = page.getNextPageToken();
      pages++;
    } while (!pageToken.isEmpty());

    // Then
    assertThat(pages).isEqualTo(2);
    assertThat(seen)
        .extracting(s -> s.getEntry().getId())
        .containsExactly(ids.get(0), ids.get(1), ids.get(3), ids.get(4));
    assertThat(seen)
        .allSatisfy(
            s -> {
              assertThat(s.getRevision()).isEqualTo(1);
              assertThat(s.getSyncState()).isEqualTo(SyncState.SYNC_STATE_PENDING);
            });

    // Then: a token is bound to its site
    Site other = Fixtures.site(token, td);
    String firstToken =
        Api.sync(token).listSiteEntries(listRequest("agent-a", 2, "")).getNextPageToken();
    Fixtures.leased(token, other);
    assertFails(
        () ->
            Api.sync(token)
                .listSiteEntries(
                    ListSiteEntriesRequest.newBuilder()
                        .setSiteId(other.getId())
                        .setAgentId(Fixtures.AGENT)
                        .setPageToken(firstToken)
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  @Test
  void aReconcileReportReplacesTheUnmanagedListAndShowsInSiteHealth() {
    // Given
    acquire("agent-a");
    reconcile(3, unmanaged("u-1"), unmanaged("u-2"), unmanaged("u-3"));

    // When
    reconcile(2, unmanaged("u-2"), unmanaged("u-4"));

    // Then
    ListUnmanagedEntriesResponse first =
        Api.sync(token)
            .listUnmanagedEntries(
                ListUnmanagedEntriesRequest.newBuilder()
                    .setSiteId(site.getId())
                    .setPageSize(1)
                    .build());
    ListUnmanagedEntriesResponse second =
        Api.sync(token)
            .listUnmanagedEntries(
                ListUnmanagedEntriesRequest.newBuilder()
                    .setSiteId(site.getId())
                    .setPageSize(1)
                    .setPageToken(first.getNextPageToken())
                    .build());
    assertThat(first.getTotalCount()).isEqualTo(2);
    assertThat(first.getEntriesList()).containsExactly(unmanaged("u-2"));
    assertThat(second.getEntriesList()).containsExactly(unmanaged("u-4"));
    assertThat(second.getNextPageToken()).isEmpty();

    SiteAgentStatus agent =
        Api.sites(token)
            .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build())
            .getAgent();
    assertThat(agent.getAgentId()).isEqualTo("agent-a");
    assertThat(agent.getAgentVersion()).isEqualTo("1.2.3");
    assertThat(agent.getConnected()).isTrue();
    assertThat(agent.getSpireReachable()).isTrue();
    assertThat(agent.getUnmanagedCount()).isEqualTo(2);
    assertThat(agent.hasLastFullReconcileTime()).isTrue();
    assertThat(agent.hasLastPollTime()).isFalse();

    // When: the agent's lease runs out
    expireLease();

    // Then
    assertThat(
            Api.sites(token)
                .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build())
                .getAgent()
                .getConnected())
        .isFalse();
  }

  @Test
  void siteHealthHasNoAgentUntilOneTakesTheLease() {
    // Given: a site whose agent never took the lease

    // When
    boolean hasAgent =
        Api.sites(token)
            .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build())
            .hasAgent();

    // Then
    assertThat(hasAgent).isFalse();
  }

  private Lease acquire(String agentId) {
    return Api.sync(token)
        .acquireLease(
            AcquireLeaseRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(agentId)
                .setAgentVersion("1.2.3")
                .setSpireReachable(true)
                .build());
  }

  private void expireLease() {
    DbProbe.execute(
        "UPDATE site_agents SET lease_expires_at = now() - interval '1 second' WHERE site_id = '"
            + site.getId()
            + "'");
  }

  private ListSiteEntriesRequest listRequest(String agentId, int pageSize, String pageToken) {
    return ListSiteEntriesRequest.newBuilder()
        .setSiteId(site.getId())
        .setAgentId(agentId)
        .setPageSize(pageSize)
        .setPageToken(pageToken)
        .build();
  }

  private void reconcile(long count, UnmanagedEntry... entries) {
    Api.sync(token)
        .reportReconcile(
            ReportReconcileRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId("agent-a")
                .setUnmanagedCount(count)
                .addAllUnmanagedEntries(List.of(entries))
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
}
