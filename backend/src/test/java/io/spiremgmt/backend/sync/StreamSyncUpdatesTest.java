package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Metrics;
import io.spiremgmt.backend.support.StreamQueue;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** StreamSyncUpdates: every state change, in commit order, filtered, resumable with no gap. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class StreamSyncUpdatesTest {
  private final String token = Api.adminToken("ops@stream");
  private final List<Context.CancellableContext> streams = new ArrayList<>();
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
  }

  @AfterEach
  void cancelStreams() {
    streams.forEach(c -> c.cancel(null));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == 0);
  }

  @Test
  void followsAnEntryThroughEveryStateAtItsSite() throws Exception {
    // Given
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()));

    // When
    Entry e = create(token, entry(td, "/streamed", site.getId()));
    report(e.getId(), 1, SyncOutcome.SYNC_OUTCOME_FAILED, "");
    report(e.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "spire-mgmt." + e.getId());
    long deleted =
        Api.entries(token)
            .deleteEntry(DeleteEntryRequest.newBuilder().setId(e.getId()).build())
            .getEntry()
            .getRevision();
    report(e.getId(), deleted, SyncOutcome.SYNC_OUTCOME_DELETED, "");

    // Then
    List<SyncUpdate> got = take(updates, 5);
    assertThat(got)
        .extracting(u -> u.getSyncState() + "@" + u.getRevision())
        .containsExactly(
            "SYNC_STATE_PENDING@1",
            "SYNC_STATE_FAILED@1",
            "SYNC_STATE_SYNCED@1",
            "SYNC_STATE_DELETING@" + deleted,
            "SYNC_STATE_REMOVED@" + deleted);
    assertThat(got).allSatisfy(u -> assertThat(u.getEntryId()).isEqualTo(e.getId()));
    assertThat(got.get(1).getLastError()).isEqualTo("boom");
    assertThat(got).extracting(SyncUpdate::getCursor).doesNotHaveDuplicates();
  }

  @Test
  void showsOnlyTheRequestedSitesAndEntries() throws Exception {
    // Given
    Site other = Fixtures.site(token, td);
    BlockingQueue<Object> bySite = subscribe(request().addSiteIds(other.getId()));
    Entry watched = create(token, entry(td, "/watched", site.getId()));
    BlockingQueue<Object> byEntry = subscribe(request().addEntryIds(watched.getId()));

    // When
    create(token, entry(td, "/elsewhere", site.getId()));
    Entry there = create(token, entry(td, "/there", other.getId()));
    report(watched.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "x");

    // Then
    assertThat(take(bySite, 1).get(0).getEntryId()).isEqualTo(there.getId());
    List<SyncUpdate> watchedUpdates = take(byEntry, 1);
    assertThat(watchedUpdates.get(0).getSyncState().name()).isEqualTo("SYNC_STATE_SYNCED");
    assertThat(bySite.poll(300, TimeUnit.MILLISECONDS)).isNull();
    assertThat(byEntry.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void resumingFromACursorDeliversEveryLaterChangeOnceAndInOrder() throws Exception {
    // Given: a subscriber saw the first change, then went away
    Context.CancellableContext first = Context.current().withCancellation();
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()), first);
    Entry a = create(token, entry(td, "/resume-a", site.getId()));
    String cursor = take(updates, 1).get(0).getCursor();
    first.cancel(null);
    live--;
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == live);

    // When: more changes while it is away
    Entry b = create(token, entry(td, "/resume-b", site.getId()));
    report(a.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "x");

    // Then
    BlockingQueue<Object> resumed = subscribe(request().addSiteIds(site.getId()).setCursor(cursor));
    assertThat(take(resumed, 2))
        .extracting(u -> u.getEntryId() + " " + u.getSyncState())
        .containsExactly(b.getId() + " SYNC_STATE_PENDING", a.getId() + " SYNC_STATE_SYNCED");
    assertThat(resumed.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aChangeCommittedLateIsNotSkipped() throws Exception {
    // Given: two entries at the site and a subscriber
    Entry slow = create(token, entry(td, "/late-slow", site.getId()));
    Entry fast = create(token, entry(td, "/late-fast", site.getId()));
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()));

    try (Connection tx = DbProbe.connect()) {
      // When: a transaction changes "slow" first but commits last
      tx.setAutoCommit(false);
      try (Statement st = tx.createStatement()) {
        st.executeUpdate(
            "UPDATE workload_entry_sites SET sync_status = 'SYNCED', spire_entry_id = 'x'"
                + " WHERE workload_entry_id = '"
                + slow.getId()
                + "'");
      }
      report(fast.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "y");

      // Then: nothing is delivered past the open transaction's change
      assertThat(updates.poll(500, TimeUnit.MILLISECONDS)).isNull();
      tx.commit();
    }
    assertThat(take(updates, 2))
        .extracting(SyncUpdate::getEntryId)
        .containsExactly(slow.getId(), fast.getId());
  }

  @Test
  void aTransactionLeftOpenOnAnotherTableDoesNotDelayDelivery() throws Exception {
    // Given: a subscriber, and a session idle in a transaction that holds a transaction id and a
    // write to another table
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()));
    Site unrelated = Fixtures.site(token, td);
    try (Connection idle = DbProbe.connect()) {
      idle.setAutoCommit(false);
      try (Statement st = idle.createStatement()) {
        st.executeQuery("SELECT pg_current_xact_id()").close();
        st.executeUpdate(
            "UPDATE sites SET region = 'held open' WHERE id = '" + unrelated.getId() + "'");
      }

      // When
      Entry e = create(token, entry(td, "/not-held-back", site.getId()));

      // Then: delivered while that transaction is still open
      SyncUpdate got = take(updates, 1, Duration.ofSeconds(5)).get(0);
      assertThat(got.getEntryId()).isEqualTo(e.getId());
      assertThat(got.getSyncState()).isEqualTo(SyncState.SYNC_STATE_PENDING);
      idle.rollback();
    }
  }

  @Test
  void anEventOfAnOlderTransactionThatCommitsLastIsDeliveredOnceAfterTheOthers() throws Exception {
    // Given: two entries, a subscriber, and a transaction that began (took its id) before the next
    Entry early = create(token, entry(td, "/older-tx", site.getId()));
    Entry later = create(token, entry(td, "/newer-tx", site.getId()));
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()));
    SyncUpdate first;
    try (Connection older = DbProbe.connect()) {
      older.setAutoCommit(false);
      try (Statement st = older.createStatement()) {
        st.executeQuery("SELECT pg_current_xact_id()").close();

        // When: a younger transaction changes "later" and commits, then the older one changes
        // "early" and commits
        report(later.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "y");
        first = take(updates, 1, Duration.ofSeconds(5)).get(0);
        st.executeUpdate(
            "UPDATE workload_entry_sites SET sync_status = 'SYNCED', spire_entry_id = 'x'"
                + " WHERE workload_entry_id = '"
                + early.getId()
                + "'");
      }
      older.commit();
    }

    // Then: each change once, the late commit after the other
    SyncUpdate second = take(updates, 1).get(0);
    assertThat(first.getEntryId()).isEqualTo(later.getId());
    assertThat(second.getEntryId()).isEqualTo(early.getId());
    assertThat(second.getSyncState()).isEqualTo(SyncState.SYNC_STATE_SYNCED);
    assertThat(updates.poll(300, TimeUnit.MILLISECONDS)).isNull();

    // And: a client resuming from the first update's cursor gets the late change, once
    BlockingQueue<Object> resumed =
        subscribe(request().addSiteIds(site.getId()).setCursor(first.getCursor()));
    assertThat(take(resumed, 1))
        .extracting(u -> u.getEntryId() + " " + u.getSyncState())
        .containsExactly(early.getId() + " SYNC_STATE_SYNCED");
    assertThat(resumed.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aRolledBackWriteOfTheLogDoesNotHoldLaterChangesBack() throws Exception {
    // Given: a subscriber, and a transaction that changed a site row and rolled back
    Entry a = create(token, entry(td, "/rolled-back", site.getId()));
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()));
    try (Connection tx = DbProbe.connect()) {
      tx.setAutoCommit(false);
      try (Statement st = tx.createStatement()) {
        st.executeUpdate(
            "UPDATE workload_entry_sites SET sync_status = 'SYNCED', spire_entry_id = 'x'"
                + " WHERE workload_entry_id = '"
                + a.getId()
                + "'");
      }
      tx.rollback();
    }

    // When
    Entry b = create(token, entry(td, "/after-rollback", site.getId()));

    // Then
    assertThat(take(updates, 1, Duration.ofSeconds(5)))
        .extracting(SyncUpdate::getEntryId)
        .containsExactly(b.getId());
  }

  @Test
  void aCursorFromBeforeTheIdOrderResumesWithoutSkipping() throws Exception {
    // Given: a cursor of the former (xid, id) form at a change
    Entry a = create(token, entry(td, "/former-a", site.getId()));
    String xidAndId =
        DbProbe.queryString(
            "SELECT xid || ':' || id FROM sync_events WHERE entry_id = '" + a.getId() + "'");
    String former =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(("e1:" + xidAndId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Entry b = create(token, entry(td, "/former-b", site.getId()));

    // When
    BlockingQueue<Object> resumed = subscribe(request().addSiteIds(site.getId()).setCursor(former));

    // Then
    assertThat(take(resumed, 1))
        .extracting(u -> u.getEntryId() + " " + u.getSyncState())
        .containsExactly(b.getId() + " SYNC_STATE_PENDING");
    assertThat(resumed.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void refusesAMalformedCursor() throws Exception {
    // Given
    String cursor = "not-a-cursor";

    // When
    BlockingQueue<Object> updates = subscribe(request().setCursor(cursor));
    Object first = updates.poll(10, TimeUnit.SECONDS);

    // Then
    assertThat(first).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException e = (StatusRuntimeException) first;
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", "cursor");
  }

  @Test
  void aClientThatDoesNotReadMakesTheServerReadOnlyABoundedPartOfTheLog() throws Exception {
    // Given: a cursor, then a large event log after it
    String cursor = cursorNow();
    int logged = 60_000;
    appendEvents(logged);
    double before = eventsRead();

    // When: a client streams from that cursor and reads nothing
    Context.CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    AtomicInteger received = new AtomicInteger();
    ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
    ctx.run(
        () ->
            Api.syncAsync(token)
                .streamSyncUpdates(
                    request().setCursor(cursor).build(),
                    new ClientResponseObserver<StreamSyncUpdatesRequest, SyncUpdate>() {
                      @Override
                      public void beforeStart(
                          ClientCallStreamObserver<StreamSyncUpdatesRequest> stream) {
                        stream.disableAutoRequestWithInitial(0);
                        call[0] = stream;
                      }

                      @Override
                      public void onNext(SyncUpdate value) {
                        received.incrementAndGet();
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    }));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> eventsRead() - before >= 500);

    // Then: the server stops once the transport's windows are full, far short of the whole log
    Awaitility.await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> eventsRead() - before < logged / 3.0);
    assertThat(received).hasValue(0);

    // And: once the client reads, it gets the whole log
    call[0].request(Integer.MAX_VALUE);
    Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> received.get() >= logged);
  }

  @Test
  void aStreamFilteredOnAnAbsentEntryDoesNotRescanTheLogOnEachChange() throws Exception {
    // Given: a stream for an entry that does not exist, from before a large log
    String cursor = cursorNow();
    int logged = 5_000;
    appendEvents(logged);
    double before = eventsRead();
    subscribe(request().addEntryIds(java.util.UUID.randomUUID().toString()).setCursor(cursor));
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> eventsRead() - before >= logged);
    double caughtUp = eventsRead();

    // When: more changes wake it
    for (int i = 0; i < 3; i++) {
      create(token, entry(td, "/rescan-" + i, site.getId()));
    }

    // Then: it read the new rows only, not the log again
    Awaitility.await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> eventsRead() - caughtUp < 100);
  }

  @Test
  void refusesACursorWhoseEventsWerePurged() throws Exception {
    // Given: a cursor whose event the retention window has purged
    Context.CancellableContext first = Context.current().withCancellation();
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()), first);
    Entry e = create(token, entry(td, "/expired", site.getId()));
    String cursor = take(updates, 1).get(0).getCursor();
    first.cancel(null);
    live--;
    DbProbe.execute(
        "UPDATE sync_events SET occurred_at = now() - interval '30 days' WHERE entry_id = '"
            + e.getId()
            + "'");
    DbProbe.execute("DELETE FROM sync_events WHERE occurred_at < now() - interval '7 days'");

    // When
    BlockingQueue<Object> resumed = subscribe(request().setCursor(cursor));
    Object first2 = resumed.poll(10, TimeUnit.SECONDS);

    // Then
    assertThat(first2).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException error = (StatusRuntimeException) first2;
    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(Api.reason(error)).isEqualTo("CURSOR_EXPIRED");
    assertThat(error.getStatus().getDescription()).contains("GetSyncStatus");
    live--;
  }

  @Test
  void capsTheStreamsOfOneCallerAndFreesASlotWhenAStreamIsCancelled() throws Exception {
    // Given: one caller holds the most streams it may
    String capped = Api.adminToken("cap-" + Fixtures.unique() + "@stream");
    List<Context.CancellableContext> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Context.CancellableContext ctx = Context.current().withCancellation();
      streams.add(ctx);
      held.add(ctx);
      assertThat(subscribe(capped, request(), ctx)).isEmpty();
    }

    // When: it opens one more
    Context.CancellableContext extra = Context.current().withCancellation();
    streams.add(extra);
    BlockingQueue<Object> refused = subscribe(capped, request(), extra);
    live--;

    // Then
    Object error = refused.poll(10, TimeUnit.SECONDS);
    assertThat(error).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException e = (StatusRuntimeException) error;
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(Api.reason(e)).isEqualTo("TOO_MANY_STREAMS");
    assertThat(e.getStatus().getDescription()).contains("8").contains("max-streams-per-caller");

    // And: another caller is not affected, and a cancelled stream frees its slot
    assertThat(subscribe(request())).isEmpty();
    held.get(0).cancel(null);
    live--;
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == live);
    Context.CancellableContext again = Context.current().withCancellation();
    streams.add(again);
    BlockingQueue<Object> admitted = subscribe(capped, request(), again);
    assertThat(admitted.poll(300, TimeUnit.MILLISECONDS)).isNull();
    assertThat(liveStreams()).isEqualTo(live);
  }

  /** A cursor at the latest change so far: a stream's first update after one more change. */
  private String cursorNow() throws Exception {
    Context.CancellableContext ctx = Context.current().withCancellation();
    BlockingQueue<Object> updates = subscribe(request().addSiteIds(site.getId()), ctx);
    create(token, entry(td, "/cursor-" + Fixtures.unique(), site.getId()));
    String cursor = take(updates, 1).get(0).getCursor();
    ctx.cancel(null);
    live--;
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> liveStreams() == live);
    return cursor;
  }

  /** Appends {@code n} state changes of other entries to the log, as the trigger writes them. */
  private void appendEvents(int n) {
    DbProbe.execute(
        "INSERT INTO sync_events (entry_id, site_id, sync_state, revision)"
            + " SELECT gen_random_uuid(), gen_random_uuid(), 'PENDING', 1"
            + " FROM generate_series(1, "
            + n
            + ")");
  }

  private static double eventsRead() {
    return Metrics.gauge("sync_update_events_read_total");
  }

  private int live;

  private static double liveStreams() {
    return Metrics.gauge("sync_update_streams");
  }

  private static StreamSyncUpdatesRequest.Builder request() {
    return StreamSyncUpdatesRequest.newBuilder();
  }

  private BlockingQueue<Object> subscribe(StreamSyncUpdatesRequest.Builder request)
      throws Exception {
    Context.CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    return subscribe(request, ctx);
  }

  /** Subscribes; the queue gets each update, then the error if the stream fails. */
  private BlockingQueue<Object> subscribe(
      StreamSyncUpdatesRequest.Builder request, Context.CancellableContext ctx) throws Exception {
    return subscribe(token, request, ctx);
  }

  private BlockingQueue<Object> subscribe(
      String token, StreamSyncUpdatesRequest.Builder request, Context.CancellableContext ctx)
      throws Exception {
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    ctx.run(() -> Api.syncAsync(token).streamSyncUpdates(request.build(), StreamQueue.into(queue)));
    // Live once the service follows it: only then does "from now on" include the test's next write.
    int expected = ++live;
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> liveStreams() >= expected || !queue.isEmpty());
    return queue;
  }

  private static List<SyncUpdate> take(BlockingQueue<Object> queue, int n) throws Exception {
    return take(queue, n, Duration.ofSeconds(15));
  }

  private static List<SyncUpdate> take(BlockingQueue<Object> queue, int n, Duration wait)
      throws Exception {
    List<SyncUpdate> out = new ArrayList<>();
    while (out.size() < n) {
      Object next = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(next).as("update %d of %d", out.size() + 1, n).isNotNull();
      if (next instanceof Throwable t) {
        throw new AssertionError("stream failed", t);
      }
      out.add((SyncUpdate) next);
    }
    return out;
  }

  private void report(String entryId, long revision, SyncOutcome outcome, String spireId) {
    SyncResult.Builder r =
        SyncResult.newBuilder().setEntryId(entryId).setRevision(revision).setOutcome(outcome);
    if (outcome == SyncOutcome.SYNC_OUTCOME_SYNCED) {
      r.setSpireEntryId(spireId);
    }
    if (outcome == SyncOutcome.SYNC_OUTCOME_FAILED) {
      r.setError("boom");
    }
    Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .addResults(r)
                .build());
  }
}
