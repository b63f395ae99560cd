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
  }

  /** The site must remove the entry, last changed at {@code revision}. */
  public void markDeleting(long revision, Instant now) {
    if (syncState != SyncState.DELETING) {
      this.changedAt = now;
    }
    this.syncState = SyncState.DELETING;
    this.targetRevision = revision;
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
