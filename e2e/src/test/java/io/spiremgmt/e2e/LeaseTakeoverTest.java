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
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.SyncState;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The site lease fences writes to SPIRE: an agent frozen in the middle of a full reconcile
 * (SIGSTOP, as a long GC pause or a suspended VM would) while another instance takes its site over,
 * and an entry is deleted meanwhile, writes nothing more when it wakes up, so the deleted entry is
 * not brought back from its stale plan.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LeaseTakeoverTest {
  private static final int ENTRIES = 300;

  /** SPIRE batches of 2 make agent A's reconcile 150 writes long, so a pause lands mid-way. */
  private static final int BATCH = 2;

  /**
   * No periodic full reconcile during the test: the successor's next one would repair a re-created
   * entry (by default 10 minutes later, when SPIRE has long issued SVIDs for it), and the test must
   * see what the paused agent writes, not what repairs it afterwards.
   */
  private static final Map<String, String> SETTINGS =
      Map.of(
          "agent.spire.batch-size",
          Integer.toString(BATCH),
          "agent.full-reconcile-interval",
          "10m");

  private static Cluster cluster;
  private static Converge converge;

  @BeforeAll
  static void start() throws Exception {
    // One site; the backend grants 3-second leases (Cluster), so a paused agent loses its site
    // soon.
    cluster = Cluster.start(Map.of("a", Cluster.PROD));
    converge = new Converge(cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anAgentPausedMidReconcileWritesNothingAfterItsSuccessorDeletedAnEntry() throws Exception {
    // Given: 300 entries for site A; E has the highest id, so it is the last one a full reconcile
    // (which writes in the desired state's id order) creates
    BatchCreateEntriesRequest.Builder batch = BatchCreateEntriesRequest.newBuilder();
    for (int i = 0; i < ENTRIES; i++) {
      batch.addRequests(
          CreateEntryRequest.newBuilder()
              .setEntry(converge.entry(Cluster.PROD, "/takeover/e" + i, "a")));
    }
    List<Entry> created =
        cluster.entries(0).batchCreateEntries(batch.build()).getResultsList().stream()
            .map(BatchCreateEntryResult::getEntry)
            .toList();
    assertThat(created).hasSize(ENTRIES).allSatisfy(e -> assertThat(e.getId()).isNotEmpty());
    Set<String> ids = created.stream().map(Entry::getId).collect(toSet());
    Entry e = created.stream().max(Comparator.comparing(Entry::getId)).orElseThrow();

    // Given: agent A takes the site and starts its first full reconcile, and is paused while SPIRE
    // shows its writes arriving (more than at the previous look), well before it reaches E
    JavaProcess agentA = cluster.startAgent("a", "takeover-a", SETTINGS);
    AtomicLong seen = new AtomicLong();
    await("agent A writing")
        .atMost(Converge.WITHIN)
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              long now = heldAt(ids);
              long before = seen.getAndSet(now);
              return before > 0 && now > before;
            });
    agentA.pause();
    long heldAtPause = heldAt(ids);
    // One batch may still be in flight (sent, or about to be sent when A resumes): E is not in it.
    assertThat(heldAtPause)
        .as("entries in SPIRE when agent A was paused mid-reconcile")
        .isBetween(1L, ENTRIES - 1L - 2 * BATCH);

    // When: A's lease lapses and agent B takes the site over; its first full reconcile lists SPIRE
    // and writes the rest, E included
    cluster.startAgent("a", "takeover-b", SETTINGS);
    await("agent B holding the site")
        .atMost(Converge.WITHIN)
        .until(() -> converge.agent("a").getAgentId().equals("takeover-b"));
    await("every entry in SPIRE and SYNCED")
        .atMost(Converge.WITHIN)
        .until(
            () ->
                heldAt(ids) == ENTRIES
                    && converge.statesAt("a", ids).values().stream()
                        .allMatch(s -> s == SyncState.SYNC_STATE_SYNCED));

    // When: E is deleted; B removes it from SPIRE and reports it, and it is purged centrally
    cluster.entries(0).deleteEntry(DeleteEntryRequest.newBuilder().setId(e.getId()).build());
    await("E gone from SPIRE and purged")
        .atMost(Converge.WITHIN)
        .until(() -> !cluster.owned("a").containsKey(e.getId()) && converge.purged(e.getId()));
    Map<String, Long> beforeResume = revisions();

    // When: A wakes up in the middle of its reconcile, its plan still creating E
    long mark = agentA.logMark();
    agentA.resume();

    // Then: A's reconcile ends without another write, in one of two ways, both the lease fence's:
    // its next write finds the lease lapsed, or the write it was in when paused (already carried
    // out by SPIRE back then) has overrun its deadline, which the fence caps at a third of the
    // lease, and fails
    await("agent A's reconcile ending")
        .atMost(Converge.WITHIN)
        .until(() -> agentA.loggedSince(mark).matches("(?s).*(full reconcile|stopped writing).*"));
    assertThat(cluster.owned("a"))
        .as("SPIRE after agent A resumed: E (%s) re-created", e.getId())
        .doesNotContainKey(e.getId());
    assertThat(revisions())
        .as("SPIRE's revision of each entry, after agent A resumed")
        .isEqualTo(beforeResume);
    assertThat(agentA.loggedSince(mark))
        .as("agent A's log after it resumed")
        .doesNotContain("full reconcile: ")
        .containsAnyOf(
            "stopped writing to SPIRE: the site lease has 0 ms left",
            "full reconcile failed: SPIRE server call failed: DEADLINE_EXCEEDED");
    String lease = "agent_lease_held{site=\"" + cluster.site("a").getId() + "\"}";
    assertThat(agentA.metric(lease)).as("agent A's " + lease).isZero();

    // Then: E stays deleted, in SPIRE and centrally
    await("E staying deleted")
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(4))
        .until(() -> !cluster.owned("a").containsKey(e.getId()) && converge.purged(e.getId()));

    // Then: the other 299 are in SPIRE once each, under their own ids, SYNCED, with B holding the
    // site
    Set<String> rest = new HashSet<>(ids);
    rest.remove(e.getId());
    Map<String, List<String>> expected =
        created.stream()
            .filter(c -> rest.contains(c.getId()))
            .collect(toMap(Entry::getSpiffeId, c -> List.of(Cluster.PREFIX + c.getId())));
    assertThat(
            cluster.allSpireEntries("a").stream()
                .filter(s -> s.id().startsWith(Cluster.PREFIX))
                .collect(groupingBy(SpireEntry::spiffeId, mapping(SpireEntry::id, toList()))))
        .as("SPIRE entry ids by SPIFFE ID")
        .isEqualTo(expected);
    assertThat(converge.statesAt("a", ids))
        .containsOnlyKeys(rest)
        .allSatisfy(
            (id, state) ->
                assertThat(state).as("entry %s", id).isEqualTo(SyncState.SYNC_STATE_SYNCED));
    assertThat(converge.agent("a").getAgentId()).isEqualTo("takeover-b");
  }

  /** The revision of each entry site A's SPIRE server holds under the agent's prefix. */
  private static Map<String, Long> revisions() {
    return cluster.owned("a").entrySet().stream()
        .collect(toMap(Map.Entry::getKey, o -> o.getValue().revision()));
  }

  /** How many of the entries {@code ids} site A's SPIRE server holds under the agent's prefix. */
  private static long heldAt(Set<String> ids) {
    return cluster.owned("a").keySet().stream().filter(ids::contains).count();
  }
}
