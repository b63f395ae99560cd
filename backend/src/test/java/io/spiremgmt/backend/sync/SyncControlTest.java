package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** GetSyncStatus shows the backlog and the failures; TriggerSync makes failed work due at once. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SyncControlTest {
  private final String token = Api.adminToken("operator@sync");

  @Test
  void statusShowsCountsAndFailuresAndTriggerMakesFailedWorkDueNow() {
    // Given: at one site, one entry synced, one failed, one pending
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Fixtures.leased(token, site);
    Entry synced = create(token, entry(td, "/synced", site.getId()));
    Entry failed = create(token, entry(td, "/failed", site.getId()));
    create(token, entry(td, "/pending", site.getId()));
    Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .addResults(result(synced.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED, ""))
                .addResults(
                    result(failed.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "spire: unavailable"))
                .build());

    // When
    SyncStatus status =
        Api.sync(token)
            .getSyncStatus(GetSyncStatusRequest.newBuilder().addSiteIds(site.getId()).build());

    // Then
    assertThat(status.getOverall().getSynced()).isEqualTo(1);
    assertThat(status.getOverall().getFailed()).isEqualTo(1);
    assertThat(status.getOverall().getPending()).isEqualTo(1);
    assertThat(status.getSitesList())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getSiteId()).isEqualTo(site.getId());
              assertThat(s.hasOldestPendingTime()).isTrue();
            });
    assertThat(status.getFailingEntriesList())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getEntryId()).isEqualTo(failed.getId());
              assertThat(f.getLastError()).isEqualTo("spire: unavailable");
              assertThat(f.getAttempts()).isEqualTo(1);
              assertThat(f.getAlerting()).isFalse();
            });
    // The failed entry waits out its backoff: only the pending one is due.
    assertThat(poll(site).getChangesCount()).isEqualTo(1);

    // When
    long reset =
        Api.sync(token)
            .triggerSync(TriggerSyncRequest.newBuilder().addSiteIds(site.getId()).build())
            .getResetCount();

    // Then
    assertThat(reset).isEqualTo(1);
    assertThat(poll(site).getChangesList())
        .extracting(c -> c.getEntry().getId())
        .contains(failed.getId())
        .hasSize(2);
  }

  @Test
  void rejectsTriggersWithoutOrWithUnknownSites() {
    // Given: an Admin (token)

    // When / Then: no site, an unknown site, a site id that is no UUID
    assertFails(
        () -> Api.sync(token).triggerSync(TriggerSyncRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .triggerSync(
                    TriggerSyncRequest.newBuilder()
                        .addSiteIds(UUID.randomUUID().toString())
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () ->
            Api.sync(token)
                .getSyncStatus(GetSyncStatusRequest.newBuilder().addSiteIds("x").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
  }

  private PollEntriesResponse poll(Site site) {
    return Api.sync(token)
        .pollEntries(
            PollEntriesRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .build());
  }

  private static SyncResult result(String entryId, SyncOutcome outcome, String error) {
    return SyncResult.newBuilder()
        .setEntryId(entryId)
        .setRevision(1)
        .setOutcome(outcome)
        .setSpireEntryId("spire-mgmt-" + entryId)
        .setError(error)
        .build();
  }
}
