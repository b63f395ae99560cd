package io.spiremgmt.backend.error;

import io.grpc.Status;

/**
 * Every reason the API can fail for, with the gRPC code it maps to. The name is the stable {@code
 * google.rpc.ErrorInfo.reason} clients branch on; never rename one.
 */
public enum ErrorReason {
  /** A required field is missing. */
  MISSING_FIELD(Status.Code.INVALID_ARGUMENT),
  /** A field's value is malformed or out of range (the message says which rule). */
  INVALID_FIELD(Status.Code.INVALID_ARGUMENT),
  /** A SPIFFE ID breaks the SPIFFE ID specification or SPIRE's rules. */
  INVALID_SPIFFE_ID(Status.Code.INVALID_ARGUMENT),
  /** A selector is malformed or duplicated. */
  INVALID_SELECTOR(Status.Code.INVALID_ARGUMENT),
  /** A TTL is negative or out of range. */
  INVALID_TTL(Status.Code.INVALID_ARGUMENT),
  /** A DNS name is malformed or duplicated. */
  INVALID_DNS_NAME(Status.Code.INVALID_ARGUMENT),
  /** A trust domain name is malformed. */
  INVALID_TRUST_DOMAIN(Status.Code.INVALID_ARGUMENT),
  /** An id is not a UUID. */
  INVALID_ID(Status.Code.INVALID_ARGUMENT),
  /** An update mask names an unknown or output-only field. */
  INVALID_UPDATE_MASK(Status.Code.INVALID_ARGUMENT),
  /** A page size is negative. */
  INVALID_PAGE_SIZE(Status.Code.INVALID_ARGUMENT),
  /** A page token is malformed or was issued for another filter. */
  INVALID_PAGE_TOKEN(Status.Code.INVALID_ARGUMENT),
  /** A batch is empty or larger than its documented limit. */
  BATCH_TOO_LARGE(Status.Code.INVALID_ARGUMENT),
  /** An entry's serialized content is larger than its documented limit (32 KiB). */
  ENTRY_TOO_LARGE(Status.Code.INVALID_ARGUMENT),
  /** No entry has that id. */
  ENTRY_NOT_FOUND(Status.Code.NOT_FOUND),
  /** No site has that id. */
  SITE_NOT_FOUND(Status.Code.NOT_FOUND),
  /** No entry request has that id (or the caller may not see it). */
  REQUEST_NOT_FOUND(Status.Code.NOT_FOUND),
  /** An entry with the same SPIFFE ID, parent ID and selector set exists. */
  ENTRY_ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
  /** Another site has that name. */
  SITE_NAME_TAKEN(Status.Code.ALREADY_EXISTS),
  /** No API key has that id. */
  API_KEY_NOT_FOUND(Status.Code.NOT_FOUND),
  /** Another API key has that name. */
  API_KEY_NAME_TAKEN(Status.Code.ALREADY_EXISTS),
  /** The revision the caller read is no longer the stored one. */
  STALE_REVISION(Status.Code.ABORTED),
  /**
   * PostgreSQL aborted the call's transaction because it collided with a concurrent one (a
   * deadlock, SQLSTATE 40P01, a serialization failure, 40001, or rows another call holds locked
   * where waiting is refused, 55P03); nothing was changed: retry the call.
   */
  CONCURRENT_UPDATE(Status.Code.ABORTED),
  /** The site is INACTIVE and takes no new entries. */
  SITE_INACTIVE(Status.Code.FAILED_PRECONDITION),
  /** A site serves another trust domain than the entry's SPIFFE ID or the parent site. */
  TRUST_DOMAIN_MISMATCH(Status.Code.FAILED_PRECONDITION),
  /** The entry is being deleted and can no longer be changed. */
  ENTRY_BEING_DELETED(Status.Code.FAILED_PRECONDITION),
  /** The site still has entries or downstream sites. */
  SITE_IN_USE(Status.Code.FAILED_PRECONDITION),
  /** The calling agent does not hold its site's lease: another instance is the active agent. */
  LEASE_NOT_HELD(Status.Code.FAILED_PRECONDITION),
  /**
   * The change needs approval for this caller under the approval policy: submit it with {@code
   * EntryRequestService.SubmitEntryRequest}.
   */
  APPROVAL_REQUIRED(Status.Code.FAILED_PRECONDITION),
  /** A decision or cancellation on an entry request that is no longer PENDING. */
  REQUEST_NOT_PENDING(Status.Code.FAILED_PRECONDITION),
  /**
   * A request named in {@code supersedes} cannot be superseded: not the caller's, not CONFLICT or
   * FAILED, or superseded already.
   */
  REQUEST_NOT_SUPERSEDABLE(Status.Code.FAILED_PRECONDITION),
  /** A downstream site's parent is not an UPSTREAM site. */
  INVALID_SITE_PARENT(Status.Code.FAILED_PRECONDITION),
  /** A StreamSyncUpdates cursor points before the retained event log: resume from current state. */
  CURSOR_EXPIRED(Status.Code.OUT_OF_RANGE),
  /** The caller already has the most StreamSyncUpdates streams it may hold open. */
  TOO_MANY_STREAMS(Status.Code.RESOURCE_EXHAUSTED),
  /** The call has no valid credentials. */
  UNAUTHENTICATED(Status.Code.UNAUTHENTICATED),
  /** The caller may not make this call. */
  PERMISSION_DENIED(Status.Code.PERMISSION_DENIED),
  /** None of the caller's roles may make this call. */
  ROLE_NOT_ALLOWED(Status.Code.PERMISSION_DENIED),
  /** The requester of an entry request tried to approve or reject it (four eyes). */
  SELF_APPROVAL(Status.Code.PERMISSION_DENIED),
  /** Someone other than its requester tried to cancel an entry request. */
  NOT_REQUESTER(Status.Code.PERMISSION_DENIED),
  /** The call reaches outside the caller's scope: a Developer's namespaces, an agent's site. */
  OUTSIDE_SCOPE(Status.Code.PERMISSION_DENIED),
  /**
   * PostgreSQL cannot be reached (down, failing over, refusing connections): nothing was changed
   * that the caller was not told about; retry with backoff.
   */
  DATABASE_UNAVAILABLE(Status.Code.UNAVAILABLE),
  /**
   * A statement ran longer than {@code spire-mgmt.db.statement-timeout} and PostgreSQL cancelled
   * it; the call changed nothing.
   */
  STATEMENT_TIMEOUT(Status.Code.DEADLINE_EXCEEDED),
  /** A bug: logged with a correlation id, never caused by input. */
  INTERNAL(Status.Code.INTERNAL);

  /** The {@code ErrorInfo.domain} of every error of this API. */
  public static final String DOMAIN = "spire-mgmt.io";

  private final Status.Code code;

  ErrorReason(Status.Code code) {
    this.code = code;
  }

  /** The gRPC status code this reason is answered with. */
  public Status.Code code() {
    return code;
  }
}
