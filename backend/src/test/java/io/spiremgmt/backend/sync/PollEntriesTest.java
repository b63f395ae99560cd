package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Metrics;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Agents' long polls: due work at once, otherwise woken by the NOTIFY of a committed write. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class PollEntriesTest {
  private final String token = Api.adminToken("agent@poll");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
  }

  @Test
  void returnsDueUpsertsAndDeletesAtOnceWithTheirRevisions() {
    // Given
    Entry kept = create(token, entry(td, "/kept", site.getId()));
    Entry removed = create(token, entry(td, "/removed", site.getId()));
    long removedRevision =
        Api.entries(token)
            .deleteEntry(DeleteEntryRequest.newBuilder().setId(removed.getId()).build())
            .getEntry()
            .getRevision();

    // When
    PollEntriesResponse response = poll(0);

    // Then
    assertThat(response.getChangesList())
        .extracting(c -> c.getEntry().getId() + " " + c.getKind() + " " + c.getRevision())
        .containsExactly(
            kept.getId() + " CHANGE_KIND_UPSERT 1",
            removed.getId() + " CHANGE_KIND_DELETE " + removedRevision);
    assertThat(response.getChanges(0).getEntry().getSelectorsList())
        .isEqualTo(kept.getSelectorsList());
  }

  @Test
  void syncedAndBackedOffWorkIsNotOfferedAgain() {
    // Given
    Entry synced = create(token, entry(td, "/synced", site.getId()));
    Entry failing = create(token, entry(td, "/failing", site.getId()));
    Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .addResults(result(synced.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED))
                .addResults(
                    result(failing.getId(), SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                        .setError("boom"))
                .build());

    // When
    PollEntriesResponse response = poll(0);

    // Then: SYNCED is done, FAILED waits out its backoff (5 s +- 20%)
    assertThat(response.getChangesList()).isEmpty();
  }

  @Test
  void aWaitingPollWakesOnACommittedWriteLongBeforeItsDeadline() {
    // Given: a poll waiting (its first look found nothing) with a 30 s deadline
    long start = System.nanoTime();
    CompletableFuture<PollEntriesResponse> waiting = CompletableFuture.supplyAsync(() -> poll(30));
    Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> pollsWaiting() >= 1);

    // When
    Entry created = create(token, entry(td, "/late", site.getId()));

    // Then
    PollEntriesResponse response = waiting.join();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(25);
    assertThat(response.getChangesList())
        .extracting(EntryChange::getKind)
        .containsExactly(ChangeKind.CHANGE_KIND_UPSERT);
    assertThat(response.getChanges(0).getEntry().getId()).isEqualTo(created.getId());
  }

  @Test
  void aWaitingPollAnswersWhenAFailedChangesBackoffEndsBeforeItsDeadline() {
    // Given: a failed change due again in about one second, and nothing else to do
    Entry failing = create(token, entry(td, "/retry", site.getId()));
    Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .addResults(
                    result(failing.getId(), SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                        .setError("SPIRE is down"))
                .build());
    DbProbe.execute(
        "UPDATE workload_entry_sites SET next_attempt_at = now() + interval '1 second'"
            + " WHERE workload_entry_id = '"
            + failing.getId()
            + "'");
    long start = System.nanoTime();

    // When
    PollEntriesResponse response = poll(30);

    // Then
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(20);
    assertThat(response.getChangesList())
        .extracting(c -> c.getEntry().getId())
        .containsExactly(failing.getId());
  }

  @Test
  void pollsOfSeveralSitesWokenByOneWriteAllAnswer() {
    // Given: three sites' agents waiting at once
    List<Site> sites = List.of(site, Fixtures.site(token, td), Fixtures.site(token, td));
    sites.subList(1, 3).forEach(s -> Fixtures.leased(token, s));
    List<CompletableFuture<PollEntriesResponse>> waiting =
        sites.stream()
            .map(
                s ->
                    CompletableFuture.supplyAsync(
                        () ->
                            Api.sync(token)
                                .pollEntries(
                                    PollEntriesRequest.newBuilder()
                                        .setSiteId(s.getId())
                                        .setAgentId(Fixtures.AGENT)
                                        .setWait(Duration.newBuilder().setSeconds(30))
                                        .build())))
            .toList();
    Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> pollsWaiting() >= 3);

    // When: one write for all three sites wakes all three polls together
    Entry created =
        create(
            token,
            entry(
                td,
                "/everywhere",
                sites.get(0).getId(),
                sites.get(1).getId(),
                sites.get(2).getId()));

    // Then
    for (CompletableFuture<PollEntriesResponse> w : waiting) {
      assertThat(w.join().getChangesList())
          .extracting(c -> c.getEntry().getId())
          .containsExactly(created.getId());
    }
  }

  @Test
  void aPollCarryingThePreviousPassesResultsAppliesThemOnceBeforeItLooksForWork() {
    // Given: two entries polled, one applied at SPIRE and one refused there
    Entry applied = create(token, entry(td, "/applied", site.getId()));
    Entry refused = create(token, entry(td, "/refused", site.getId()));
    assertThat(poll(0).getChangesList()).hasSize(2);
    PollEntriesRequest carrying =
        pollRequest(0)
            .setReportId("pass-1")
            .addResults(result(applied.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED))
            .addResults(
                result(refused.getId(), SyncOutcome.SYNC_OUTCOME_FAILED).toBuilder()
                    .setError("SPIRE said no")
                    .setReason("SPIRE_REJECTED"))
            .build();

    // When
    PollEntriesResponse response = Api.sync(token).pollEntries(carrying);
    Map<String, String> after = DbProbe.snapshot();
    PollEntriesResponse retried = Api.sync(token).pollEntries(carrying);

    // Then: both settled before the poll looked, so neither is offered again; the retry under the
    // same report id changes nothing; the state changes are audited as a report's are
    assertThat(response.getReportApplied()).isTrue();
    assertThat(response.getChangesList()).isEmpty();
    assertThat(retried.getReportApplied()).isTrue();
    assertThat(retried.getChangesList()).isEmpty();
    assertThat(DbProbe.snapshot()).isEqualTo(after);
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(sync_status, ',' ORDER BY sync_status) FROM workload_entry_sites"
                    + " WHERE workload_entry_id IN ('"
                    + applied.getId()
                    + "', '"
                    + refused.getId()
                    + "')"))
        .isEqualTo("FAILED,SYNCED");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.sync' AND target_id IN ('"
                    + applied.getId()
                    + "', '"
                    + refused.getId()
                    + "')"))
        .isEqualTo(2);
  }

  @Test
  void aPollWithoutResultsSaysNoReportWasApplied() {
    // Given: a site with one due entry
    create(token, entry(td, "/due", site.getId()));

    // When
    PollEntriesResponse response = poll(0);

    // Then
    assertThat(response.getReportApplied()).isFalse();
    assertThat(response.getChangesList()).hasSize(1);
  }

  @Test
  void aPollCarryingABadResultFailsAsAReportWouldAndChangesNothing() {
    // Given: one result fine, the next without its revision
    Entry first = create(token, entry(td, "/first", site.getId()));
    Entry second = create(token, entry(td, "/second", site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then: nothing of the report is applied, and no work is handed out
    assertPollFails(
        pollRequest(0)
            .setReportId("bad")
            .addResults(result(first.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED))
            .addResults(
                result(second.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED).toBuilder().setRevision(0)),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertPollFails(
        pollRequest(0)
            .setReportId("x".repeat(129))
            .addResults(result(first.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED)),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aPollCarryingResultsFromAnAgentWithoutTheLeaseIsRefusedAndChangesNothing() {
    // Given: a due entry, and a poll from an agent that does not hold the site's lease
    Entry created = create(token, entry(td, "/fenced", site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertPollFails(
        pollRequest(0)
            .setAgentId("another-agent")
            .setReportId("stale")
            .addResults(result(created.getId(), SyncOutcome.SYNC_OUTCOME_SYNCED)),
        Status.Code.FAILED_PRECONDITION,
        "LEASE_NOT_HELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void anIdlePollAnswersEmptyAtItsDeadline() {
    // Given: a site with nothing to do

    // When
    PollEntriesResponse response = poll(1);

    // Then
    assertThat(response.getChangesList()).isEmpty();
  }

  @Test
  void rejectsUnknownSitesAndNegativeWaits() {
    // Given: an Admin (token) and a site

    // When / Then: an unknown site, a negative wait, a site id that is no UUID
    assertFails(
        () ->
            Api.sync(token)
                .pollEntries(
                    PollEntriesRequest.newBuilder()
                        .setSiteId(UUID.randomUUID().toString())
                        .setAgentId(Fixtures.AGENT)
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () ->
            Api.sync(token)
                .pollEntries(
                    PollEntriesRequest.newBuilder()
                        .setSiteId(site.getId())
                        .setAgentId(Fixtures.AGENT)
                        .setWait(Duration.newBuilder().setSeconds(-1))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.sync(token)
                .pollEntries(
                    PollEntriesRequest.newBuilder()
                        .setSiteId("x")
                        .setAgentId(Fixtures.AGENT)
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
  }

  private PollEntriesResponse poll(long waitSeconds) {
    return Api.sync(token).pollEntries(pollRequest(waitSeconds).build());
  }

  private void assertPollFails(
      PollEntriesRequest.Builder request, Status.Code code, String reason) {
    assertFails(() -> Api.sync(token).pollEntries(request.build()), code, reason);
  }

  private PollEntriesRequest.Builder pollRequest(long waitSeconds) {
    return PollEntriesRequest.newBuilder()
        .setSiteId(site.getId())
        .setAgentId(Fixtures.AGENT)
        .setWait(Duration.newBuilder().setSeconds(waitSeconds));
  }

  private static SyncResult result(String entryId, SyncOutcome outcome) {
    return SyncResult.newBuilder()
        .setEntryId(entryId)
        .setRevision(1)
        .setOutcome(outcome)
        .setSpireEntryId("spire-mgmt-" + entryId)
        .build();
  }

  private static double pollsWaiting() {
    return Metrics.gauge("sync_polls_waiting");
  }
}
