package io.spiremgmt.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.agent.spire.TestEntries;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Plans carried out on a real spire-server (page and batch size 2); SPIRE's answers decide. */
class PlanApplierTest {
  private static final String TD = "site-b.example.org";
  private static final String PREFIX = "spire-mgmt-";
  private static SpireServer server;
  private static SpireEntryClient client;

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
    client = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void convergesSpireToTheDesiredEntriesAndLeavesUnmanagedOnesAlone() {
    // Given: SPIRE holds an owned entry that is no longer desired, a drifted one, and a hand-made
    // one
    SpireEntry stale = entry(PREFIX + "conv-stale", "/conv/stale", 600);
    SpireEntry drifted = entry(PREFIX + "conv-kept", "/conv/kept", 60);
    SpireEntry handMade = entry("hand-made-conv", "/conv/hand", 600);
    client.create(List.of(stale, drifted, handMade));
    List<SpireEntry> desired =
        List.of(
            entry(PREFIX + "conv-kept", "/conv/kept", 600),
            entry(PREFIX + "conv-new-1", "/conv/new-1", 600),
            entry(PREFIX + "conv-new-2", "/conv/new-2", 600),
            entry(PREFIX + "conv-new-3", "/conv/new-3", 600));
    PlanApplier applier = new PlanApplier(client, PREFIX, false);

    // When
    List<PlanApplier.Outcome> outcomes =
        applier.apply(SyncPlanner.plan(desired, scoped("conv"), PREFIX));

    // Then
    assertThat(outcomes)
        .extracting(o -> o.id() + " " + o.kind())
        .containsExactlyInAnyOrder(
            PREFIX + "conv-stale DELETED",
            PREFIX + "conv-new-1 CREATED",
            PREFIX + "conv-new-2 CREATED",
            PREFIX + "conv-new-3 CREATED",
            PREFIX + "conv-kept UPDATED");
    assertThat(SyncPlanner.plan(desired, scoped("conv"), PREFIX).isEmpty()).isTrue();
    assertThat(scoped("conv")).extracting(SpireEntry::id).contains("hand-made-conv");
  }

  @Test
  void replacesAnOwnedSimilarEntryUnderAnotherIdAndReportsAnUnmanagedOneAsConflict() {
    // Given: the same workload already registered by us under an old id, and another one by hand
    client.create(
        List.of(
            entry(PREFIX + "sim-old", "/sim/ours", 600),
            entry("hand-made-sim", "/sim/theirs", 600)));
    List<SpireEntry> desired =
        List.of(
            entry(PREFIX + "sim-new", "/sim/ours", 600),
            entry(PREFIX + "sim-theirs", "/sim/theirs", 600));
    PlanApplier applier = new PlanApplier(client, PREFIX, false);

    // When: the plan (from a listing without the old entry, as after a crash) asks to create both
    List<PlanApplier.Outcome> outcomes =
        applier.apply(new SyncPlan(desired, List.of(), List.of(), List.of(), List.of()));

    // Then
    assertThat(outcomes)
        .extracting(o -> o.id() + " " + o.kind())
        .containsExactlyInAnyOrder(
            PREFIX + "sim-old DELETED", PREFIX + "sim-new CREATED", PREFIX + "sim-theirs CONFLICT");
    assertThat(scoped("sim"))
        .extracting(SpireEntry::id)
        .containsExactlyInAnyOrder(PREFIX + "sim-new", "hand-made-sim");
  }

  @Test
  void aRepeatedCreateOfTheSameIdIsNotAnError() {
    // Given: an entry created by an attempt whose answer was lost
    SpireEntry entry = entry(PREFIX + "lost-answer", "/lost/answer", 600);
    client.create(List.of(entry));

    // When
    List<PlanApplier.Outcome> outcomes =
        new PlanApplier(client, PREFIX, false)
            .apply(new SyncPlan(List.of(entry), List.of(), List.of(), List.of(), List.of()));

    // Then
    assertThat(outcomes)
        .extracting(PlanApplier.Outcome::kind)
        .containsExactly(PlanApplier.Kind.CREATED);
    assertThat(scoped("lost")).hasSize(1);
  }

  @Test
  void dryRunReportsAndChangesNothing() {
    // Given
    client.create(List.of(entry(PREFIX + "dry-gone", "/dry/gone", 600)));
    List<SpireEntry> before = scoped("dry");
    SyncPlan plan =
        SyncPlanner.plan(List.of(entry(PREFIX + "dry-new", "/dry/new", 600)), before, PREFIX);

    // When
    List<PlanApplier.Outcome> outcomes = new PlanApplier(client, PREFIX, true).apply(plan);

    // Then
    assertThat(outcomes)
        .extracting(o -> o.id() + " " + o.kind() + " " + o.dryRun())
        .containsExactlyInAnyOrder(
            PREFIX + "dry-gone DELETED true", PREFIX + "dry-new CREATED true");
    assertThat(scoped("dry")).isEqualTo(before);
  }

  /** The entries of one test (by SPIFFE ID path), so tests sharing the server stay apart. */
  private static List<SpireEntry> scoped(String tag) {
    return client.listAll().stream()
        .filter(e -> e.spiffeId().startsWith("spiffe://" + TD + "/" + tag + "/"))
        .toList();
  }

  private static SpireEntry entry(String id, String path, int ttl) {
    return TestEntries.entry(TD, id, path, ttl);
  }
}
