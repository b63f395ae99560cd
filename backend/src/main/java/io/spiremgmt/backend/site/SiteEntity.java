package io.spiremgmt.backend.site;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A row of {@code sites}. */
@Entity
@Table(name = "sites")
public class SiteEntity {
  /** Whether a site takes entries. */
  public enum Status {
    ACTIVE,
    INACTIVE,
    MAINTENANCE
  }

  /** Where the site's SPIRE server stands in a nested topology. */
  public enum Tier {
    STANDALONE,
    UPSTREAM,
    DOWNSTREAM
  }

  @Id private UUID id;

  @Column(name = "name", nullable = false)
  private String name;

  @Column(name = "region", nullable = false)
  private String region;

  @Column(name = "trust_domain", nullable = false)
  private String trustDomain;

  @Column(name = "spire_server_addr", nullable = false)
  private String spireServerAddr;

  @Enumerated(EnumType.STRING)
  @Column(name = "status", nullable = false)
  private Status status;

  @Enumerated(EnumType.STRING)
  @Column(name = "tier", nullable = false)
  private Tier tier;

  @Column(name = "parent_site_id")
  private UUID parentSiteId;

  @Column(name = "revision", nullable = false)
  private long revision;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  @Column(name = "updated_at", nullable = false)
  private Instant updatedAt;

  protected SiteEntity() {}

  /** A new site row with revision 1. */
  public SiteEntity(UUID id, SiteSpec spec, Instant now) {
    this.id = id;
    this.revision = 1;
    this.createdAt = now;
    apply(spec, now);
  }

  /**
   * A detached copy of a stored row, for readers on the Vert.x client; never persisted or merged.
   */
  public static SiteEntity stored(
      UUID id, SiteSpec spec, long revision, Instant createdAt, Instant updatedAt) {
    SiteEntity site = new SiteEntity(id, spec, createdAt);
    site.revision = revision;
    site.updatedAt = updatedAt;
    return site;
  }

  /** Overwrites the settable fields with {@code spec}. */
  public void apply(SiteSpec spec, Instant now) {
    this.name = spec.name();
    this.region = spec.region();
    this.trustDomain = spec.trustDomain();
    this.spireServerAddr = spec.spireServerAddr();
    this.status = spec.status();
    this.tier = spec.tier();
    this.parentSiteId = spec.parentSiteId();
    this.updatedAt = now;
  }

  /** The settable fields as a spec. */
  public SiteSpec spec() {
    return new SiteSpec(name, region, trustDomain, spireServerAddr, status, tier, parentSiteId);
  }

  public UUID getId() {
    return id;
  }

  public String getName() {
    return name;
  }

  public String getTrustDomain() {
    return trustDomain;
  }

  public Status getStatus() {
    return status;
  }

  public Tier getTier() {
    return tier;
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

  public Instant getCreatedAt() {
    return createdAt;
  }

  public Instant getUpdatedAt() {
    return updatedAt;
  }
}
