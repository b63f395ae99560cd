package io.spiremgmt.e2e;

import static java.util.stream.Collectors.groupingBy;
import static java.util.stream.Collectors.mapping;
import static java.util.stream.Collectors.toList;
import static java.util.stream.Collectors.toMap;
import static java.util.stream.Collectors.toSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntryResult;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.FailingEntry;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Crashes and outages of every part, each followed by convergence with nothing lost and nothing
 * duplicated: the agent killed mid-batch, the backend killed mid-poll, a SPIRE server down for a
 * while, and a standby agent taking over from a dead one.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SyncFaultsTest {
  private static Cluster cluster;
  private static Converge converge;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start();
    converge = new Converge(cluster);
    // Small SPIRE batches at site A make a kill land between two of them.
    cluster.startAgent("a", "fault-a", Map.of("agent.spire.batch-size", "5"));
    cluster.startAgent("b", "fault-b", Map.of());
    cluster.startAgent("c", "fault-c", Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anAgentKilledMidBatchResumesWithoutDuplicatesOrLosses() throws Exception {
    // Given: site A's agent stopped, and 200 entries for site A created in one central batch
    JavaProcess agentA = cluster.agent("fault-a");
    agentA.close();
    BatchCreateEntriesRequest.Builder batch = BatchCreateEntriesRequest.newBuilder();
    for (int i = 0; i < 200; i++) {
      batch.addRequests(
          CreateEntryRequest.newBuilder()
              .setEntry(converge.entry(Cluster.PROD, "/bulk/e" + i, "a")));
    }
    List<Entry> created =
        cluster.entries(0).batchCreateEntries(batch.build()).getResultsList().stream()
            .map(BatchCreateEntryResult::getEntry)
            .toList();
    assertThat(created).hasSize(200).allSatisfy(e -> assertThat(e.getId()).isNotEmpty());
    Set<String> ids = created.stream().map(Entry::getId).collect(toSet());

    // When: the agent starts, and is killed as soon as SPIRE shows the first of them (its first
    // full reconcile writes them in SPIRE batches of 5)
    agentA.restartWithoutWaiting();
    await()
        .atMost(Converge.WITHIN)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> heldAt("a", ids) > 0);
    agentA.kill();

    // Then: it died mid-batch: SPIRE holds some of the 200 but not all, and none was reported
    assertThat(agentA.alive()).isFalse();
    long heldAtKill = heldAt("a", ids);
    assertThat(heldAtKill).as("of the 200 held by SPIRE when the agent died").isBetween(1L, 199L);
    assertThat(converge.statesAt("a", ids))
        .containsOnlyKeys(ids)
        .allSatisfy(
            (id, state) ->
                assertThat(state)
                    .as("entry %s at site A", id)
                    .isEqualTo(SyncState.SYNC_STATE_PENDING));

    // When: it starts again
    agentA.restart();

    // Then: each of the 200 SPIFFE IDs is in SPIRE exactly once, under its own entry's id
    await().atMost(Converge.WITHIN).until(() -> heldAt("a", ids) == 200);
    Map<String, List<String>> expected =
        created.stream()
            .collect(toMap(Entry::getSpiffeId, e -> List.of(Cluster.PREFIX + e.getId())));
    assertThat(
            cluster.allSpireEntries("a").stream()
                .filter(e -> expected.containsKey(e.spiffeId()))
                .collect(groupingBy(SpireEntry::spiffeId, mapping(SpireEntry::id, toList()))))
        .as("SPIRE entry ids by SPIFFE ID (%d held when the agent was killed)", heldAtKill)
        .isEqualTo(expected);

    // Then: each of the 200 is SYNCED at site A
    await()
        .atMost(Converge.WITHIN)
        .untilAsserted(
            () ->
                assertThat(converge.statesAt("a", ids))
                    .containsOnlyKeys(ids)
                    .allSatisfy(
                        (id, state) ->
                            assertThat(state)
                                .as("entry %s at site A", id)
                                .isEqualTo(SyncState.SYNC_STATE_SYNCED)));
  }

  @Test
  void aSpireServerDownForAWhileFailsWithBackoffThenSyncsWhenItReturns() throws Exception {
    // Given
    cluster.spire("c").kill();

    // When
    Entry e = converge.create(converge.entry(Cluster.EDGE, "/outage/app", "c"));

    // Then: FAILED with SPIRE's error, retried with backoff, and the agent reports SPIRE down
    await()
        .atMost(Converge.WITHIN)
        .untilAsserted(
            () -> {
              SyncStatus status =
                  cluster
                      .sync(0)
                      .getSyncStatus(
                          GetSyncStatusRequest.newBuilder()
                              .addSiteIds(cluster.site("c").getId())
                              .build());
              assertThat(status.getFailingEntriesList())
                  .filteredOn(f -> f.getEntryId().equals(e.getId()))
                  .singleElement()
                  .satisfies(
                      f -> {
                        assertThat(f.getAttempts()).isGreaterThanOrEqualTo(1);
                        assertThat(f.getLastError()).contains("SPIRE server call failed");
                      });
            });
    await().atMost(Converge.WITHIN).until(() -> !converge.agent("c").getSpireReachable());

    // When: SPIRE comes back
    cluster.spire("c").restart();

    // Then
    converge.held("c", e);
    converge.synced(e.getId(), 1, "c");
    await().atMost(Converge.WITHIN).until(() -> converge.agent("c").getSpireReachable());
    assertThat(failing("c")).noneMatch(f -> f.getEntryId().equals(e.getId()));
  }

  @Test
  void aStandbyAgentTakesOverWhenTheActiveOneDies() throws Exception {
    // Given: a second instance for site B stands by
    cluster.startAgent("b", "fault-b-standby", Map.of());
    assertThat(converge.agent("b").getAgentId()).isEqualTo("fault-b");
    String standbyGauge = "agent_lease_held{site=\"" + cluster.site("b").getId() + "\"} 0.0";
    await()
        .atMost(Converge.WITHIN)
        .until(() -> cluster.agent("fault-b-standby").get("/q/metrics").contains(standbyGauge));
    assertThat(converge.agent("b").getAgentId()).isEqualTo("fault-b");

    // When
    cluster.agent("fault-b").kill();
    Entry e = converge.create(converge.entry(Cluster.PROD, "/failover/app", "b"));

    // Then
    converge.held("b", e);
    converge.synced(e.getId(), 1, "b");
    assertThat(converge.agent("b").getAgentId()).isEqualTo("fault-b-standby");
    assertThat(converge.agent("b").getConnected()).isTrue();
  }

  @Test
  void theBackendKilledMidPollIsRejoinedAndWritesMadeMeanwhileOnAnotherReplicaArrive()
      throws Exception {
    // Given: a second replica, and the active agent of each of the 3 sites long-polling replica 0
    int second = cluster.startBackend();
    await("a long poll of every site's agent waiting on replica 0")
        .atMost(Converge.WITHIN)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> cluster.backend(0).metric("sync_polls_waiting") == 3);
    JavaProcess agentC = cluster.agent("fault-c");
    String siteC = "{site=\"" + cluster.site("c").getId() + "\"}";
    double failuresBefore = agentC.metric("agent_backend_failures_total" + siteC);

    // When: replica 0 dies mid-poll
    cluster.backend(0).kill();

    // Then: site C's agent sees its call to replica 0 fail
    await()
        .atMost(Converge.WITHIN)
        .until(() -> agentC.metric("agent_backend_failures_total" + siteC) > failuresBefore);

    // When: an entry is written through replica 1
    Entry e =
        cluster
            .entries(second)
            .createEntry(
                CreateEntryRequest.newBuilder()
                    .setEntry(converge.entry(Cluster.EDGE, "/backend-crash/app", "c"))
                    .build());

    // Then: it does not reach site C while the agent's replica is down
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(3))
        .until(() -> !cluster.owned("c").containsKey(e.getId()));

    // When: replica 0 returns
    cluster.backend(0).restart();

    // Then
    converge.held("c", e);
    converge.synced(e.getId(), 1, "c");
  }

  /** How many of the entries {@code ids} the site's SPIRE server holds under the agent's prefix. */
  private static long heldAt(String site, Set<String> ids) {
    return cluster.owned(site).keySet().stream().filter(ids::contains).count();
  }

  private static List<FailingEntry> failing(String site) {
    return cluster
        .sync(0)
        .getSyncStatus(
            GetSyncStatusRequest.newBuilder().addSiteIds(cluster.site(site).getId()).build())
        .getFailingEntriesList();
  }
}
