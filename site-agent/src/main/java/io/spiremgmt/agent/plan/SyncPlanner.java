package io.spiremgmt.agent.plan;

import io.spiremgmt.agent.spire.EntryField;
import io.spiremgmt.agent.spire.SpireEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Computes a {@link SyncPlan}: a pure function of the desired entries, the entries SPIRE holds and
 * the id prefix that marks the entries this agent owns. Entries are matched by id (the prefix plus
 * the central id); SPIRE's "similar" rule (SPIFFE ID, parent ID, selector set) is checked against
 * unmanaged entries only, which are never touched.
 */
public final class SyncPlanner {
  private SyncPlanner() {}

  /**
   * The plan that makes {@code actual} equal {@code desired} for the entries whose id starts with
   * {@code ownedPrefix}.
   */
  public static SyncPlan plan(
      Collection<SpireEntry> desired, Collection<SpireEntry> actual, String ownedPrefix) {
    if (ownedPrefix == null || ownedPrefix.isEmpty()) {
      throw new IllegalArgumentException("an owned-entry prefix is required");
    }
    Map<String, SpireEntry> owned = new HashMap<>();
    Map<String, SpireEntry> unmanagedBySimilarity = new HashMap<>();
    List<SpireEntry> unmanaged = new ArrayList<>();
    for (SpireEntry entry : actual) {
      if (entry.id().startsWith(ownedPrefix)) {
        owned.put(entry.id(), entry);
      } else {
        unmanaged.add(entry);
        unmanagedBySimilarity.putIfAbsent(similarKey(entry), entry);
      }
    }
    List<SpireEntry> creates = new ArrayList<>();
    List<SyncPlan.Update> updates = new ArrayList<>();
    List<SyncPlan.Conflict> conflicts = new ArrayList<>();
    Set<String> wanted = new HashSet<>();
    for (SpireEntry entry : desired) {
      if (!entry.id().startsWith(ownedPrefix)) {
        throw new IllegalArgumentException(
            "desired entry " + entry.id() + " lacks the prefix " + ownedPrefix);
      }
      wanted.add(entry.id());
      SpireEntry current = owned.get(entry.id());
      if (current == null) {
        SpireEntry blocking = unmanagedBySimilarity.get(similarKey(entry));
        if (blocking != null) {
          conflicts.add(new SyncPlan.Conflict(entry, blocking));
        } else {
          creates.add(entry);
        }
        continue;
      }
      Set<EntryField> changed = diff(entry, current);
      if (!changed.isEmpty()) {
        updates.add(new SyncPlan.Update(entry, changed));
      }
    }
    List<String> deletes =
        owned.keySet().stream().filter(id -> !wanted.contains(id)).sorted().toList();
    return new SyncPlan(
        List.copyOf(creates),
        List.copyOf(updates),
        deletes,
        List.copyOf(unmanaged),
        List.copyOf(conflicts));
  }

  /**
   * The fields in which {@code current} differs from {@code desired}; list fields compare as sets.
   */
  public static Set<EntryField> diff(SpireEntry desired, SpireEntry current) {
    EnumSet<EntryField> changed = EnumSet.noneOf(EntryField.class);
    if (!desired.spiffeId().equals(current.spiffeId())) {
      changed.add(EntryField.SPIFFE_ID);
    }
    if (!desired.parentId().equals(current.parentId())) {
      changed.add(EntryField.PARENT_ID);
    }
    if (!new HashSet<>(desired.selectors()).equals(new HashSet<>(current.selectors()))) {
      changed.add(EntryField.SELECTORS);
    }
    if (desired.x509SvidTtl() != current.x509SvidTtl()) {
      changed.add(EntryField.X509_SVID_TTL);
    }
    if (desired.jwtSvidTtl() != current.jwtSvidTtl()) {
      changed.add(EntryField.JWT_SVID_TTL);
    }
    if (!new HashSet<>(desired.dnsNames()).equals(new HashSet<>(current.dnsNames()))) {
      changed.add(EntryField.DNS_NAMES);
    }
    if (!new HashSet<>(desired.federatesWith()).equals(new HashSet<>(current.federatesWith()))) {
      changed.add(EntryField.FEDERATES_WITH);
    }
    if (desired.admin() != current.admin()) {
      changed.add(EntryField.ADMIN);
    }
    if (desired.downstream() != current.downstream()) {
      changed.add(EntryField.DOWNSTREAM);
    }
    if (desired.expiresAt() != current.expiresAt()) {
      changed.add(EntryField.EXPIRES_AT);
    }
    if (!desired.hint().equals(current.hint())) {
      changed.add(EntryField.HINT);
    }
    if (desired.storeSvid() != current.storeSvid()) {
      changed.add(EntryField.STORE_SVID);
    }
    return changed;
  }

  /** SPIRE's "similar entry" key: SPIFFE ID, parent ID and the selector set. */
  static String similarKey(SpireEntry e) {
    TreeSet<String> selectors = new TreeSet<>();
    e.selectors().forEach(s -> selectors.add(s.type() + ":" + s.value()));
    return e.spiffeId() + "\n" + e.parentId() + "\n" + String.join("\n", selectors);
  }
}
