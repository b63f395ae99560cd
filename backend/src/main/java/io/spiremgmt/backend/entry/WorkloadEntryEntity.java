package io.spiremgmt.backend.entry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A row of {@code workload_entries}. Selectors and per-site state live in their own tables ({@link
 * EntrySelectorEntity}, {@link EntrySiteEntity}), loaded by explicit queries.
 */
@Entity
@Table(name = "workload_entries")
public class WorkloadEntryEntity {
  @Id private UUID id;

  @Column(name = "spiffe_id", nullable = false)
  private String spiffeId;

  @Column(name = "parent_id", nullable = false)
  private String parentId;

  @Column(name = "ttl", nullable = false)
  private int ttl;

  @Column(name = "jwt_svid_ttl", nullable = false)
  private int jwtSvidTtl;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "dns_names", nullable = false)
  private String[] dnsNames;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "federates_with", nullable = false)
  private String[] federatesWith;

  @Column(name = "admin", nullable = false)
  private boolean admin;

  @Column(name = "downstream", nullable = false)
  private boolean downstream;

  @Column(name = "store_svid", nullable = false)
  private boolean storeSvid;

  @Column(name = "hint", nullable = false)
  private String hint;

  @Column(name = "expires_at")
  private Instant expiresAt;

  @Column(name = "selectors_hash", nullable = false)
  private String selectorsHash;

  @Column(name = "similar_key", nullable = false)
  private String similarKey;

  @Column(name = "revision", nullable = false)
  private long revision;

  @Column(name = "created_by", nullable = false)
  private String createdBy;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  @Column(name = "updated_at", nullable = false)
  private Instant updatedAt;

  @Column(name = "delete_requested_at")
  private Instant deleteRequestedAt;

  protected WorkloadEntryEntity() {}

  /** A new entry row with revision 1. */
  public WorkloadEntryEntity(UUID id, EntrySpec spec, String createdBy, Instant now) {
    this.id = id;
    this.revision = 1;
    this.createdBy = createdBy;
    this.createdAt = now;
    apply(spec, now);
  }

  /**
   * A detached copy of a stored row, for the read side ({@link EntryReader}); never persisted or
   * merged.
   */
  static WorkloadEntryEntity stored(
      UUID id,
      EntrySpec spec,
      long revision,
      String createdBy,
      Instant createdAt,
      Instant updatedAt,
      Instant deleteRequestedAt) {
    WorkloadEntryEntity e = new WorkloadEntryEntity(id, spec, createdBy, createdAt);
    e.revision = revision;
    e.updatedAt = updatedAt;
    e.deleteRequestedAt = deleteRequestedAt;
    return e;
  }

  /**
   * Overwrites the entry's own columns with {@code spec} (selectors and sites are stored apart).
   */
  public void apply(EntrySpec spec, Instant now) {
    this.spiffeId = spec.spiffeId();
    this.parentId = spec.parentId();
    this.ttl = spec.ttl();
    this.jwtSvidTtl = spec.jwtSvidTtl();
    this.dnsNames = spec.dnsNames().toArray(String[]::new);
    this.federatesWith = spec.federatesWith().toArray(String[]::new);
    this.admin = spec.admin();
    this.downstream = spec.downstream();
    this.storeSvid = spec.storeSvid();
    this.hint = spec.hint();
    this.expiresAt = spec.expiresAt();
    this.selectorsHash = spec.selectorsHash();
    this.similarKey = spec.similarKey();
    this.updatedAt = now;
  }

  /** Marks the entry as being deleted. */
  public void markDeleting(Instant now) {
    this.deleteRequestedAt = now;
    this.updatedAt = now;
  }

  /** The entry as a spec, given its selectors and sites. */
  public EntrySpec spec(List<SelectorValue> selectors, List<String> siteIds) {
    return new EntrySpec(
        spiffeId,
        parentId,
        selectors,
        ttl,
        List.of(dnsNames),
        admin,
        downstream,
        expiresAt,
        siteIds,
        List.of(federatesWith),
        jwtSvidTtl,
        hint,
        storeSvid);
  }

  public UUID getId() {
    return id;
  }

  public String getSpiffeId() {
    return spiffeId;
  }

  public String getSelectorsHash() {
    return selectorsHash;
  }

  public String getSimilarKey() {
    return similarKey;
  }

  /**
   * Advances the revision by one. Revisions are managed explicitly, not with {@code @Version}:
   * writers lock the row ({@code SELECT ... FOR UPDATE}) and compare the caller's revision first.
   */
  public void bumpRevision() {
    this.revision++;
  }

  public long getRevision() {
    return revision;
  }

  public String getCreatedBy() {
    return createdBy;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  public Instant getUpdatedAt() {
    return updatedAt;
  }

  public Instant getDeleteRequestedAt() {
    return deleteRequestedAt;
  }
}
