package io.spiremgmt.backend.audit;

/**
 * Every action the audit trail records, each with the kind of resource it is about; {@link
 * #value()} is what is stored and served as {@code AuditEvent.action}.
 */
public enum AuditAction {
  /** An entry was created. */
  ENTRY_CREATE("entry.create", AuditTargetType.ENTRY),
  /** An entry was changed. */
  ENTRY_UPDATE("entry.update", AuditTargetType.ENTRY),
  /** An entry's deletion was asked for (or, without sites, done at once). */
  ENTRY_DELETE("entry.delete", AuditTargetType.ENTRY),
  /** A site's sync state of an entry changed (before/after: the site status). */
  ENTRY_SYNC("entry.sync", AuditTargetType.ENTRY),
  /** A site confirmed that it removed an entry. */
  ENTRY_UNASSIGN("entry.unassign", AuditTargetType.ENTRY),
  /** The last site confirmed a deletion and the entry was removed. */
  ENTRY_PURGE("entry.purge", AuditTargetType.ENTRY),
  /**
   * An Admin's direct entry write bypassed the approval policy (after: the change and the approval
   * reasons it bypassed); written with the change's own event.
   */
  ENTRY_POLICY_BYPASS("entry.policy_bypass", AuditTargetType.ENTRY),
  /** An entry request was submitted and waits for approval (after: the request). */
  ENTRY_REQUEST_SUBMIT("entry_request.submit", AuditTargetType.ENTRY_REQUEST),
  /** An approver approved an entry request that needs more approvals (after: the request). */
  ENTRY_REQUEST_APPROVE("entry_request.approve", AuditTargetType.ENTRY_REQUEST),
  /**
   * An entry request's change was applied, at submission or on its last approval (after: the
   * request with its requester and approvers); the entry's own event commits with it.
   */
  ENTRY_REQUEST_APPLY("entry_request.apply", AuditTargetType.ENTRY_REQUEST),
  /** An approver rejected an entry request. */
  ENTRY_REQUEST_REJECT("entry_request.reject", AuditTargetType.ENTRY_REQUEST),
  /** The requester cancelled an entry request. */
  ENTRY_REQUEST_CANCEL("entry_request.cancel", AuditTargetType.ENTRY_REQUEST),
  /** An entry request expired undecided. */
  ENTRY_REQUEST_EXPIRE("entry_request.expire", AuditTargetType.ENTRY_REQUEST),
  /** On approval the entry had moved past the request's revision; nothing was written. */
  ENTRY_REQUEST_CONFLICT("entry_request.conflict", AuditTargetType.ENTRY_REQUEST),
  /** On approval the change no longer validated; nothing was written. */
  ENTRY_REQUEST_FAIL("entry_request.fail", AuditTargetType.ENTRY_REQUEST),
  /** The approval policy was changed (before/after: the policy). */
  APPROVAL_POLICY_UPDATE("approval_policy.update", AuditTargetType.APPROVAL_POLICY),
  /** A site was created. */
  SITE_CREATE("site.create", AuditTargetType.SITE),
  /** A site was changed. */
  SITE_UPDATE("site.update", AuditTargetType.SITE),
  /** A site was deleted. */
  SITE_DELETE("site.delete", AuditTargetType.SITE),
  /**
   * An operator's TriggerSync made a site's failed changes due at once (after: the entries named,
   * if any, and how many changes of the site were reset); one event per site of the call.
   */
  SYNC_TRIGGER("sync.trigger", AuditTargetType.SITE),
  /** A site agent instance took a site's lease (a new tenure, not a renewal). */
  SITE_AGENT_LEASE("site.agent_lease", AuditTargetType.SITE),
  /** An API key was created. */
  APIKEY_CREATE("apikey.create", AuditTargetType.APIKEY),
  /** An API key was revoked. */
  APIKEY_REVOKE("apikey.revoke", AuditTargetType.APIKEY),
  /** A call was denied (PERMISSION_DENIED), or a summary of denials beyond the throttle's limit. */
  ACCESS_DENY("access.deny", AuditTargetType.RPC);

  private final String value;
  private final AuditTargetType targetType;

  AuditAction(String value, AuditTargetType targetType) {
    this.value = value;
    this.targetType = targetType;
  }

  /** The stored and served name, e.g. {@code entry.create}. */
  public String value() {
    return value;
  }

  /** The kind of resource the action is about. */
  public AuditTargetType targetType() {
    return targetType;
  }
}
