package io.spiremgmt.backend.auth;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.Fixtures.selector;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import io.grpc.Context;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListAuditEventsResponse;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.StreamQueue;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Developer's StreamSyncUpdates and ListAuditEvents: only the entries of its namespaces, filtered
 * by the server, for entries that still exist and for purged ones; its page tokens cross no scope.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class DeveloperEventScopeTest {
  private final String admin = Api.adminToken("admin@dev-scope");
  private final List<Context.CancellableContext> streams = new ArrayList<>();
  private String td;
  private Site site;
  private String nsA;
  private String nsB;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(admin, td);
    Fixtures.leased(admin, site);
    nsA = "a-" + Fixtures.unique();
    nsB = "b-" + Fixtures.unique();
  }

  @AfterEach
  void cancelStreams() {
    streams.forEach(c -> c.cancel(null));
  }

  @Test
  void aDevelopersStreamCarriesOnlyItsNamespacesEntriesThroughPurge() throws Exception {
    // Given: a Developer of A follows every change, and a marker entry of A closes the run
    BlockingQueue<Object> updates = subscribe(Api.developerToken("dev-a@stream", nsA), request());
    Entry mine = create(admin, inNamespace(nsA, "/mine"));
    Entry theirs = create(admin, inNamespace(nsB, "/theirs"));

    // When: both entries go through sync, deletion and purge
    for (Entry e : List.of(mine, theirs)) {
      report(e.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "spire-mgmt." + e.getId());
      long deleted = delete(e);
      report(e.getId(), deleted, SyncOutcome.SYNC_OUTCOME_DELETED, "");
    }
    Entry marker = create(admin, inNamespace(nsA, "/marker"));

    // Then: A's entry from PENDING to REMOVED (after its purge), nothing of B's
    List<SyncUpdate> got = takeUntil(updates, marker.getId());
    assertThat(got)
        .extracting(u -> u.getEntryId() + " " + u.getSyncState())
        .containsExactly(
            mine.getId() + " SYNC_STATE_PENDING",
            mine.getId() + " SYNC_STATE_SYNCED",
            mine.getId() + " SYNC_STATE_DELETING",
            mine.getId() + " SYNC_STATE_REMOVED",
            marker.getId() + " SYNC_STATE_PENDING");
  }

  @Test
  void anEntryMovedToAnotherNamespaceLeavesTheFirstDevelopersStream() throws Exception {
    // Given: Developers of A and of B follow the site
    BlockingQueue<Object> forA =
        subscribe(Api.developerToken("dev-a@move", nsA), request().addSiteIds(site.getId()));
    BlockingQueue<Object> forB =
        subscribe(Api.developerToken("dev-b@move", nsB), request().addSiteIds(site.getId()));
    Entry moved = create(admin, inNamespace(nsA, "/moved"));

    // When: an Operator moves the entry from A to B (its k8s:ns selector changes)
    Entry after =
        Api.entries(admin)
            .updateEntry(
                UpdateEntryRequest.newBuilder()
                    .setEntry(
                        inNamespace(nsB, "/moved").setId(moved.getId()).setRevision(1).build())
                    .setUpdateMask(FieldMask.newBuilder().addPaths("selectors"))
                    .build());
    Entry markerA = create(admin, inNamespace(nsA, "/marker-a"));
    Entry markerB = create(admin, inNamespace(nsB, "/marker-b"));

    // Then: A saw the revision that was its own, B only the one that is its own
    assertThat(takeUntil(forA, markerA.getId()))
        .extracting(u -> u.getEntryId() + "@" + u.getRevision())
        .containsExactly(moved.getId() + "@1", markerA.getId() + "@1");
    assertThat(takeUntil(forB, markerB.getId()))
        .extracting(u -> u.getEntryId() + "@" + u.getRevision())
        .containsExactly(moved.getId() + "@" + after.getRevision(), markerB.getId() + "@1");
  }

  @Test
  void aDevelopersAuditTrailHoldsOnlyItsNamespacesEntriesEvenAfterPurge() {
    // Given: events of every kind: entries of A and B (one of A purged), a site change, an API key,
    // a trigger and a denial
    String devToken = Api.developerToken("dev-a@audit", nsA);
    Entry purged = create(admin, inNamespace(nsA, "/purged"));
    report(purged.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "spire-mgmt." + purged.getId());
    long deleted = delete(purged);
    report(purged.getId(), deleted, SyncOutcome.SYNC_OUTCOME_DELETED, "");
    Entry kept = create(admin, inNamespace(nsA, "/kept"));
    Entry theirs = create(admin, inNamespace(nsB, "/theirs"));
    report(theirs.getId(), 1, SyncOutcome.SYNC_OUTCOME_SYNCED, "spire-mgmt." + theirs.getId());
    Fixtures.site(admin, td);
    String key = ApiKeys.createKey(admin, ApiKeys.key("Viewer", List.of(), "")).getApiKey().getId();
    ApiKeys.service(admin).revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(key).build());
    Api.sync(admin).triggerSync(TriggerSyncRequest.newBuilder().addSiteIds(site.getId()).build());
    assertFails(
        () -> Api.sync(devToken).triggerSync(TriggerSyncRequest.newBuilder().build()),
        Status.Code.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED");

    // When
    List<AuditEvent> seen = listAll(devToken, ListAuditEventsRequest.newBuilder());

    // Then: the create, sync, delete, unassign and purge of A's purged entry, A's other entry
    assertThat(seen)
        .extracting(e -> e.getAction() + " " + e.getTargetId())
        .containsExactly(
            "entry.create " + kept.getId(),
            "entry.purge " + purged.getId(),
            "entry.unassign " + purged.getId(),
            "entry.delete " + purged.getId(),
            "entry.sync " + purged.getId(),
            "entry.create " + purged.getId());
  }

  @Test
  void aDevelopersAuditPagesAreExactAndItsTokensCrossNoScope() {
    // Given: three events of A between events of B
    String devA = Api.developerToken("dev-a@pages", nsA);
    for (int i = 0; i < 3; i++) {
      create(admin, inNamespace(nsB, "/b-" + i));
      create(admin, inNamespace(nsA, "/a-" + i));
    }

    // When: the Developer of A reads pages of 2
    ListAuditEventsResponse first =
        Api.audit(devA).listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(2).build());
    ListAuditEventsResponse second =
        Api.audit(devA)
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setPageSize(2)
                    .setPageToken(first.getNextPageToken())
                    .build());

    // Then: full pages of its own events; its token is refused to an Admin and to a Developer of
    // other namespaces, and theirs to it
    assertThat(first.getAuditEventsList()).hasSize(2);
    assertThat(second.getAuditEventsList()).hasSize(1);
    assertThat(second.getNextPageToken()).isEmpty();
    assertThat(first.getAuditEventsList())
        .allSatisfy(e -> assertThat(e.getAction()).isEqualTo("entry.create"));
    String adminToken =
        Api.audit(admin)
            .listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(1).build())
            .getNextPageToken();
    String devB = Api.developerToken("dev-b@pages", nsB);
    String tokenOfB =
        Api.audit(devB)
            .listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(1).build())
            .getNextPageToken();
    assertFails(() -> page(devA, adminToken), Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
    assertFails(() -> page(devA, tokenOfB), Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
    assertFails(
        () -> page(admin, first.getNextPageToken()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
    assertFails(
        () -> page(devB, first.getNextPageToken()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  @Test
  void aDeveloperAskingForAnotherTargetTypeIsOutsideItsScope() {
    // Given
    String devA = Api.developerToken("dev-a@types", nsA);

    // When / Then
    for (String type : List.of("site", "rpc", "apikey")) {
      assertFails(
          () ->
              Api.audit(devA)
                  .listAuditEvents(ListAuditEventsRequest.newBuilder().setTargetType(type).build()),
          Status.Code.PERMISSION_DENIED,
          "OUTSIDE_SCOPE");
    }
  }

  private static void page(String token, String pageToken) {
    Api.audit(token)
        .listAuditEvents(
            ListAuditEventsRequest.newBuilder().setPageSize(1).setPageToken(pageToken).build());
  }

  private static List<AuditEvent> listAll(String token, ListAuditEventsRequest.Builder request) {
    List<AuditEvent> out = new ArrayList<>();
    String pageToken = "";
    do {
      ListAuditEventsResponse page =
          Api.audit(token).listAuditEvents(request.setPageSize(2).setPageToken(pageToken).build());
      out.addAll(page.getAuditEventsList());
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());
    return out;
  }

  private Entry.Builder inNamespace(String ns, String path) {
    return entry(td, path, site.getId())
        .clearSelectors()
        .addSelectors(selector("k8s:ns", ns))
        .addSelectors(selector("k8s:sa", path.replace("/", "-")))
        .clearDnsNames();
  }

  private long delete(Entry e) {
    return Api.entries(admin)
        .deleteEntry(DeleteEntryRequest.newBuilder().setId(e.getId()).build())
        .getEntry()
        .getRevision();
  }

  private void report(String entryId, long revision, SyncOutcome outcome, String spireId) {
    SyncResult.Builder r =
        SyncResult.newBuilder().setEntryId(entryId).setRevision(revision).setOutcome(outcome);
    if (outcome == SyncOutcome.SYNC_OUTCOME_SYNCED) {
      r.setSpireEntryId(spireId);
    }
    Fixtures.report(admin, site, r);
  }

  private static StreamSyncUpdatesRequest.Builder request() {
    return StreamSyncUpdatesRequest.newBuilder();
  }

  /** Opens a stream; once its first update can only be a change made after this returns. */
  private BlockingQueue<Object> subscribe(String token, StreamSyncUpdatesRequest.Builder request)
      throws Exception {
    // A cursor read through an Admin's stream makes "from now on" exact for the Developer's.
    BlockingQueue<Object> probe = open(admin, request().addSiteIds(site.getId()));
    Entry tick = create(admin, inNamespace("probe-" + Fixtures.unique(), "/probe"));
    String cursor = takeUntil(probe, tick.getId()).get(0).getCursor();
    return open(token, request.setCursor(cursor));
  }

  private BlockingQueue<Object> open(String token, StreamSyncUpdatesRequest.Builder request) {
    Context.CancellableContext ctx = Context.current().withCancellation();
    streams.add(ctx);
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    ctx.run(() -> Api.syncAsync(token).streamSyncUpdates(request.build(), StreamQueue.into(queue)));
    return queue;
  }

  /** The updates up to and including the first one of {@code entryId}. */
  private static List<SyncUpdate> takeUntil(BlockingQueue<Object> queue, String entryId)
      throws Exception {
    List<SyncUpdate> out = new ArrayList<>();
    while (true) {
      Object next = queue.poll(20, TimeUnit.SECONDS);
      if (next == null) {
        throw new AssertionError("no update of " + entryId + " in 20 s; got " + out);
      }
      if (next instanceof Throwable t) {
        throw new AssertionError("stream failed after " + out, t);
      }
      SyncUpdate u = (SyncUpdate) next;
      out.add(u);
      if (u.getEntryId().equals(entryId)) {
        return out;
      }
    }
  }
}
