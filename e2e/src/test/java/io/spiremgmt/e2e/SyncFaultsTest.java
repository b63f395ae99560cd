package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.FailingEntry;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.SyncStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
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
    // Given: 200 entries for site A, created in one central batch
    BatchCreateEntriesRequest.Builder batch = BatchCreateEntriesRequest.newBuilder();
    for (int i = 0; i < 200; i++) {
      batch.addRequests(
          CreateEntryRequest.newBuilder()
              .setEntry(converge.entry(Cluster.PROD, "/bulk/e" + i, "a")));
    }
    List<Entry> created = new ArrayList<>();
    cluster
        .entries(0)
        .batchCreateEntries(batch.build())
        .getResultsList()
        .forEach(r -> created.add(r.getEntry()));
    assertThat(created).hasSize(200).allSatisfy(e -> assertThat(e.getId()).isNotEmpty());
    Set<String> ids = new HashSet<>();
    created.forEach(e -> ids.add(e.getId()));

    // When: the agent is killed as soon as SPIRE shows the first of them
    await()
        .atMost(Converge.WITHIN)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> cluster.owned("a").keySet().stream().anyMatch(ids::contains));
    cluster.agent("fault-a").kill();
    long heldAtKill = cluster.owned("a").keySet().stream().filter(ids::contains).count();
    cluster.agent("fault-a").restart();

    // Then: every entry is in SPIRE exactly once and SYNCED centrally
    await().atMost(Converge.WITHIN).until(() -> cluster.owned("a").keySet().containsAll(ids));
    List<SpireEntry> all = cluster.allSpireEntries("a");
    Set<String> spiffeIds = new HashSet<>();
    created.forEach(e -> spiffeIds.add(e.getSpiffeId()));
    assertThat(all.stream().filter(e -> spiffeIds.contains(e.spiffeId())).count())
        .as("SPIRE entries for the 200 SPIFFE IDs (%d held when the agent was killed)", heldAtKill)
        .isEqualTo(200);
    await()
        .atMost(Converge.WITHIN)
        .untilAsserted(
            () ->
                assertThat(
                        cluster
                            .sync(0)
                            .getSyncStatus(
                                GetSyncStatusRequest.newBuilder()
                                    .addSiteIds(cluster.site("a").getId())
                                    .build())
                            .getOverall()
                            .getSynced())
                    .isGreaterThanOrEqualTo(200));
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
    // Given: a second replica, and the agents long-polling replica 0
    int second = cluster.startBackend();

    // When: replica 0 dies mid-poll; an entry is written through replica 1; replica 0 returns
    cluster.backend(0).kill();
    Entry e =
        cluster
            .entries(second)
            .createEntry(
                CreateEntryRequest.newBuilder()
                    .setEntry(converge.entry(Cluster.EDGE, "/backend-crash/app", "c"))
                    .build());
    cluster.backend(0).restart();

    // Then
    converge.held("c", e);
    converge.synced(e.getId(), 1, "c");
  }

  private static List<FailingEntry> failing(String site) {
    return cluster
        .sync(0)
        .getSyncStatus(
            GetSyncStatusRequest.newBuilder().addSiteIds(cluster.site(site).getId()).build())
        .getFailingEntriesList();
  }
}
