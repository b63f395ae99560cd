package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Timestamps;
import io.grpc.Context;
import io.grpc.Context.CancellableContext;
import io.grpc.stub.StreamObserver;
import io.spiremgmt.agent.spire.EntryField;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListUnmanagedEntriesRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesResponse;
import io.spiremgmt.api.v1.SiteAgentStatus;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The central store drives three real SPIRE servers through three real agents: what SPIRE holds
 * (asked through its own Entry API) is exactly what was assigned, drift is repaired, and entries
 * made by hand are reported and never touched.
 */
class SyncEndToEndTest {
  private static final Duration CONVERGE = Converge.WITHIN;
  private static final SyncState PENDING = SyncState.SYNC_STATE_PENDING;
  private static final SyncState SYNCED = SyncState.SYNC_STATE_SYNCED;
  private static Cluster cluster;
  private static Converge converge;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start();
    converge = new Converge(cluster);
    cluster.startAgent("a", "e2e-a", Map.of());
    cluster.startAgent("b", "e2e-b", Map.of());
    // Site C's agent reaches its SPIRE server over TCP with an admin X.509-SVID, not the socket.
    cluster.startAgent("c", "e2e-c", cluster.tcpSpire("c"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void createUpdateReassignAndDeleteReachEverySpireServer() {
    // Given / When: created for sites A and B of prod.test, and one for C of edge.test
    Entry prod = converge.create(converge.entry(Cluster.PROD, "/payments/api", "a", "b"));
    Entry edge = converge.create(converge.entry(Cluster.EDGE, "/edge/gateway", "c"));

    // Then
    converge.held("a", prod);
    converge.held("b", prod);
    converge.held("c", edge);
    converge.synced(prod.getId(), 1, "a", "b");
    assertThat(cluster.owned("c")).doesNotContainKey(prod.getId());

    // When: selectors, TTL and DNS names change, and the entry leaves site B
    Entry changed =
        cluster
            .entries(0)
            .updateEntry(
                UpdateEntryRequest.newBuilder()
                    .setEntry(
                        prod.toBuilder()
                            .clearSelectors()
                            .addSelectors(Converge.selector("k8s", "ns:payments"))
                            .addSelectors(Converge.selector("k8s", "sa:api-v2"))
                            .setTtl(1800)
                            .clearDnsNames()
                            .addDnsNames("api-v2.payments.svc")
                            .clearSiteIds()
                            .addSiteIds(cluster.site("a").getId()))
                    .setUpdateMask(
                        FieldMask.newBuilder()
                            .addPaths("selectors")
                            .addPaths("ttl")
                            .addPaths("dns_names")
                            .addPaths("site_ids"))
                    .build());

    // Then
    converge.held("a", changed);
    await().atMost(CONVERGE).until(() -> !cluster.owned("b").containsKey(prod.getId()));
    converge.synced(prod.getId(), 2, "a");

    // When: assigned to B again
    Entry back =
        cluster
            .entries(0)
            .updateEntry(
                UpdateEntryRequest.newBuilder()
                    .setEntry(changed.toBuilder().addSiteIds(cluster.site("b").getId()))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("site_ids"))
                    .build());

    // Then
    converge.held("b", back);
    converge.synced(prod.getId(), 3, "a", "b");

    // When: deleted
    cluster.entries(0).deleteEntry(DeleteEntryRequest.newBuilder().setId(prod.getId()).build());
    cluster.entries(0).deleteEntry(DeleteEntryRequest.newBuilder().setId(edge.getId()).build());

    // Then: gone from every SPIRE server, and purged centrally once every site confirmed
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                !cluster.owned("a").containsKey(prod.getId())
                    && !cluster.owned("b").containsKey(prod.getId())
                    && !cluster.owned("c").containsKey(edge.getId()));
    await()
        .atMost(CONVERGE)
        .until(() -> converge.purged(prod.getId()) && converge.purged(edge.getId()));
  }

  @Test
  void driftOnOwnedEntriesIsRepairedAndHandMadeEntriesAreReportedButNeverTouched()
      throws Exception {
    // Given
    Entry kept = converge.create(converge.entry(Cluster.PROD, "/drift/kept", "a"));
    Entry removed = converge.create(converge.entry(Cluster.PROD, "/drift/removed", "a"));
    converge.held("a", kept);
    converge.held("a", removed);
    SpireEntry handMade =
        TestEntries.of(
            "hand-made-" + Cluster.unique(),
            "spiffe://" + Cluster.PROD + "/legacy/batch",
            "spiffe://" + Cluster.PROD + "/spire/agent/join_token/x",
            List.of(new SpireEntry.Selector("unix", "uid:1001")),
            600);

    // When: someone edits and deletes owned entries, and adds one of their own, in SPIRE directly
    SpireEntry tampered =
        new SpireEntry(
            Cluster.PREFIX + kept.getId(),
            kept.getSpiffeId(),
            kept.getParentId(),
            List.of(new SpireEntry.Selector("k8s", "ns:attacker")),
            86400,
            0,
            List.of("evil.example"),
            List.of(),
            false,
            false,
            0,
            "",
            false,
            0);
    assertThat(
            cluster
                .spireClient("a")
                .update(
                    List.of(tampered),
                    EnumSet.of(
                        EntryField.SELECTORS, EntryField.X509_SVID_TTL, EntryField.DNS_NAMES))
                .get(0)
                .ok())
        .isTrue();
    assertThat(
            cluster.spireClient("a").delete(List.of(Cluster.PREFIX + removed.getId())).get(0).ok())
        .isTrue();
    assertThat(cluster.spireClient("a").create(List.of(handMade)).get(0).ok()).isTrue();

    // Then: central wins for owned entries
    converge.held("a", kept);
    converge.held("a", removed);

    // Then: the hand-made entry is listed as unmanaged, and survives further reconciles unchanged
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                cluster
                    .sync(0)
                    .listUnmanagedEntries(
                        ListUnmanagedEntriesRequest.newBuilder()
                            .setSiteId(cluster.site("a").getId())
                            .setPageSize(1000)
                            .build())
                    .getEntriesList()
                    .stream()
                    .map(UnmanagedEntry::getSpireEntryId)
                    .anyMatch(handMade.id()::equals));
    SpireEntry before = spireEntry("a", handMade.id());
    long reconciledAt = lastReconcile("a");
    await().atMost(CONVERGE).until(() -> lastReconcile("a") > reconciledAt);
    long again = lastReconcile("a");
    await().atMost(CONVERGE).until(() -> lastReconcile("a") > again);
    assertThat(spireEntry("a", handMade.id())).isEqualTo(before);
    assertThat(agentStatus("a").getUnmanagedCount()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void handMadeEntriesOverFourMebibytesInAllAreAllListedAsUnmanaged() throws Exception {
    // Given: 1,200 hand-made entries at site B with 2 selectors of about 2,000 characters each,
    // more than the backend takes in one message when reported together (yet a SPIRE listing page
    // of 500 stays under the agent's 4 MiB inbound limit)
    String run = Cluster.unique();
    List<SpireEntry> handMade = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      List<SpireEntry.Selector> selectors = new ArrayList<>();
      for (int j = 0; j < 2; j++) {
        selectors.add(
            new SpireEntry.Selector("unix", "path:/" + i + "/" + j + "/" + "x".repeat(2000)));
      }
      handMade.add(
          TestEntries.of(
              "big-" + run + "-" + i,
              "spiffe://" + Cluster.PROD + "/big/" + run + "/" + i,
              "spiffe://" + Cluster.PROD + "/spire/agent/join_token/x",
              selectors,
              600));
    }
    long reportedBytes =
        handMade.stream()
            .flatMap(e -> e.selectors().stream())
            .mapToLong(sel -> sel.type().length() + 1 + sel.value().length())
            .sum();
    assertThat(reportedBytes).isGreaterThan(4L * 1024 * 1024);
    Set<String> ids = handMade.stream().map(SpireEntry::id).collect(Collectors.toSet());

    try {
      // When: they are written into SPIRE directly
      for (int i = 0; i < handMade.size(); i += 50) {
        assertThat(cluster.spireClient("b").create(handMade.subList(i, i + 50)))
            .allMatch(r -> r.ok());
      }

      // Then: a later full reconcile reports them, in parts, and every one is listed once
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> unmanagedIds("b").stream().filter(ids::contains).count() == ids.size());
      List<String> listed = unmanagedIds("b");
      assertThat(listed).doesNotHaveDuplicates();
      assertThat(agentStatus("b").getUnmanagedCount()).isGreaterThanOrEqualTo(ids.size());
    } finally {
      cluster.spireClient("b").delete(List.copyOf(ids));
    }
  }

  private static List<String> unmanagedIds(String site) {
    List<String> ids = new ArrayList<>();
    String pageToken = "";
    do {
      ListUnmanagedEntriesResponse page =
          cluster
              .sync(0)
              .listUnmanagedEntries(
                  ListUnmanagedEntriesRequest.newBuilder()
                      .setSiteId(cluster.site(site).getId())
                      .setPageSize(200)
                      .setPageToken(pageToken)
                      .build());
      page.getEntriesList().forEach(u -> ids.add(u.getSpireEntryId()));
      pageToken = page.getNextPageToken();
    } while (!pageToken.isEmpty());
    return ids;
  }

  @Test
  void aSecondReplicaStreamsTheSyncOfAnEntryWrittenThroughTheFirst() throws Exception {
    // Given: a subscriber on replica 1 for site C
    int second = cluster.startBackend();
    Subscriber subscriber = new Subscriber();
    CancellableContext ctx = Context.current().withCancellation();
    ctx.run(
        () ->
            cluster
                .syncAsync(second)
                .streamSyncUpdates(
                    StreamSyncUpdatesRequest.newBuilder()
                        .addSiteIds(cluster.site("c").getId())
                        .build(),
                    subscriber));
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                subscriber.open()
                    && cluster
                        .backend(second)
                        .get("/q/metrics")
                        .contains("sync_update_streams 1.0"));

    try {
      // When: written through replica 0 and applied by site C's agent
      Entry e = converge.create(converge.entry(Cluster.EDGE, "/streamed/app", "c"));

      // Then: replica 1's subscriber sees it become PENDING and then SYNCED
      await()
          .atMost(CONVERGE)
          .until(() -> subscriber.open() && subscriber.states(e.getId()).contains(SYNCED));
      assertThat(subscriber.states(e.getId())).containsExactly(PENDING, SYNCED);
    } finally {
      ctx.cancel(null);
    }
  }

  @Test
  void siteHealthAndMetricsShowTheAgent() throws Exception {
    // Given
    Entry e = converge.create(converge.entry(Cluster.EDGE, "/metrics/probe", "c"));
    converge.held("c", e);

    // Then
    SiteAgentStatus agent = agentStatus("c");
    assertThat(agent.getAgentId()).isEqualTo("e2e-c");
    assertThat(agent.getConnected()).isTrue();
    assertThat(agent.getSpireReachable()).isTrue();
    assertThat(agent.hasLastPollTime()).isTrue();
    assertThat(agent.hasLastFullReconcileTime()).isTrue();
    String agentMetrics = agentProcess("c").get("/q/metrics");
    assertThat(agentMetrics)
        .contains("agent_changes_applied_total{outcome=\"created\"")
        .contains("agent_lease_held{site=\"" + cluster.site("c").getId() + "\"} 1.0")
        .contains("agent_reconcile_duration_seconds_count");
  }

  // ---- helpers ----

  /**
   * Collects a StreamSyncUpdates subscription's states per entry. The stream is meant to stay open:
   * once it fails or completes, {@link #open()} throws with the stream's error as its cause, which
   * ends an await at once instead of letting it run into its timeout.
   */
  private static final class Subscriber implements StreamObserver<SyncUpdate> {
    private final Map<String, List<SyncState>> states = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> ended = new AtomicReference<>();

    @Override
    public void onNext(SyncUpdate u) {
      states
          .computeIfAbsent(u.getEntryId(), id -> new CopyOnWriteArrayList<>())
          .add(u.getSyncState());
    }

    @Override
    public void onError(Throwable t) {
      ended.compareAndSet(null, t);
    }

    @Override
    public void onCompleted() {
      ended.compareAndSet(null, new IllegalStateException("the server completed the stream"));
    }

    /** True while the stream is open; throws with the stream's error once it has ended. */
    boolean open() {
      Throwable t = ended.get();
      if (t != null) {
        throw new IllegalStateException("StreamSyncUpdates ended: " + t, t);
      }
      return true;
    }

    /** The states streamed for {@code entryId} so far, in order. */
    List<SyncState> states(String entryId) {
      return List.copyOf(states.getOrDefault(entryId, List.of()));
    }
  }

  private static JavaProcess agentProcess(String site) {
    return cluster.agent("e2e-" + site);
  }

  private static SpireEntry spireEntry(String site, String id) {
    return cluster.allSpireEntries(site).stream()
        .filter(e -> e.id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private static SiteAgentStatus agentStatus(String site) {
    return converge.agent(site);
  }

  private static long lastReconcile(String site) {
    return Timestamps.toMillis(agentStatus(site).getLastFullReconcileTime());
  }
}
