package io.spiremgmt.backend.sync;

import java.util.UUID;

/**
 * One result an agent reports for (entry, revision) at its site.
 *
 * @param entryId the central entry id
 * @param revision the entry revision the agent applied
 * @param outcome what happened
 * @param spireEntryId the SPIRE entry id, for SYNCED
 * @param error what went wrong, for FAILED
 * @param reason the machine-readable cause, for FAILED
 */
public record SyncReport(
    UUID entryId,
    long revision,
    Outcome outcome,
    String spireEntryId,
    String error,
    String reason) {

  /** What the agent did. */
  public enum Outcome {
    /** SPIRE holds the entry at the revision. */
    SYNCED,
    /** Applying the revision failed. */
    FAILED,
    /** SPIRE no longer holds the entry. */
    DELETED
  }
}
