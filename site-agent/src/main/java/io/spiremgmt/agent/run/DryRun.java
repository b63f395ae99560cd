package io.spiremgmt.agent.run;

import io.grpc.StatusRuntimeException;
import io.spiremgmt.agent.backend.SyncBackend;
import io.spiremgmt.agent.plan.PlanApplier;
import io.spiremgmt.agent.sync.SpireSync;
import java.io.PrintStream;

/**
 * {@code --dry-run}: one full reconcile computed against the live SPIRE server and the central
 * store, printed one line per change, with nothing written to SPIRE or reported to the backend. It
 * takes no lease, so it can run beside the active agent.
 */
public final class DryRun {
  private final SyncBackend backend;
  private final SpireSync sync;
  private final PrintStream out;

  public DryRun(SyncBackend backend, SpireSync sync, PrintStream out) {
    this.backend = backend;
    this.sync = sync;
    this.out = out;
  }

  /** Prints the plan; the process exit code (0, or 1 when the backend or SPIRE failed). */
  public int run(int pageSize) {
    try {
      SpireSync.Reconcile r = sync.reconcile(backend.siteEntries(Math.min(pageSize, 1000)));
      for (PlanApplier.Outcome o : r.outcomes()) {
        out.println(
            "would "
                + verb(o.kind())
                + " "
                + o.id()
                + (o.detail().isEmpty() ? "" : ": " + o.detail()));
      }
      r.unmanaged().forEach(u -> out.println("unmanaged " + u.id() + " " + u.spiffeId()));
      out.printf(
          "dry run: %d changes, %d unmanaged entries; nothing was changed%n",
          r.outcomes().size(), r.unmanaged().size());
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("dry run failed: " + e.getStatus());
      return 1;
    }
  }

  private static String verb(PlanApplier.Kind kind) {
    return switch (kind) {
      case CREATED -> "create";
      case UPDATED -> "update";
      case DELETED -> "delete";
      case CONFLICT -> "skip (conflict)";
      case FAILED -> "fail";
    };
  }
}
