package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An agent's reports change sync state: stale-safe, idempotent, audited, and purging finished
 * deletions.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ReportSyncResultTest {
  private final String token = Api.adminToken("agent@site");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
  }

  @Test
  void syncedMarksTheSiteSyncedOnceAndARepeatedReportChangesNothing() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));
    ReportSyncResultRequest report =
        report("r-1", result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED));

    // When
    int first = Api.sync(token).reportSyncResult(report).getAppliedCount();
    Map<String, String> after = DbProbe.snapshot();
    int again = Api.sync(token).reportSyncResult(report).getAppliedCount();

    // Then
    assertThat(first).isEqualTo(1);
    assertThat(again).isZero();
    assertThat(DbProbe.snapshot()).isEqualTo(after);
    EntrySiteStatus status = status(created.getId());
    assertThat(status.getSyncState()).isEqualTo(SyncState.SYNC_STATE_SYNCED);
    assertThat(status.getSpireEntryId()).isEqualTo("spire-mgmt-" + created.getId());
    assertThat(status.hasLastSyncTime()).isTrue();
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.sync' AND target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo(1);
    assertThat(
            DbProbe.queryString(
                "SELECT (before_state->>'sync_state') || '>' || (after_state->>'sync_state') || ' '"
                    + " || (after_state->>'spire_entry_id') || ' ' || actor FROM audit_events"
                    + " WHERE action = 'entry.sync' AND target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo(
            "SYNC_STATE_PENDING>SYNC_STATE_SYNCED spire-mgmt-" + created.getId() + " agent@site");
  }

  @Test
  void aReportForAnOlderRevisionNeverMarksTheNewerOneSynced() {
    // Given: revision 2 is pending
    Entry created = create(token, entry(td, "/api", site.getId()));
    Api.entries(token)
        .updateEntry(
            UpdateEntryRequest.newBuilder()
                .setEntry(created.toBuilder().setTtl(60))
                .setUpdateMask(FieldMask.newBuilder().addPaths("ttl"))
                .build());

    // When
    int applied =
        Api.sync(token)
            .reportSyncResult(
                report("r-2", result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED)))
            .getAppliedCount();

    // Then
    assertThat(applied).isZero();
    assertThat(status(created.getId()).getSyncState()).isEqualTo(SyncState.SYNC_STATE_PENDING);
  }

  @Test
  void failedRecordsTheErrorAndBacksOff() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));

    // When
    Api.sync(token)
        .reportSyncResult(
            report(
                "r-3",
                result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                    .setError("spire: datastore unavailable")
                    .build()));

    // Then
    EntrySiteStatus status = status(created.getId());
    assertThat(status.getSyncState()).isEqualTo(SyncState.SYNC_STATE_FAILED);
    assertThat(status.getLastError()).isEqualTo("spire: datastore unavailable");
    String where = " FROM workload_entry_sites WHERE workload_entry_id = '" + created.getId() + "'";
    assertThat(DbProbe.queryLong("SELECT attempts" + where)).isEqualTo(1);
    long delayMillis =
        DbProbe.queryLong(
            "SELECT CAST(EXTRACT(EPOCH FROM (next_attempt_at - changed_at)) * 1000 AS bigint)"
                + where);
    assertThat(delayMillis).isBetween(4000L, 6000L);
  }

  @Test
  void repeatedFailuresOfOnePairAreCountedWithOneAuditEventAndTheirEndIsAuditedWithTheCount() {
    // Given: an entry whose site's SPIRE server is down
    Entry created = create(token, entry(td, "/outage", site.getId()));
    int failures = 6;

    // When: the agent reports the same failure again and again (each retry its own report)
    for (int i = 1; i <= failures; i++) {
      int applied =
          Api.sync(token)
              .reportSyncResult(
                  report(
                      "outage-" + i,
                      result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                          .setError("spire: connection refused (try " + i + ")")
                          .setReason("SPIRE_UNAVAILABLE")
                          .build()))
              .getAppliedCount();
      assertThat(applied).isEqualTo(1);
    }

    // Then: one audit event for the run, every attempt counted, the last error kept
    List<AuditEvent> during = syncEvents(created.getId());
    assertThat(during).singleElement();
    AuditEvent started = during.get(0);
    assertThat(started.getBefore().getFieldsOrThrow("sync_state").getStringValue())
        .isEqualTo("SYNC_STATE_PENDING");
    assertThat(started.getAfter().getFieldsOrThrow("sync_state").getStringValue())
        .isEqualTo("SYNC_STATE_FAILED");
    assertThat(started.getAfter().getFieldsOrThrow("failed_attempts").getNumberValue())
        .isEqualTo(1);
    assertThat(started.getRequestId()).isEqualTo("outage-1");
    EntrySiteStatus failing = status(created.getId());
    assertThat(failing.getFailedAttempts()).isEqualTo(failures);
    assertThat(failing.getLastError()).isEqualTo("spire: connection refused (try 6)");

    // When: SPIRE is back and the retry succeeds
    Api.sync(token)
        .reportSyncResult(
            report("recovered", result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED)));

    // Then: the run's end is audited with the count it reached
    List<AuditEvent> after = syncEvents(created.getId());
    assertThat(after).hasSize(2);
    AuditEvent ended = after.get(0);
    assertThat(ended.getRequestId()).isEqualTo("recovered");
    assertThat(ended.getBefore().getFieldsOrThrow("sync_state").getStringValue())
        .isEqualTo("SYNC_STATE_FAILED");
    assertThat(ended.getBefore().getFieldsOrThrow("failed_attempts").getNumberValue())
        .isEqualTo(failures);
    assertThat(ended.getBefore().getFieldsOrThrow("last_error").getStringValue())
        .isEqualTo("spire: connection refused (try 6)");
    assertThat(ended.getAfter().getFieldsOrThrow("sync_state").getStringValue())
        .isEqualTo("SYNC_STATE_SYNCED");
    assertThat(status(created.getId()).getFailedAttempts()).isZero();
  }

  @Test
  void aFailureRunOfARemovalIsAuditedOnceAndTheRemovalWithTheCount() {
    // Given: an entry being deleted, its removal failing three times at the site
    Entry created = create(token, entry(td, "/removal", site.getId()));
    long revision =
        Api.entries(token)
            .deleteEntry(DeleteEntryRequest.newBuilder().setId(created.getId()).build())
            .getEntry()
            .getRevision();
    for (int i = 1; i <= 3; i++) {
      Api.sync(token)
          .reportSyncResult(
              report(
                  "rm-" + i,
                  result(created.getId(), revision, SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                      .setError("spire: unavailable")
                      .setReason("SPIRE_UNAVAILABLE")
                      .build()));
    }

    // When: the removal succeeds
    Api.sync(token)
        .reportSyncResult(
            report("rm-done", result(created.getId(), revision, SyncOutcome.SYNC_OUTCOME_DELETED)));

    // Then: one entry.sync for the failures, and the removal records the count reached
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(action || ':' || coalesce(before_state->>'failed_attempts', '-'),"
                    + " ',' ORDER BY id) FROM audit_events WHERE target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo("entry.create:-,entry.delete:-,entry.sync:-,entry.unassign:3,entry.purge:-");
  }

  @Test
  void aSyncedReportDoesNotQueueBehindAnotherTransactionHoldingTheEntry() throws Exception {
    // Given: another transaction (another site's report, say) holds the entry row locked
    Entry created = create(token, entry(td, "/parallel", site.getId()));
    try (Connection other = DbProbe.connect()) {
      other.setAutoCommit(false);
      try (Statement st = other.createStatement()) {
        st.execute(
            "SELECT 1 FROM workload_entries WHERE id = '" + created.getId() + "' FOR UPDATE");
      }

      // When: this site's agent reports SYNCED meanwhile
      int applied =
          Api.sync(token)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .reportSyncResult(
                  report("r-par", result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED)))
              .getAppliedCount();

      // Then: it completes without waiting for that transaction
      assertThat(applied).isEqualTo(1);
      other.rollback();
    }
  }

  @Test
  void deletedAtTheLastSitePurgesTheEntry() {
    // Given: an entry at two sites, being deleted
    Site second = Fixtures.site(token, td);
    Fixtures.leased(token, second);
    Entry created = create(token, entry(td, "/api", site.getId(), second.getId()));
    long revision =
        Api.entries(token)
            .deleteEntry(DeleteEntryRequest.newBuilder().setId(created.getId()).build())
            .getEntry()
            .getRevision();

    // When: the first site confirms
    Api.sync(token)
        .reportSyncResult(
            report("r-4", result(created.getId(), revision, SyncOutcome.SYNC_OUTCOME_DELETED)));

    // Then: still there, DELETING at the other site
    Entry partly =
        Api.entries(token).getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build());
    assertThat(partly.getSiteStatusesList())
        .extracting(EntrySiteStatus::getSiteId)
        .containsExactly(second.getId());

    // When: the last site confirms
    Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(second.getId())
                .setAgentId(Fixtures.AGENT)
                .setRequestId("r-5")
                .addResults(result(created.getId(), revision, SyncOutcome.SYNC_OUTCOME_DELETED))
                .build());

    // Then
    assertFails(
        () ->
            Api.entries(token)
                .getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build()),
        Status.Code.NOT_FOUND,
        "ENTRY_NOT_FOUND");
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo("entry.create,entry.delete,entry.unassign,entry.unassign,entry.purge");
  }

  @Test
  void aDeletedReportForAnEntryTheSiteDoesNotHoldLocksNothing() throws Exception {
    // Given: an entry of another site only, locked by a writer that has not committed
    Site other = Fixtures.site(token, td);
    Entry foreign = create(token, entry(td, "/api", other.getId()));
    try (Connection writer = DbProbe.connect()) {
      writer.setAutoCommit(false);
      try (Statement st = writer.createStatement()) {
        st.execute(
            "SELECT id FROM workload_entries WHERE id = '" + foreign.getId() + "' FOR UPDATE");
      }

      // When: this site's agent reports it DELETED
      int applied =
          Api.sync(token)
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .reportSyncResult(
                  report("r-6", result(foreign.getId(), 1, SyncOutcome.SYNC_OUTCOME_DELETED)))
              .getAppliedCount();

      // Then: answered while the lock is held (it did not wait for it), and nothing changed
      assertThat(applied).isZero();
      writer.rollback();
    }
    assertThat(
            Api.entries(token)
                .getEntry(GetEntryRequest.newBuilder().setId(foreign.getId()).build())
                .getSiteStatusesList())
        .singleElement()
        .satisfies(
            st -> {
              assertThat(st.getSiteId()).isEqualTo(other.getId());
              assertThat(st.getSyncState()).isEqualTo(SyncState.SYNC_STATE_PENDING);
            });
  }

  @Test
  void rejectsBadReportsAndChangesNothing() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(
                    ReportSyncResultRequest.newBuilder()
                        .setSiteId(UUID.randomUUID().toString())
                        .setAgentId(Fixtures.AGENT)
                        .addResults(result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED))
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(report("x", result("nope", 1, SyncOutcome.SYNC_OUTCOME_SYNCED))),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(
                    report("x", result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_UNSPECIFIED))),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(
                    report(
                        "x",
                        result(created.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED).toBuilder()
                            .setSpireEntryId("")
                            .build())),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .reportSyncResult(
                    report("x", result(created.getId(), 0, SyncOutcome.SYNC_OUTCOME_SYNCED))),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  private ReportSyncResultRequest report(String requestId, SyncResult result) {
    return ReportSyncResultRequest.newBuilder()
        .setSiteId(site.getId())
        .setAgentId(Fixtures.AGENT)
        .setRequestId(requestId)
        .addResults(result)
        .build();
  }

  private static SyncResult result(String entryId, long revision, SyncOutcome outcome) {
    return SyncResult.newBuilder()
        .setEntryId(entryId)
        .setRevision(revision)
        .setOutcome(outcome)
        .setSpireEntryId("spire-mgmt-" + entryId)
        .build();
  }

  /** The entry's {@code entry.sync} events, newest first, through the audit API. */
  private List<AuditEvent> syncEvents(String entryId) {
    return Api.audit(token)
        .listAuditEvents(
            ListAuditEventsRequest.newBuilder().setTargetType("entry").setTargetId(entryId).build())
        .getAuditEventsList()
        .stream()
        .filter(e -> e.getAction().equals("entry.sync"))
        .toList();
  }

  private EntrySiteStatus status(String entryId) {
    return Api.entries(token)
        .getEntry(GetEntryRequest.newBuilder().setId(entryId).build())
        .getSiteStatusesList()
        .stream()
        .filter(s -> s.getSiteId().equals(site.getId()))
        .findFirst()
        .orElseThrow();
  }
}
