package io.spiremgmt.backend.request;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiremgmt.backend.entry.EntrySpec;
import io.spiremgmt.backend.entry.SelectorValue;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** PolicyEvaluator: which changes need approval, why, and how many approvers. */
class PolicyEvaluatorTest {
  private static final UUID EU = UUID.randomUUID();
  private static final UUID US = UUID.randomUUID();
  private static final ApprovalPolicy.Rules NO_RULES =
      new ApprovalPolicy.Rules(false, false, 86_400, false, false);

  private static EntrySpec spec(List<UUID> sites, int ttl, List<String> dns, boolean admin) {
    return new EntrySpec(
        "spiffe://td/ns/a/x",
        "spiffe://td/agent",
        List.of(new SelectorValue("k8s:ns", "a")),
        ttl,
        dns,
        admin,
        false,
        null,
        sites.stream().map(UUID::toString).toList(),
        List.of(),
        0,
        "",
        false);
  }

  private static ApprovalPolicy policy(ApprovalPolicy.Rules rules, ApprovalPolicy.SitePolicy... s) {
    return new ApprovalPolicy(rules, List.of(s), 1, "", null);
  }

  @Test
  void aSiteForDevelopersCatchesOnlyDevelopersChanges() {
    // Given EU needs approval of Developers' changes
    ApprovalPolicy p =
        policy(
            NO_RULES,
            new ApprovalPolicy.SitePolicy(EU, "eu", ApprovalPolicy.Mode.DEVELOPER_CHANGES, 1));
    EntrySpec entry = spec(List.of(EU), 3600, List.of(), false);

    // Then a Developer's create needs one approval, an Operator's none
    PolicyEvaluator.Evaluation dev = PolicyEvaluator.evaluate(p, true, null, entry);
    PolicyEvaluator.Evaluation op = PolicyEvaluator.evaluate(p, false, null, entry);
    assertThat(dev.reasons()).containsExactly("site eu: Developers' changes need approval");
    assertThat(dev.approvals()).isEqualTo(1);
    assertThat(op.required()).isFalse();
    assertThat(op.approvals()).isZero();
  }

  @Test
  void aSiteTheEntryLeavesIsTouchedToo() {
    // Given US needs two approvals of every change
    ApprovalPolicy p =
        policy(
            NO_RULES, new ApprovalPolicy.SitePolicy(US, "us", ApprovalPolicy.Mode.ALL_CHANGES, 2));

    // When an update moves the entry from US to EU, and a delete removes it from US
    PolicyEvaluator.Evaluation move =
        PolicyEvaluator.evaluate(
            p,
            false,
            spec(List.of(US), 3600, List.of(), false),
            spec(List.of(EU), 3600, List.of(), false));
    PolicyEvaluator.Evaluation delete =
        PolicyEvaluator.evaluate(p, false, spec(List.of(US), 3600, List.of(), false), null);

    // Then both need the two approvals US asks for
    assertThat(move.approvals()).isEqualTo(2);
    assertThat(move.sites()).containsExactly(US, EU);
    assertThat(delete.reasons()).containsExactly("site us: every change needs approval");
  }

  @Test
  void rulesCatchWhatAChangeSetsNotWhatItKeeps() {
    // Given the TTL (above one hour), DNS and admin rules, and EU asking for two approvers of
    // nothing
    ApprovalPolicy p =
        policy(
            new ApprovalPolicy.Rules(true, true, 3600, true, false),
            new ApprovalPolicy.SitePolicy(EU, "eu", ApprovalPolicy.Mode.NONE, 2));
    EntrySpec plain = spec(List.of(EU), 3600, List.of(), false);
    EntrySpec risky = spec(List.of(EU), 7200, List.of("a.a.svc"), true);

    // When a create sets all three, and an update keeps them while changing nothing they watch
    PolicyEvaluator.Evaluation create = PolicyEvaluator.evaluate(p, false, null, risky);
    PolicyEvaluator.Evaluation keep = PolicyEvaluator.evaluate(p, false, risky, risky);
    PolicyEvaluator.Evaluation lower = PolicyEvaluator.evaluate(p, false, risky, plain);

    // Then the create needs the most approvals a touched site asks for; keeping or lowering needs
    // none
    assertThat(create.reasons())
        .containsExactly(
            "rule: admin and downstream entries need approval",
            "rule: TTLs above 3600 seconds need approval",
            "rule: DNS names need approval");
    assertThat(create.approvals()).isEqualTo(2);
    assertThat(keep.required()).isFalse();
    assertThat(lower.required()).isFalse();
  }

  @Test
  void anEntryWithoutSitesIsCaughtOnlyByRulesWithOneApproval() {
    ApprovalPolicy p = policy(new ApprovalPolicy.Rules(false, false, 86_400, true, false));
    PolicyEvaluator.Evaluation e =
        PolicyEvaluator.evaluate(p, true, null, spec(List.of(), 0, List.of("x.a.svc"), false));
    assertThat(e.approvals()).isEqualTo(1);
    assertThat(e.sites()).isEmpty();
  }
}
