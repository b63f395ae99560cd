package io.spiremgmt.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.sync.lease.LeaseService;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The SyncService requests are checked before anything is read or written. */
class SyncRequestValidatorTest {
  private static final String SITE = UUID.randomUUID().toString();
  private static final String ENTRY = UUID.randomUUID().toString();

  @Test
  void lowersAPollsWaitToTheOneCap() {
    // Given
    PollEntriesRequest request =
        poll().setWait(Duration.newBuilder().setSeconds(3600).setNanos(5)).build();

    // When
    SyncRequestValidator.Poll poll = SyncRequestValidator.poll(request);

    // Then
    assertThat(poll.waitFor()).isEqualTo(SyncRequestValidator.MAX_WAIT);
    assertThat(poll.waitFor()).isEqualTo(java.time.Duration.ofSeconds(60));
  }

  @Test
  void keepsAShortWaitAndTreatsNoWaitAsZero() {
    // Given
    PollEntriesRequest shortWait =
        poll().setWait(Duration.newBuilder().setSeconds(2).setNanos(500_000_000)).build();

    // When / Then
    assertThat(SyncRequestValidator.poll(shortWait).waitFor())
        .isEqualTo(java.time.Duration.ofMillis(2500));
    assertThat(SyncRequestValidator.poll(poll().build()).waitFor()).isZero();
  }

  @Test
  void refusesANegativeWait() {
    // Given
    PollEntriesRequest request = poll().setWait(Duration.newBuilder().setSeconds(-1)).build();

    // When / Then
    assertRefused(() -> SyncRequestValidator.poll(request), ErrorReason.INVALID_FIELD, "wait");
  }

  @Test
  void refusesAPollWithoutAnAgentId() {
    // Given
    PollEntriesRequest request = PollEntriesRequest.newBuilder().setSiteId(SITE).build();

    // When / Then
    assertRefused(() -> SyncRequestValidator.poll(request), ErrorReason.MISSING_FIELD, "agent_id");
  }

  @Test
  void translatesAReportKeepingEachResult() {
    // Given
    ReportSyncResultRequest request =
        report()
            .addResults(
                SyncResult.newBuilder()
                    .setEntryId(ENTRY)
                    .setRevision(3)
                    .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
                    .setReason("SPIRE_UNAVAILABLE"))
            .setRequestId("r-1")
            .build();

    // When
    SyncReportService.Report report = SyncRequestValidator.report(request);

    // Then
    assertThat(report.siteId()).isEqualTo(UUID.fromString(SITE));
    assertThat(report.requestId()).isEqualTo("r-1");
    assertThat(report.results())
        .containsExactly(
            new SyncReport(
                UUID.fromString(ENTRY),
                3,
                SyncReport.Outcome.FAILED,
                "",
                "failed (no detail reported)",
                "SPIRE_UNAVAILABLE"));
  }

  @Test
  void refusesASyncedResultWithoutItsSpireId() {
    // Given
    ReportSyncResultRequest request =
        report()
            .addResults(
                SyncResult.newBuilder()
                    .setEntryId(ENTRY)
                    .setRevision(1)
                    .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED))
            .build();

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.report(request),
        ErrorReason.MISSING_FIELD,
        "results[0].spire_entry_id");
  }

  @Test
  void refusesAResultWithoutRevisionOrOutcomeOrWithABadReason() {
    // Given
    SyncResult.Builder ok =
        SyncResult.newBuilder()
            .setEntryId(ENTRY)
            .setRevision(1)
            .setOutcome(SyncOutcome.SYNC_OUTCOME_DELETED);

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.report(report().addResults(ok.clone().setRevision(0)).build()),
        ErrorReason.MISSING_FIELD,
        "results[0].revision");
    assertRefused(
        () ->
            SyncRequestValidator.report(
                report()
                    .addResults(ok)
                    .addResults(ok.clone().setOutcome(SyncOutcome.SYNC_OUTCOME_UNSPECIFIED))
                    .build()),
        ErrorReason.MISSING_FIELD,
        "results[1].outcome");
    assertRefused(
        () ->
            SyncRequestValidator.report(
                report().addResults(ok.clone().setReason("lower case")).build()),
        ErrorReason.INVALID_FIELD,
        "results[0].reason");
  }

  @Test
  void refusesAReportOverTheResultLimit() {
    // Given
    ReportSyncResultRequest.Builder request = report();
    SyncResult result =
        SyncResult.newBuilder()
            .setEntryId(ENTRY)
            .setRevision(1)
            .setOutcome(SyncOutcome.SYNC_OUTCOME_DELETED)
            .build();
    request.addAllResults(Collections.nCopies(SyncRequestValidator.MAX_RESULTS + 1, result));

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.report(request.build()), ErrorReason.BATCH_TOO_LARGE, "results");
  }

  @Test
  void refusesAnOverlongSpireErrorInALeaseRequest() {
    // Given
    AcquireLeaseRequest request =
        AcquireLeaseRequest.newBuilder()
            .setSiteId(SITE)
            .setAgentId("agent-1")
            .setSpireError("x".repeat(SyncRequestValidator.MAX_ERROR + 1))
            .build();

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.lease(request), ErrorReason.INVALID_FIELD, "spire_error");
  }

  @Test
  void translatesAReconcileReport() {
    // Given
    ReportReconcileRequest request =
        ReportReconcileRequest.newBuilder()
            .setSiteId(SITE)
            .setAgentId("agent-1")
            .setUnmanagedCount(5)
            .addUnmanagedEntries(
                UnmanagedEntry.newBuilder()
                    .setSpireEntryId("spire-1")
                    .setSpiffeId("spiffe://td/x")
                    .setParentId("spiffe://td/p")
                    .addSelectors("unix:uid:0"))
            .build();

    // When
    LeaseService.Reconcile reconcile = SyncRequestValidator.reconcile(request);

    // Then
    assertThat(reconcile.unmanagedCount()).isEqualTo(5);
    assertThat(reconcile.unmanaged()).hasSize(1);
    assertThat(reconcile.unmanaged().get(0).selectors()).containsExactly("unix:uid:0");
  }

  @Test
  void refusesAReconcileCountBelowTheListedEntries() {
    // Given
    ReportReconcileRequest request =
        ReportReconcileRequest.newBuilder()
            .setSiteId(SITE)
            .setAgentId("agent-1")
            .setUnmanagedCount(0)
            .addUnmanagedEntries(UnmanagedEntry.newBuilder().setSpireEntryId("spire-1"))
            .build();

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.reconcile(request),
        ErrorReason.INVALID_FIELD,
        "unmanaged_count");
  }

  @Test
  void needsASiteToTriggerAndAtMostTheIdLimit() {
    // Given
    List<String> tooMany =
        Collections.nCopies(SyncRequestValidator.MAX_IDS + 1, UUID.randomUUID().toString());

    // When / Then
    assertRefused(
        () -> SyncRequestValidator.triggerSites(List.of()), ErrorReason.MISSING_FIELD, "site_ids");
    assertRefused(
        () -> SyncRequestValidator.ids(tooMany, "entry_ids"),
        ErrorReason.BATCH_TOO_LARGE,
        "entry_ids");
    assertRefused(
        () -> SyncRequestValidator.ids(List.of("nope"), "site_ids"),
        ErrorReason.INVALID_ID,
        "site_ids[0]");
  }

  private static PollEntriesRequest.Builder poll() {
    return PollEntriesRequest.newBuilder().setSiteId(SITE).setAgentId("agent-1");
  }

  private static ReportSyncResultRequest.Builder report() {
    return ReportSyncResultRequest.newBuilder().setSiteId(SITE).setAgentId("agent-1");
  }

  private static void assertRefused(Runnable call, ErrorReason reason, String field) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.field()).isEqualTo(field);
            });
  }
}
