package io.spiremgmt.backend.request;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A row of {@code entry_requests}. Its approvals are rows of {@code entry_request_approvals}. */
@Entity
@Table(name = "entry_requests")
public class EntryRequestEntity {
  /** Where a request stands. */
  public enum State {
    /** Waiting for approvals. */
    PENDING,
    /** Applied. */
    APPLIED,
    /** Rejected by an approver. */
    REJECTED,
    /** Withdrawn by its requester. */
    CANCELLED,
    /** Not decided in time. */
    EXPIRED,
    /** The entry moved past the request's revision. */
    CONFLICT,
    /** The change no longer validated. */
    FAILED
  }

  /** What a request changes. */
  public enum Kind {
    /** Creates an entry. */
    CREATE,
    /** Updates an entry. */
    UPDATE,
    /** Deletes an entry. */
    DELETE
  }

  @Id private UUID id;

  @Enumerated(EnumType.STRING)
  @Column(name = "state", nullable = false)
  private State state;

  @Enumerated(EnumType.STRING)
  @Column(name = "kind", nullable = false)
  private Kind kind;

  @Column(name = "entry_id", nullable = false)
  private UUID entryId;

  @Column(name = "base_revision", nullable = false)
  private long baseRevision;

  @Column(name = "entry_before")
  private byte[] entryBefore;

  @Column(name = "proposed_entry")
  private byte[] proposedEntry;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "update_mask", nullable = false)
  private String[] updateMask;

  @Column(name = "justification", nullable = false)
  private String justification;

  @Column(name = "requester", nullable = false)
  private String requester;

  @Column(name = "requester_person", nullable = false)
  private String requesterPerson;

  @Column(name = "client_request_id")
  private String clientRequestId;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "site_ids", nullable = false)
  private UUID[] siteIds;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "namespaces", nullable = false)
  private String[] namespaces;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "approval_reasons", nullable = false)
  private String[] approvalReasons;

  @Column(name = "approvals_required", nullable = false)
  private short approvalsRequired;

  @Column(name = "decided_by")
  private String decidedBy;

  @Column(name = "decision_message")
  private String decisionMessage;

  @Column(name = "failure_reason")
  private String failureReason;

  @Column(name = "conflicting_entry")
  private byte[] conflictingEntry;

  @Column(name = "applied_entry")
  private byte[] appliedEntry;

  @Column(name = "supersedes")
  private UUID supersedes;

  @Column(name = "superseded_by")
  private UUID supersededBy;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  @Column(name = "updated_at", nullable = false)
  private Instant updatedAt;

  @Column(name = "expires_at", nullable = false)
  private Instant expiresAt;

  protected EntryRequestEntity() {}

  /**
   * A new request.
   *
   * @param id its id
   * @param kind what it changes
   * @param entryId the entry
   * @param baseRevision the revision it is based on (0 for a create)
   * @param entryBefore the serialized entry before, or null
   * @param proposedEntry the serialized proposed entry, or null
   * @param updateMask the update's field paths
   * @param justification why
   * @param requester who, as authenticated
   * @param requesterPerson the person
   * @param clientRequestId the idempotency key, or null
   * @param siteIds the sites touched
   * @param namespaces the namespaces of the entry before and after
   * @param now the submission time
   * @param expiresAt when it expires if undecided
   */
  public EntryRequestEntity(
      UUID id,
      Kind kind,
      UUID entryId,
      long baseRevision,
      byte[] entryBefore,
      byte[] proposedEntry,
      List<String> updateMask,
      String justification,
      String requester,
      String requesterPerson,
      String clientRequestId,
      List<UUID> siteIds,
      List<String> namespaces,
      Instant now,
      Instant expiresAt) {
    this.id = id;
    this.state = State.PENDING;
    this.kind = kind;
    this.entryId = entryId;
    this.baseRevision = baseRevision;
    this.entryBefore = entryBefore;
    this.proposedEntry = proposedEntry;
    this.updateMask = updateMask.toArray(String[]::new);
    this.justification = justification;
    this.requester = requester;
    this.requesterPerson = requesterPerson;
    this.clientRequestId = clientRequestId;
    this.siteIds = siteIds.toArray(UUID[]::new);
    this.namespaces = namespaces.toArray(String[]::new);
    this.approvalReasons = new String[0];
    this.createdAt = now;
    this.updatedAt = now;
    this.expiresAt = expiresAt;
  }

  /** Records what approval the policy asks for. */
  public void requireApproval(List<String> reasons, int approvals) {
    this.approvalReasons = reasons.toArray(String[]::new);
    this.approvalsRequired = (short) approvals;
  }

  /** Ends the request in {@code next}, decided by {@code by} (null for none) at {@code now}. */
  public void end(State next, String by, String message, Instant now) {
    this.state = next;
    this.decidedBy = by;
    this.decisionMessage = message;
    this.updatedAt = now;
  }

  /** Marks an approval that did not end the request. */
  public void touch(Instant now) {
    this.updatedAt = now;
  }

  public UUID getId() {
    return id;
  }

  public State getState() {
    return state;
  }

  public Kind getKind() {
    return kind;
  }

  public UUID getEntryId() {
    return entryId;
  }

  public long getBaseRevision() {
    return baseRevision;
  }

  public byte[] getEntryBefore() {
    return entryBefore;
  }

  public byte[] getProposedEntry() {
    return proposedEntry;
  }

  public List<String> getUpdateMask() {
    return List.of(updateMask);
  }

  public String getJustification() {
    return justification;
  }

  public String getRequester() {
    return requester;
  }

  public String getRequesterPerson() {
    return requesterPerson;
  }

  public String getClientRequestId() {
    return clientRequestId;
  }

  public List<UUID> getSiteIds() {
    return List.of(siteIds);
  }

  public List<String> getNamespaces() {
    return List.of(namespaces);
  }

  public List<String> getApprovalReasons() {
    return List.of(approvalReasons);
  }

  public int getApprovalsRequired() {
    return approvalsRequired;
  }

  public String getDecidedBy() {
    return decidedBy;
  }

  public String getDecisionMessage() {
    return decisionMessage;
  }

  public String getFailureReason() {
    return failureReason;
  }

  public void setFailureReason(String failureReason) {
    this.failureReason = failureReason;
  }

  public byte[] getConflictingEntry() {
    return conflictingEntry;
  }

  public void setConflictingEntry(byte[] conflictingEntry) {
    this.conflictingEntry = conflictingEntry;
  }

  public byte[] getAppliedEntry() {
    return appliedEntry;
  }

  public void setAppliedEntry(byte[] appliedEntry) {
    this.appliedEntry = appliedEntry;
  }

  public UUID getSupersedes() {
    return supersedes;
  }

  public void setSupersedes(UUID supersedes) {
    this.supersedes = supersedes;
  }

  public UUID getSupersededBy() {
    return supersededBy;
  }

  public void setSupersededBy(UUID supersededBy) {
    this.supersededBy = supersededBy;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  public Instant getUpdatedAt() {
    return updatedAt;
  }

  public Instant getExpiresAt() {
    return expiresAt;
  }
}
