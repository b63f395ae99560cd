package io.spiremgmt.agent.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sync loop's decisions, turn by turn, against a backend, a SPIRE server, a lease and a clock
 * that are all fakes: when it reconciles in full, how it backs off, and that it writes nothing once
 * the lease is gone.
 */
class SyncLoopTest {
  private static final Duration POLL_WAIT = Duration.ofSeconds(30);
  private static final Duration FULL_INTERVAL = Duration.ofMinutes(10);

  private final FakeTime time = new FakeTime();
  private final FakeBackend backend = new FakeBackend();
  private final FakeSpireSync spire = new FakeSpireSync();
  private final FakeLease lease = new FakeLease(time);
  private final SpireHealth spireHealth = new SpireHealth();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SyncLoop loop =
      new SyncLoop(
          backend,
          spire,
          lease,
          spireHealth,
          new AgentMetrics(registry, "site-1", lease, spireHealth),
          new SyncLoop.Settings(
              POLL_WAIT, FULL_INTERVAL, Duration.ofSeconds(1), Duration.ofSeconds(8), 2),
          time,
          time,
          () -> 0.0);

  @Test
  void startsWithAFullReconcileReportsItAndThenLongPolls() throws Exception {
    // Given
    lease.take();
    backend.desired(List.of(pending("a", 3), pending("b", 1)));
    spire.unmanaged(List.of(TestEntries.entry("td.example.org", "hand-made", "/hand/made", 600)));

    // When
    loop.step();

    // Then
    assertThat(spire.reconciles()).containsExactly(List.of("a", "b"));
    assertThat(backend.results()).containsExactly(synced("a", 3), synced("b", 1));
    assertThat(backend.reconcileReports())
        .singleElement()
        .satisfies(
            unmanaged ->
                assertThat(unmanaged)
                    .extracting(UnmanagedEntry::getSpireEntryId, UnmanagedEntry::getSpiffeId)
                    .containsExactly(tuple("hand-made", "spiffe://td.example.org/hand/made")));
    assertThat(backend.pollWaits()).containsExactly(POLL_WAIT);
    assertThat(registry.get("agent_changes_applied").tag("outcome", "created").counter().count())
        .isEqualTo(2.0);
  }

  @Test
  void appliesPolledChangesToTheMirrorWithoutAnotherFullReconcile() throws Exception {
    // Given
    lease.take();
    loop.step();
    backend.queue(upsert("c", 4), delete("d", 9));

    // When: a pass, then the next poll
    loop.step();
    loop.step();

    // Then: the pass's results were carried on the next poll, not reported on their own
    assertThat(spire.reconciles()).hasSize(1);
    assertThat(spire.applied()).containsExactly(List.of("c", "d"));
    assertThat(backend.carriedOnPolls()).hasSize(1);
    assertThat(backend.separateReports()).isEmpty();
    assertThat(backend.results())
        .containsExactly(
            synced("c", 4),
            SyncResult.newBuilder()
                .setEntryId("d")
                .setRevision(9)
                .setOutcome(SyncOutcome.SYNC_OUTCOME_DELETED)
                .build());
  }

  @Test
  void reconcilesInFullAgainOnlyOnceTheIntervalHasPassed() throws Exception {
    // Given: a full reconcile now
    lease.take();
    loop.step();

    // When: one second short of the interval
    time.advance(FULL_INTERVAL.minusSeconds(1));
    loop.step();

    // Then
    assertThat(spire.reconciles()).hasSize(1);

    // When: the interval is over
    time.advance(Duration.ofSeconds(1));
    loop.step();

    // Then
    assertThat(spire.reconciles()).hasSize(2);
  }

  @Test
  void whileSpireIsDownPolledChangesAreReportedFailedAndSpireIsRetriedWithItsOwnBackoff()
      throws Exception {
    // Given: a current mirror, then SPIRE goes away
    lease.take();
    loop.step();
    spire.down(true);
    backend.queue(upsert("c", 2));
    backend.queue(upsert("d", 5));

    // When: a pass meets the outage, and two more turns follow
    loop.step();
    loop.step();
    loop.step();

    // Then: the first change was tried, the second never reached SPIRE; both are FAILED
    assertThat(spire.applied()).containsExactly(List.of("c"));
    assertThat(backend.results())
        .containsExactly(
            spireUnavailable("c", 2, "SPIRE server call failed: UNAVAILABLE: connection refused"),
            spireUnavailable("d", 5, "SPIRE server call failed: UNAVAILABLE: connection refused"));
    // Then: the turn after the failed pass tries a full reconcile, which fails; the next turn,
    // still inside SPIRE's backoff (1 s), does not, and polls only until the backoff ends
    assertThat(spire.reconciles()).hasSize(2);
    assertThat(backend.pollWaits())
        .containsExactly(POLL_WAIT, POLL_WAIT, Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertThat(spireHealth.reachable()).isFalse();
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void whileSpireIsDownChangesThatKeepArrivingDoNotStartAFullReconcileBeforeTheBackoffEnds()
      throws Exception {
    // Given: SPIRE is down from the start
    lease.take();
    spire.down(true);

    // When: twenty changes arrive, one per turn, with no time passing between the polls
    for (int i = 0; i < 20; i++) {
      backend.queue(upsert("c" + i, 1));
      loop.step();
    }
    // (the next poll carries the last pass's results)
    loop.step();

    // Then: one full reconcile was tried, every change was answered FAILED, and no download of
    // the desired state was repeated
    assertThat(spire.reconciles()).hasSize(1);
    assertThat(backend.results())
        .hasSize(20)
        .allMatch(r -> r.getReason().equals("SPIRE_UNAVAILABLE"));

    // When: SPIRE's backoff (1 s) has passed, and the next attempt fails too
    time.advance(Duration.ofSeconds(1));
    loop.step();
    loop.step();

    // Then: one more attempt, and the backoff doubled (2 s) before the next
    assertThat(spire.reconciles()).hasSize(2);
    time.advance(Duration.ofMillis(1999));
    loop.step();
    assertThat(spire.reconciles()).hasSize(2);
    time.advance(Duration.ofMillis(1));
    loop.step();
    assertThat(spire.reconciles()).hasSize(3);
  }

  @Test
  void theSpireBackoffIsJitteredDownToHalfItsLength() throws Exception {
    // Given: a loop whose jitter takes (almost) the most it may
    SyncLoop jittered =
        new SyncLoop(
            backend,
            spire,
            lease,
            spireHealth,
            new AgentMetrics(new SimpleMeterRegistry(), "site-1", lease, spireHealth),
            new SyncLoop.Settings(
                POLL_WAIT, FULL_INTERVAL, Duration.ofSeconds(4), Duration.ofSeconds(8), 2),
            time,
            time,
            () -> 0.5);
    lease.take();
    spire.down(true);

    // When
    jittered.step();

    // Then: the 4 s backoff became 3 s, and the poll waits only that long
    assertThat(spire.reconciles()).hasSize(1);
    assertThat(backend.pollWaits()).containsExactly(Duration.ofSeconds(3));
  }

  @Test
  void aRefusedReconcileReportNeitherStartsAnotherFullReconcileNorStopsThePolls() throws Exception {
    // Given: the backend refuses the reconcile report three times
    lease.take();
    backend.refuseReconcileReports(3);

    // When: a full reconcile, then five turns with a change each, a second apart
    loop.step();
    for (int i = 0; i < 5; i++) {
      time.advance(Duration.ofSeconds(1));
      backend.queue(upsert("c" + i, 1));
      loop.step();
    }

    // Then: one full reconcile; every change polled, applied and reported; the report retried
    // with its own backoff (at 0, 1, 3 and 7 s) until it landed
    assertThat(spire.reconciles()).hasSize(1);
    assertThat(spire.applied()).hasSize(5);
    assertThat(backend.pollWaits()).hasSize(6);
    assertThat(backend.reconcileReportCalls()).isEqualTo(3);
    time.advance(Duration.ofSeconds(2));
    loop.step();
    assertThat(backend.results()).hasSize(5);
    assertThat(backend.reconcileReportCalls()).isEqualTo(4);
    assertThat(backend.reconcileReports()).hasSize(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void aRefusedReconcileReportIsSentAgainUnderTheSameReconcileIdAndTheNextReconcileGetsANewOne()
      throws Exception {
    // Given: the backend refuses the first reconcile report
    lease.take();
    spire.unmanaged(List.of(TestEntries.entry("td.example.org", "hand-made", "/hand/made", 600)));
    backend.refuseReconcileReports(1);
    loop.step();

    // When: the report's backoff (1 s) ends, and later the next full reconcile is due
    time.advance(Duration.ofSeconds(1));
    loop.step();
    time.advance(FULL_INTERVAL);
    loop.step();

    // Then: the retry carries the refused report's id, the next reconcile a new one
    List<String> ids = backend.reconcileReportIds();
    assertThat(ids).hasSize(3);
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
    assertThat(ids.get(2)).isNotEqualTo(ids.get(0));
    assertThat(backend.reconcileReports()).hasSize(2);
  }

  @Test
  void theFirstTurnAfterASpireOutageIsAFullReconcile() throws Exception {
    // Given: SPIRE failed a pass
    lease.take();
    backend.desired(List.of(pending("a", 1)));
    loop.step();
    spire.down(true);
    backend.queue(upsert("c", 2));
    loop.step();

    // When: SPIRE is back
    spire.down(false);
    backend.desired(List.of(pending("a", 1), pending("c", 2)));
    backend.queue(upsert("e", 1));
    loop.step();

    // Then: a full reconcile first (it writes "c" too), then the polled change, on a full poll
    assertThat(spire.reconciles()).containsExactly(List.of("a"), List.of("a", "c"));
    assertThat(spire.applied()).containsExactly(List.of("c"), List.of("e"));
    assertThat(backend.pollWaits()).containsExactly(POLL_WAIT, POLL_WAIT, POLL_WAIT);
    assertThat(spireHealth.reachable()).isTrue();
    assertThat(spireHealth.lastError()).isEmpty();
  }

  @Test
  void backsOffExponentiallyWhileTheBackendIsDownAndStartsOverOnceItAnswers() throws Exception {
    // Given
    lease.take();
    backend.down(true);

    // When
    for (int i = 0; i < 6; i++) {
      loop.step();
    }

    // Then: 1, 2, 4, 8 s, then never more than the 8 s maximum
    assertThat(time.sleeps())
        .containsExactly(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(8),
            Duration.ofSeconds(8),
            Duration.ofSeconds(8));
    assertThat(registry.get("agent_backend_failures").counter().count()).isEqualTo(6.0);
    assertThat(spire.reconciles()).isEmpty();

    // When: the backend answers one turn, then fails again
    backend.down(false);
    loop.step();
    backend.down(true);
    loop.step();

    // Then: the backoff started over
    assertThat(spire.reconciles()).hasSize(1);
    assertThat(time.sleeps()).hasSize(7).last().isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void takingTheLeaseAgainStartsOverWithAFullReconcile() throws Exception {
    // Given: a current mirror, well within the interval
    lease.take();
    loop.step();

    // When: another instance held the site in between
    lease.lose();
    loop.step();
    lease.take();
    loop.step();

    // Then
    assertThat(spire.reconciles()).hasSize(2);
    assertThat(backend.pollWaits()).containsExactly(POLL_WAIT, POLL_WAIT);
  }

  @Test
  void withoutTheLeaseNothingIsPolledReconciledOrReported() throws Exception {
    // Given
    backend.queue(upsert("c", 1));
    long start = time.nanoTime();

    // When
    loop.step();
    loop.step();
    loop.step();

    // Then: each turn waited a second for the lease, and did nothing else
    assertThat(backend.pollWaits()).isEmpty();
    assertThat(spire.reconciles()).isEmpty();
    assertThat(spire.applied()).isEmpty();
    assertThat(backend.reportCalls()).isEmpty();
    assertThat(Duration.ofNanos(time.nanoTime() - start)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void changesPolledAsTheLeaseIsLostAreNeitherWrittenNorReported() throws Exception {
    // Given
    lease.take();
    loop.step();
    int reportsBefore = backend.reportCalls().size();
    backend.queue(upsert("c", 1));
    backend.whilePolling(lease::lose);

    // When
    loop.step();

    // Then
    assertThat(spire.applied()).isEmpty();
    assertThat(backend.reportCalls()).hasSize(reportsBefore);
  }

  @Test
  void aRefusedReportIsRetriedWithTheSameRequestIdUntilTheBackendTakesIt() throws Exception {
    // Given
    lease.take();
    loop.step();
    backend.queue(upsert("c", 1));
    loop.step();
    backend.refuseReports(2);

    // When: the polls carrying the results are refused twice, the third is taken
    loop.step();
    loop.step();
    loop.step();

    // Then: the same report id each time, after the backend's backoff
    assertThat(backend.reportCalls())
        .hasSize(3)
        .extracting(FakeBackend.Report::reportId)
        .containsOnly(backend.reportCalls().get(0).reportId());
    assertThat(backend.reports()).singleElement().isEqualTo(backend.reportCalls().get(2));
    assertThat(backend.results()).containsExactly(synced("c", 1));
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Test
  void aRefusedReportIsDroppedOnceTheLeaseIsGone() throws Exception {
    // Given: a change applied, and the lease lost while the poll carrying its result is refused
    lease.take();
    loop.step();
    backend.queue(upsert("c", 1));
    loop.step();
    backend.refuseReports(3);
    backend.whileReporting(lease::lose);

    // When: that poll, and the next turns
    loop.step();
    loop.step();
    loop.step();

    // Then: tried once, not retried: the next holder reconciles from SPIRE anyway; the failed poll
    // backed off as any failed backend call does
    assertThat(spire.applied()).containsExactly(List.of("c"));
    assertThat(backend.reportCalls()).hasSize(1);
    assertThat(backend.reports()).isEmpty();
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  void aBackendThatIgnoresCarriedResultsGetsThemReportedOnTheirOwnFromThenOn() throws Exception {
    // Given: a backend that predates carried results
    backend.ignoreCarried();
    lease.take();
    loop.step();
    backend.queue(upsert("c", 1));
    loop.step();
    backend.queue(upsert("d", 2));

    // When: the poll carrying c's result comes back without taking it, and brings d
    loop.step();

    // Then: c's result was reported on its own under the carried id, d's at once
    assertThat(backend.results()).containsExactly(synced("c", 1), synced("d", 2));
    assertThat(backend.separateReports()).hasSize(2);
    assertThat(backend.carriedOnPolls()).isEmpty();
  }

  @Test
  void aDueFullReconcileIsPrecededByTheReportOfTheCarriedResults() throws Exception {
    // Given: a pass's result carried, and the next full reconcile due
    lease.take();
    loop.step();
    backend.queue(upsert("c", 1));
    loop.step();
    time.advance(FULL_INTERVAL);
    spire.whileReconciling(
        () -> assertThat(backend.results()).as("reported before").contains(synced("c", 1)));

    // When
    loop.step();

    // Then
    assertThat(spire.reconciles()).hasSize(2);
    assertThat(backend.separateReports()).hasSize(1);
    assertThat(backend.results()).containsExactly(synced("c", 1));
  }

  @Test
  void aStoppingLoopReportsTheCarriedResultsOnce() throws Exception {
    // Given: a pass's result carried, and the loop asked to stop
    lease.take();
    loop.step();
    backend.queue(upsert("c", 1));
    loop.step();
    loop.stop();

    // When
    loop.run();

    // Then
    assertThat(backend.results()).containsExactly(synced("c", 1));
  }

  @Test
  void anInterruptedBackoffStopsTheLoop() throws Exception {
    // Given
    SyncLoop interrupted =
        new SyncLoop(
            backend,
            spire,
            lease,
            spireHealth,
            new AgentMetrics(new SimpleMeterRegistry(), "site-1", lease, spireHealth),
            new SyncLoop.Settings(
                POLL_WAIT, FULL_INTERVAL, Duration.ofSeconds(1), Duration.ofSeconds(8), 2),
            time,
            d -> {
              throw new InterruptedException();
            });
    lease.take();
    backend.down(true);

    // When
    interrupted.run();

    // Then
    assertThat(interrupted.running()).isFalse();
    assertThat(Thread.interrupted()).isTrue();
  }

  private static SiteEntry pending(String id, long revision) {
    return SiteEntry.newBuilder()
        .setEntry(Entry.newBuilder().setId(id))
        .setRevision(revision)
        .setSyncState(SyncState.SYNC_STATE_PENDING)
        .build();
  }

  private static EntryChange upsert(String id, long revision) {
    return EntryChange.newBuilder()
        .setKind(ChangeKind.CHANGE_KIND_UPSERT)
        .setEntry(Entry.newBuilder().setId(id))
        .setRevision(revision)
        .build();
  }

  private static EntryChange delete(String id, long revision) {
    return upsert(id, revision).toBuilder().setKind(ChangeKind.CHANGE_KIND_DELETE).build();
  }

  private static SyncResult synced(String id, long revision) {
    return FakeSpireSync.synced(id, revision);
  }

  private static SyncResult spireUnavailable(String id, long revision, String error) {
    return SyncResult.newBuilder()
        .setEntryId(id)
        .setRevision(revision)
        .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
        .setError(error)
        .setReason("SPIRE_UNAVAILABLE")
        .build();
  }
}
