package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Value;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
  void triggerSyncIsAuditedPerSiteWithTheEntriesNamedAndTheResetCount() {
    // Given: two sites, an entry failing at both
    String td = Fixtures.trustDomain();
    Site first = Fixtures.site(token, td);
    Site second = Fixtures.site(token, td);
    Fixtures.leased(token, first);
    Fixtures.leased(token, second);
    Entry failed = create(token, entry(td, "/failed", first.getId(), second.getId()));
    Fixtures.report(
        token, first, result(failed.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "down").toBuilder());
    Fixtures.report(
        token, second, result(failed.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "down").toBuilder());

    // When: an operator triggers both sites for that entry
    long reset =
        Api.sync(token)
            .triggerSync(
                TriggerSyncRequest.newBuilder()
                    .addSiteIds(first.getId())
                    .addSiteIds(second.getId())
                    .addEntryIds(failed.getId())
                    .build())
            .getResetCount();

    // Then: one sync.trigger event per site, in the audit API, saying what was reset
    assertThat(reset).isEqualTo(2);
    for (Site site : new Site[] {first, second}) {
      assertThat(
              Api.audit(token)
                  .listAuditEvents(
                      ListAuditEventsRequest.newBuilder()
                          .setTargetType("site")
                          .setTargetId(site.getId())
                          .build())
                  .getAuditEventsList())
          .filteredOn(e -> e.getAction().equals("sync.trigger"))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getActor()).isEqualTo("operator@sync");
                assertThat(e.hasBefore()).isFalse();
                Map<String, Value> after = e.getAfter().getFieldsMap();
                assertThat(after.get("site_id").getStringValue()).isEqualTo(site.getId());
                assertThat(after.get("entry_ids").getListValue().getValuesList())
                    .extracting(Value::getStringValue)
                    .containsExactly(failed.getId());
                assertThat(after.get("reset_count").getNumberValue()).isEqualTo(1);
              });
    }
  }

  @Test
  void triggerSyncLocksRowsInEntryIdOrderAsReportsDoSoTheyCannotDeadlock() throws Exception {
    // Given: two failed entries at a site; the lower id's row was written last (so it lies after
    // the other in the table), and another transaction (a report, say) holds it
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Entry low = create(token, entry(td, "/low", site.getId()));
    Entry high = create(token, entry(td, "/high", site.getId()));
    Fixtures.report(
        token, site, result(high.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "down").toBuilder());
    Fixtures.report(
        token, site, result(low.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "down").toBuilder());
    Fixtures.report(
        token, site, result(low.getId(), SyncOutcome.SYNC_OUTCOME_FAILED, "down").toBuilder());
    try (Connection report = DbProbe.connect()) {
      report.setAutoCommit(false);
      try (Statement st = report.createStatement()) {
        st.execute(lockRow(low, site, ""));
      }

      // When: TriggerSync runs meanwhile
      CompletableFuture<Long> trigger =
          CompletableFuture.supplyAsync(
              () ->
                  Api.sync(token)
                      .withDeadlineAfter(30, TimeUnit.SECONDS)
                      .triggerSync(TriggerSyncRequest.newBuilder().addSiteIds(site.getId()).build())
                      .getResetCount());
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  DbProbe.queryLong(
                          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE '%workload_entry_sites%'"
                              + " AND pid <> pg_backend_pid()")
                      > 0);

      // Then: it waits for the lower id's row before taking the higher one's, the order in which
      // a report locks them (the higher one is free: NOWAIT succeeds)
      assertThat(DbProbe.queryLong(lockRow(high, site, " NOWAIT"))).isEqualTo(1);
      report.rollback();
      assertThat(trigger.get(30, TimeUnit.SECONDS)).isEqualTo(2);
    }
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

  private static String lockRow(Entry entry, Site site, String option) {
    return "SELECT 1 FROM workload_entry_sites WHERE workload_entry_id = '"
        + entry.getId()
        + "' AND site_id = '"
        + site.getId()
        + "' FOR UPDATE"
        + option;
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
