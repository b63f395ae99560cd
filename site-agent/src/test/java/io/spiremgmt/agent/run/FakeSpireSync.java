package io.spiremgmt.agent.run;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiremgmt.agent.plan.PlanApplier;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.sync.SpireSync;
import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A SPIRE server that takes every write, or is down (every call fails UNAVAILABLE and leaves the
 * mirror stale), as a test says; it records each full reconcile and each applied pass.
 */
final class FakeSpireSync implements SpireSync {
  private final List<List<String>> reconciles = new ArrayList<>();
  private final List<List<String>> applied = new ArrayList<>();
  private List<SpireEntry> unmanaged = List.of();
  private volatile boolean down;
  private volatile boolean mirrorCurrent;
  private Runnable whileReconciling = () -> {};

  void down(boolean down) {
    this.down = down;
  }

  /** SPIRE entries the agent does not own, found by each full reconcile. */
  void unmanaged(List<SpireEntry> entries) {
    unmanaged = List.copyOf(entries);
  }

  /** Runs {@code action} at the start of each full reconcile. */
  synchronized void whileReconciling(Runnable action) {
    whileReconciling = action;
  }

  /** The central ids each full reconcile was asked to hold, one list per attempt. */
  synchronized List<List<String>> reconciles() {
    return List.copyOf(reconciles);
  }

  /** The central ids of each incremental pass that was attempted. */
  synchronized List<List<String>> applied() {
    return List.copyOf(applied);
  }

  @Override
  public boolean mirrorCurrent() {
    return mirrorCurrent;
  }

  @Override
  public synchronized Reconcile reconcile(
      List<SiteEntry> desired, int partSize, Consumer<Part> sink) {
    reconciles.add(desired.stream().map(s -> s.getEntry().getId()).toList());
    whileReconciling.run();
    mirrorCurrent = false;
    failIfDown();
    List<SyncResult> results =
        desired.stream().map(s -> synced(s.getEntry().getId(), s.getRevision())).toList();
    List<PlanApplier.Outcome> outcomes =
        desired.stream()
            .map(
                s ->
                    new PlanApplier.Outcome(
                        "spire-mgmt." + s.getEntry().getId(), PlanApplier.Kind.CREATED, "", false))
            .toList();
    sink.accept(new Part(results, outcomes));
    mirrorCurrent = true;
    return new Reconcile(results, unmanaged, 0, 0, outcomes);
  }

  @Override
  public synchronized Pass apply(List<EntryChange> changes) {
    applied.add(changes.stream().map(c -> c.getEntry().getId()).toList());
    mirrorCurrent = false;
    failIfDown();
    List<SyncResult> results = new ArrayList<>();
    for (EntryChange c : changes) {
      results.add(
          c.getKind() == ChangeKind.CHANGE_KIND_DELETE
              ? SyncResult.newBuilder()
                  .setEntryId(c.getEntry().getId())
                  .setRevision(c.getRevision())
                  .setOutcome(SyncOutcome.SYNC_OUTCOME_DELETED)
                  .build()
              : synced(c.getEntry().getId(), c.getRevision()));
    }
    mirrorCurrent = true;
    return new Pass(results, List.of());
  }

  /** The SYNCED result this fake reports for an owned entry. */
  static SyncResult synced(String id, long revision) {
    return SyncResult.newBuilder()
        .setEntryId(id)
        .setRevision(revision)
        .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
        .setSpireEntryId("spire-mgmt." + id)
        .build();
  }

  private void failIfDown() {
    if (down) {
      throw new StatusRuntimeException(Status.UNAVAILABLE.withDescription("connection refused"));
    }
  }
}
