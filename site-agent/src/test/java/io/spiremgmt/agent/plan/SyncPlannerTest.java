package io.spiremgmt.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.agent.spire.EntryField;
import io.spiremgmt.agent.spire.SpireEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncPlannerTest {
  private static final String PREFIX = "spire-mgmt-";

  @Test
  void createsWhatIsMissingAndLeavesEqualEntriesAlone() {
    // Given
    SpireEntry a = entry(PREFIX + "a", "/a", 600);
    SpireEntry b = entry(PREFIX + "b", "/b", 600);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(a, b), List.of(withRevision(a, 7)), PREFIX);

    // Then
    assertThat(plan.creates()).containsExactly(b);
    assertThat(plan.updates()).isEmpty();
    assertThat(plan.deletes()).isEmpty();
    assertThat(plan.isEmpty()).isFalse();
  }

  @Test
  void updatesOnlyTheFieldsThatDrifted() {
    // Given: SPIRE holds the entry with another TTL, reordered selectors and an extra DNS name
    SpireEntry desired = entry(PREFIX + "a", "/a", 600);
    SpireEntry drifted =
        new SpireEntry(
            desired.id(),
            desired.spiffeId(),
            desired.parentId(),
            List.of(desired.selectors().get(1), desired.selectors().get(0)),
            3600,
            0,
            List.of("a.svc", "evil.example.org"),
            List.of(),
            false,
            false,
            0,
            "",
            false,
            3);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(desired), List.of(drifted), PREFIX);

    // Then
    assertThat(plan.updates())
        .singleElement()
        .satisfies(
            u -> {
              assertThat(u.desired()).isEqualTo(desired);
              assertThat(u.changed())
                  .containsExactlyInAnyOrder(EntryField.X509_SVID_TTL, EntryField.DNS_NAMES);
            });
    assertThat(plan.creates()).isEmpty();
  }

  @Test
  void deletesOwnedEntriesNoLongerDesiredAndNeverTouchesUnmanagedOnes() {
    // Given
    SpireEntry kept = entry(PREFIX + "kept", "/kept", 600);
    SpireEntry gone = entry(PREFIX + "gone", "/gone", 600);
    SpireEntry foreign = entry("3f1c2b7e-made-by-hand", "/foreign", 600);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(kept), List.of(kept, gone, foreign), PREFIX);

    // Then
    assertThat(plan.deletes()).containsExactly(PREFIX + "gone");
    assertThat(plan.unmanaged()).containsExactly(foreign);
    assertThat(plan.creates()).isEmpty();
    assertThat(plan.updates()).isEmpty();
  }

  @Test
  void reportsAConflictInsteadOfCreatingWhenAnUnmanagedEntryIsSimilar() {
    // Given: someone created the same SPIFFE ID, parent and selectors by hand, with another TTL
    SpireEntry desired = entry(PREFIX + "a", "/a", 600);
    SpireEntry byHand = entry("hand-made", "/a", 60);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(desired), List.of(byHand), PREFIX);

    // Then
    assertThat(plan.creates()).isEmpty();
    assertThat(plan.conflicts()).containsExactly(new SyncPlan.Conflict(desired, byHand));
    assertThat(plan.unmanaged()).containsExactly(byHand);
    assertThat(plan.deletes()).isEmpty();
  }

  @Test
  void aPlanCutIntoPartsKeepsItsOrderAndEveryItem() {
    // Given: a stale owned entry, a conflict, three creates and two updates
    SpireEntry stale = entry(PREFIX + "stale", "/stale", 600);
    SpireEntry byHand = entry("hand-made", "/blocked", 60);
    SpireEntry blocked = entry(PREFIX + "blocked", "/blocked", 600);
    SpireEntry c1 = entry(PREFIX + "c1", "/c1", 600);
    SpireEntry c2 = entry(PREFIX + "c2", "/c2", 600);
    SpireEntry c3 = entry(PREFIX + "c3", "/c3", 600);
    SpireEntry u1 = entry(PREFIX + "u1", "/u1", 600);
    SpireEntry u2 = entry(PREFIX + "u2", "/u2", 600);
    SyncPlan plan =
        SyncPlanner.plan(
            List.of(blocked, c1, c2, c3, u1, u2),
            List.of(stale, byHand, entry(u1.id(), "/u1", 60), entry(u2.id(), "/u2", 60)),
            PREFIX);

    // When
    List<SyncPlan> parts = plan.parts(2);

    // Then
    assertThat(parts).hasSize(4);
    assertThat(parts.get(0).deletes()).containsExactly(stale.id());
    assertThat(parts.get(0).conflicts()).extracting(SyncPlan.Conflict::desired).contains(blocked);
    assertThat(parts.get(1).creates()).containsExactly(c1, c2);
    assertThat(parts.get(2).creates()).containsExactly(c3);
    assertThat(parts.get(3).updates()).extracting(SyncPlan.Update::desired).containsExactly(u1, u2);
    assertThat(parts).allSatisfy(p -> assertThat(p.unmanaged()).isEmpty());
    assertThat(parts.stream().mapToInt(p -> p.creates().size() + p.updates().size()).sum())
        .isEqualTo(5);
    assertThat(SyncPlanner.plan(List.of(), List.of(), PREFIX).parts(2)).isEmpty();
    assertThatThrownBy(() -> plan.parts(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void recreatesAnOwnedEntryThatWasDeletedBehindItsBack() {
    // Given
    SpireEntry a = entry(PREFIX + "a", "/a", 600);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(a), List.of(), PREFIX);

    // Then
    assertThat(plan.creates()).containsExactly(a);
  }

  @Test
  void anEmptyPlanWhenSpireMatches() {
    // Given
    SpireEntry a = entry(PREFIX + "a", "/a", 600);
    SpireEntry foreign = entry("other", "/x", 600);

    // When
    SyncPlan plan = SyncPlanner.plan(List.of(a), List.of(a, foreign), PREFIX);

    // Then
    assertThat(plan.isEmpty()).isTrue();
  }

  @Test
  void refusesDesiredEntriesOutsideThePrefixAndAnEmptyPrefix() {
    // Given: a desired entry without the prefix, and an empty prefix

    // When / Then
    assertThatThrownBy(() -> SyncPlanner.plan(List.of(entry("x", "/x", 0)), List.of(), PREFIX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lacks the prefix");
    assertThatThrownBy(() -> SyncPlanner.plan(List.of(), List.of(), ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void diffComparesEveryManagedField() {
    // Given
    SpireEntry base = entry(PREFIX + "a", "/a", 600);
    SpireEntry all =
        new SpireEntry(
            base.id(),
            "spiffe://td.example.org/other",
            "spiffe://td.example.org/other-parent",
            List.of(new SpireEntry.Selector("unix", "uid:0")),
            1,
            2,
            List.of("x.example.org"),
            List.of("partner.example.org"),
            true,
            true,
            99,
            "hint",
            true,
            0);

    // When / Then
    assertThat(SyncPlanner.diff(base, all)).containsExactlyInAnyOrder(EntryField.values());
    assertThat(SyncPlanner.diff(base, withRevision(base, 42))).isEmpty();
  }

  private static SpireEntry withRevision(SpireEntry e, long revision) {
    return new SpireEntry(
        e.id(),
        e.spiffeId(),
        e.parentId(),
        e.selectors(),
        e.x509SvidTtl(),
        e.jwtSvidTtl(),
        e.dnsNames(),
        e.federatesWith(),
        e.admin(),
        e.downstream(),
        e.expiresAt(),
        e.hint(),
        e.storeSvid(),
        revision);
  }

  private static SpireEntry entry(String id, String path, int ttl) {
    String name = path.substring(1);
    return new SpireEntry(
        id,
        "spiffe://td.example.org" + path,
        "spiffe://td.example.org/spire/agent/k8s_psat/cluster-1",
        List.of(
            new SpireEntry.Selector("k8s", "ns:payments"),
            new SpireEntry.Selector("k8s", "sa:" + name)),
        ttl,
        0,
        List.of(name + ".svc"),
        List.of(),
        false,
        false,
        0,
        "",
        false,
        0);
  }
}
