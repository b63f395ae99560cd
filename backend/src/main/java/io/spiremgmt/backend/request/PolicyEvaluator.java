package io.spiremgmt.backend.request;

import io.spiremgmt.backend.entry.EntrySpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Decides whether a change of an entry needs approval under an {@link ApprovalPolicy}, and how many
 * distinct approvals. Pure.
 *
 * <ul>
 *   <li>The change touches the sites of the entry before it and after it (a site the entry leaves
 *       is touched too).
 *   <li>A touched site in mode ALL_CHANGES needs approval of every change; in DEVELOPER_CHANGES, of
 *       changes made under a Developer's (namespace-scoped) access.
 *   <li>A rule catches a change that gives the resulting entry the property it watches: a create
 *       with it, or an update that changes it to such a value (an admin or downstream flag turned
 *       on, a TTL above the threshold set, DNS names or {@code federates_with} set to a non-empty
 *       value). A delete is caught by sites only.
 *   <li>Approvals needed: the most any site that requires approval asks for; when a rule requires
 *       it, at least the most any touched site with a setting asks for, and at least one.
 * </ul>
 */
public final class PolicyEvaluator {
  private PolicyEvaluator() {}

  /**
   * The verdict on one change.
   *
   * @param reasons why approval is needed, one line per site and rule; empty when it is not
   * @param approvals how many distinct approvers (0 when none is needed)
   * @param sites the sites the change touches
   */
  public record Evaluation(List<String> reasons, int approvals, List<UUID> sites) {
    /** Whether the change needs approval. */
    public boolean required() {
      return !reasons.isEmpty();
    }
  }

  /**
   * Evaluates the change of {@code before} (null for a create) into {@code after} (null for a
   * delete), made under a Developer's access when {@code developerChange}.
   */
  public static Evaluation evaluate(
      ApprovalPolicy policy, boolean developerChange, EntrySpec before, EntrySpec after) {
    List<UUID> sites = touchedSites(before, after);
    Map<UUID, ApprovalPolicy.SitePolicy> bySite = new HashMap<>();
    policy.sites().forEach(p -> bySite.put(p.siteId(), p));
    List<String> reasons = new ArrayList<>();
    int approvals = 0;
    int mostAsked = 1;
    for (UUID site : sites) {
      ApprovalPolicy.SitePolicy p = bySite.get(site);
      if (p == null) {
        continue;
      }
      mostAsked = Math.max(mostAsked, p.approvals());
      if (p.mode() == ApprovalPolicy.Mode.ALL_CHANGES) {
        reasons.add("site " + p.siteName() + ": every change needs approval");
        approvals = Math.max(approvals, p.approvals());
      } else if (p.mode() == ApprovalPolicy.Mode.DEVELOPER_CHANGES && developerChange) {
        reasons.add("site " + p.siteName() + ": Developers' changes need approval");
        approvals = Math.max(approvals, p.approvals());
      }
    }
    if (after != null) {
      int rulesBefore = reasons.size();
      rules(policy.rules(), before, after, reasons);
      if (reasons.size() > rulesBefore) {
        approvals = Math.max(approvals, mostAsked);
      }
    }
    return new Evaluation(List.copyOf(reasons), approvals, List.copyOf(sites));
  }

  /** The sites a change touches: the entry's before it and after it (either may be null). */
  public static List<UUID> touchedSites(EntrySpec before, EntrySpec after) {
    Set<UUID> sites = new LinkedHashSet<>();
    if (before != null) {
      sites.addAll(before.siteUuids());
    }
    if (after != null) {
      sites.addAll(after.siteUuids());
    }
    return List.copyOf(sites);
  }

  private static void rules(
      ApprovalPolicy.Rules rules, EntrySpec before, EntrySpec after, List<String> reasons) {
    if (rules.adminOrDownstream()
        && (turnedOn(before, after, EntrySpec::admin)
            || turnedOn(before, after, EntrySpec::downstream))) {
      reasons.add("rule: admin and downstream entries need approval");
    }
    int threshold = rules.ttlThresholdSeconds();
    if (rules.ttlAboveThreshold()
        && (above(before, after, EntrySpec::ttl, threshold)
            || above(before, after, EntrySpec::jwtSvidTtl, threshold))) {
      reasons.add("rule: TTLs above " + threshold + " seconds need approval");
    }
    if (rules.dnsNames() && setNonEmpty(before, after, EntrySpec::dnsNames)) {
      reasons.add("rule: DNS names need approval");
    }
    if (rules.federatesWith() && setNonEmpty(before, after, EntrySpec::federatesWith)) {
      reasons.add("rule: federation with other trust domains needs approval");
    }
  }

  private static boolean turnedOn(
      EntrySpec before, EntrySpec after, Function<EntrySpec, Boolean> flag) {
    return flag.apply(after) && (before == null || !flag.apply(before));
  }

  private static boolean above(
      EntrySpec before, EntrySpec after, Function<EntrySpec, Integer> ttl, int threshold) {
    int value = ttl.apply(after);
    return value > threshold && (before == null || ttl.apply(before) != value);
  }

  private static boolean setNonEmpty(
      EntrySpec before, EntrySpec after, Function<EntrySpec, List<String>> list) {
    List<String> value = list.apply(after);
    return !value.isEmpty() && (before == null || !Objects.equals(list.apply(before), value));
  }
}
