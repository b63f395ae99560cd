package io.spiremgmt.backend.entry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** A row of {@code workload_entry_sites}: where one entry stands at one site. */
@Entity
@Table(name = "workload_entry_sites")
@IdClass(EntrySiteEntity.Key.class)
public class EntrySiteEntity {
  /** The sync state of an entry at a site. */
  public enum SyncState {
    PENDING,
    SYNCED,
    FAILED,
    DELETING
  }

  @Id
  @Column(name = "workload_entry_id")
  private UUID entryId;

  @Id
  @Column(name = "site_id")
  private UUID siteId;

  @Enumerated(EnumType.STRING)
  @Column(name = "sync_status", nullable = false)
  private SyncState syncState;

  @Column(name = "target_revision", nullable = false)
  private long targetRevision;

  @Column(name = "spire_entry_id")
  private String spireEntryId;

  @Column(name = "last_sync_at")
  private Instant lastSyncAt;

  @Column(name = "last_error")
  private String lastError;

  @Column(name = "changed_at", nullable = false)
  private Instant changedAt;

  @Column(name = "attempts", nullable = false)
  private int attempts;

  @Column(name = "next_attempt_at")
  private Instant nextAttemptAt;

  @Column(name = "last_report_id")
  private String lastReportId;

  protected EntrySiteEntity() {}

  public EntrySiteEntity(UUID entryId, UUID siteId, long targetRevision, Instant now) {
    this.entryId = entryId;
    this.siteId = siteId;
    this.syncState = SyncState.PENDING;
    this.targetRevision = targetRevision;
    this.changedAt = now;
  }

  /** The site must (re)apply the entry at {@code revision}. */
  public void markPending(long revision, Instant now) {
    this.syncState = SyncState.PENDING;
    this.targetRevision = revision;
    this.changedAt = now;
    resetBackoff();
  }

  /** The site must remove the entry, last changed at {@code revision}. */
  public void markDeleting(long revision, Instant now) {
    if (syncState != SyncState.DELETING) {
      this.changedAt = now;
    }
    this.syncState = SyncState.DELETING;
    this.targetRevision = revision;
    resetBackoff();
  }

  /** The site's SPIRE server holds the target revision as {@code spireEntryId}. */
  public void markSynced(String spireEntryId, Instant now, String reportId) {
    this.syncState = SyncState.SYNCED;
    this.spireEntryId = spireEntryId;
    this.lastSyncAt = now;
    this.lastError = null;
    this.changedAt = now;
    this.lastReportId = reportId;
    resetBackoff();
  }

  /**
   * An attempt failed: an upsert becomes FAILED, a removal stays DELETING; either is offered again
   * after {@code retryAt}.
   */
  public void markFailed(String error, Instant now, Instant retryAt, String reportId) {
    if (syncState != SyncState.DELETING) {
      if (syncState != SyncState.FAILED) {
        this.changedAt = now;
      }
      this.syncState = SyncState.FAILED;
    }
    this.lastError = error;
    this.attempts++;
    this.nextAttemptAt = retryAt;
    this.lastReportId = reportId;
  }

  private void resetBackoff() {
    this.attempts = 0;
    this.nextAttemptAt = null;
  }

  public long getTargetRevision() {
    return targetRevision;
  }

  public int getAttempts() {
    return attempts;
  }

  public Instant getNextAttemptAt() {
    return nextAttemptAt;
  }

  public String getLastReportId() {
    return lastReportId;
  }

  public UUID getEntryId() {
    return entryId;
  }

  public UUID getSiteId() {
    return siteId;
  }

  public SyncState getSyncState() {
    return syncState;
  }

  public String getSpireEntryId() {
    return spireEntryId;
  }

  public Instant getLastSyncAt() {
    return lastSyncAt;
  }

  public String getLastError() {
    return lastError;
  }

  /** The composite primary key. */
  public static class Key implements Serializable {
    private UUID entryId;
    private UUID siteId;

    public Key() {}

    public Key(UUID entryId, UUID siteId) {
      this.entryId = entryId;
      this.siteId = siteId;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && Objects.equals(entryId, k.entryId)
          && Objects.equals(siteId, k.siteId);
    }

    @Override
    public int hashCode() {
      return Objects.hash(entryId, siteId);
    }
  }
}
