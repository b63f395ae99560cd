package io.spiremgmt.backend.entry;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.auth.Caller;
import io.vertx.mutiny.sqlclient.SqlClient;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The approval policy's say on a direct write (CreateEntry, UpdateEntry, DeleteEntry, a batch
 * item), asked by {@link EntryService} in the write's transaction once the change has passed every
 * other check. Implemented by the entry requests feature, which owns the policy.
 */
public interface ApprovalService {
  /**
   * Decides a direct write of {@code caller} changing {@code before} (null for a create) into
   * {@code after} (null for a delete): fails with FAILED_PRECONDITION {@code APPROVAL_REQUIRED}
   * when the change needs approval and the caller is not an Admin; otherwise the approval reasons
   * an Admin's write bypasses (empty when none applies).
   */
  Uni<List<String>> checkDirect(Mutiny.Session s, Caller caller, EntrySpec before, EntrySpec after);

  /**
   * The policy as committed for direct writes of {@code caller} touching only {@code sites}, read
   * once on the Vert.x transaction {@code tx} (without a lock, as {@link #checkDirect} reads it):
   * then each write is decided as {@link #checkDirect} decides it.
   */
  Uni<DirectGate> gate(SqlClient tx, Caller caller, Collection<UUID> sites);

  /** Decides direct writes under one reading of the policy. */
  interface DirectGate {
    /**
     * As {@link #checkDirect}: fails with {@code APPROVAL_REQUIRED}, or returns the reasons an
     * Admin's write bypasses (empty when none applies).
     */
    List<String> check(EntrySpec before, EntrySpec after);
  }
}
