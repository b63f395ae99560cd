package io.spiremgmt.agent.sync;

import io.grpc.StatusRuntimeException;
import io.spiremgmt.agent.plan.PlanApplier;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncResult;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the sync loop asks of the site's SPIRE server: full reconciles against every desired entry,
 * and incremental passes over polled changes against a mirror of the server. A call to SPIRE may
 * throw {@link StatusRuntimeException}; the mirror is then stale and the next pass must be a full
 * reconcile.
 */
public interface SpireSync {
  /** Entries a full reconcile writes before it hands their results on. */
  int PART_SIZE = 1000;

  /**
   * Whether incremental passes may run: a full reconcile succeeded and no SPIRE call failed since.
   */
  boolean mirrorCurrent();

  /**
   * Makes SPIRE hold exactly {@code desired} among the owned entries, writing at most {@code
   * partSize} entries at a time and handing each part (its results and SPIRE changes) to {@code
   * sink} as soon as it is written, so that its results can be reported while the next part is
   * written. Results for entries SPIRE already held as desired come last. When a SPIRE call throws,
   * the parts handed on so far stay true.
   */
  Reconcile reconcile(List<SiteEntry> desired, int partSize, Consumer<Part> sink);

  /** Makes SPIRE hold exactly {@code desired} among the owned entries. */
  default Reconcile reconcile(List<SiteEntry> desired) {
    return reconcile(desired, PART_SIZE, part -> {});
  }

  /** Applies polled changes; one result per change. Needs {@link #mirrorCurrent()}. */
  Pass apply(List<EntryChange> changes);

  /**
   * The outcome of a full reconcile.
   *
   * @param results the results to report (entries whose state changes), in the order they were
   *     handed to the reconcile's sink
   * @param unmanaged SPIRE entries the agent does not own
   * @param driftRepaired owned entries rewritten or re-created although the site was SYNCED
   * @param removed owned entries deleted because the site must no longer hold them
   * @param outcomes every SPIRE change made (or, dry run, planned)
   */
  record Reconcile(
      List<SyncResult> results,
      List<SpireEntry> unmanaged,
      int driftRepaired,
      int removed,
      List<PlanApplier.Outcome> outcomes) {}

  /**
   * A written part of a full reconcile.
   *
   * @param results the results to report for it
   * @param outcomes the SPIRE changes it made (or, dry run, planned)
   */
  record Part(List<SyncResult> results, List<PlanApplier.Outcome> outcomes) {
    public Part {
      results = List.copyOf(results);
      outcomes = List.copyOf(outcomes);
    }
  }

  /**
   * The outcome of an incremental pass.
   *
   * @param results one result per change
   * @param outcomes every SPIRE change made (or, dry run, planned)
   */
  record Pass(List<SyncResult> results, List<PlanApplier.Outcome> outcomes) {}
}
