package io.spiremgmt.agent.plan;

import io.spiremgmt.agent.spire.EntryField;
import io.spiremgmt.agent.spire.SpireEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a site's SPIRE server needs so that it holds exactly the desired entries: apply deletes
 * first (an owned entry under an old id may block a "similar" create), then creates and updates.
 *
 * @param creates desired entries SPIRE lacks
 * @param updates owned entries whose fields differ from the desired ones
 * @param deletes ids of owned entries that are no longer desired
 * @param unmanaged entries SPIRE holds that the agent does not own: reported, never modified
 * @param conflicts desired entries that cannot be created because an unmanaged entry is "similar"
 *     (same SPIFFE ID, parent ID and selector set) and SPIRE would refuse the create
 */
public record SyncPlan(
    List<SpireEntry> creates,
    List<Update> updates,
    List<String> deletes,
    List<SpireEntry> unmanaged,
    List<Conflict> conflicts) {

  /**
   * An owned entry to rewrite.
   *
   * @param desired the entry as it must be
   * @param changed the fields that differ in SPIRE now
   */
  public record Update(SpireEntry desired, Set<EntryField> changed) {}

  /**
   * A desired entry blocked by an unmanaged one.
   *
   * @param desired the entry that cannot be created
   * @param blocking the unmanaged entry SPIRE considers similar
   */
  public record Conflict(SpireEntry desired, SpireEntry blocking) {}

  /**
   * The plan cut into parts to apply one after another, in the plan's order: deletes and conflicts
   * first, then creates and then updates, at most {@code size} of them per part. Each part may be
   * reported as soon as it is applied, while the next one is being written. Unmanaged entries stay
   * with the whole plan.
   */
  public List<SyncPlan> parts(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("part size must be positive: " + size);
    }
    List<SyncPlan> parts = new ArrayList<>();
    if (!deletes.isEmpty() || !conflicts.isEmpty()) {
      parts.add(new SyncPlan(List.of(), List.of(), deletes, List.of(), conflicts));
    }
    for (int from = 0; from < creates.size(); from += size) {
      parts.add(
          new SyncPlan(
              creates.subList(from, Math.min(creates.size(), from + size)),
              List.of(),
              List.of(),
              List.of(),
              List.of()));
    }
    for (int from = 0; from < updates.size(); from += size) {
      parts.add(
          new SyncPlan(
              List.of(),
              updates.subList(from, Math.min(updates.size(), from + size)),
              List.of(),
              List.of(),
              List.of()));
    }
    return parts;
  }

  /** Whether SPIRE already holds exactly what is desired (unmanaged entries aside). */
  public boolean isEmpty() {
    return creates.isEmpty() && updates.isEmpty() && deletes.isEmpty() && conflicts.isEmpty();
  }
}
