import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPolicy,
  Entry,
  EntryRequest,
  EntryRequestState,
  EntryRequestUpdate,
  ListAuditEventsResponse,
  ListEntriesResponse,
  ListEntryRequestsResponse,
  PreviewEntryRequestResponse,
  RequestedChange,
  Site,
  SiteHealth,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/**
 * Which entries belong to a catalog component: those of its spire-mgmt annotations (see
 * `getSpireMgmtAnnotations` in the common package).
 *
 * @public
 */
export interface SpireMgmtComponentScope {
  /** Entries whose SPIFFE ID is this prefix or below it by whole path segments. */
  spiffeIdPrefix?: string;
  /** Entries with a `k8s:ns` selector naming one of these namespaces. */
  kubernetesNamespaces: string[];
}

/**
 * The filters of {@link SpireMgmtApi.listEntries}. They combine with AND; an absent one matches everything.
 * The service checks them: a bad value fails the call with an `InputError` naming the request field at fault
 * (`site_id`, `selectors[0].type`, `spiffe_id_prefix`, `sync_state`).
 *
 * @public
 */
export interface SpireMgmtEntryFilter {
  /** Only entries assigned to (or being removed from) this site, by its id. */
  siteId?: string;
  /** Only entries that have every one of these selectors (and maybe more). */
  selectors?: Array<{ type: string; value: string }>;
  /** Only entries whose SPIFFE ID starts with this string (a string comparison, not by path segments). */
  spiffeIdPrefix?: string;
  /** Only entries in this state at `siteId`, or at any of their sites when there is no `siteId`. */
  syncState?: SyncState;
}

/**
 * Options of {@link SpireMgmtApi.streamSyncUpdates}.
 *
 * @public
 */
export interface SpireMgmtSyncUpdatesOptions {
  /** Only changes of these entries (at most 1000). */
  entryIds: string[];
  /** Resume after this cursor (from a previous update); absent starts with changes from now on. */
  cursor?: string;
  /** Ends the stream (the iteration then ends without an error). */
  signal: AbortSignal;
}

/**
 * An entry request as a person fills it in: the change and why (see `SubmitEntryRequestRequest`).
 *
 * @public
 */
export interface SpireMgmtEntryRequestDraft {
  /** The change of one entry: create, update (with its mask) or delete. */
  change: RequestedChange;
  /** Why the requester wants it; 1 to 2000 characters. */
  justification: string;
}

/**
 * Options of {@link SpireMgmtApi.listEntryRequests}: the `ListEntryRequests` filters (they combine with AND)
 * and the page.
 *
 * @public
 */
export interface SpireMgmtEntryRequestListOptions {
  /** Only the caller's own requests (under any of its credentials). */
  mine?: boolean;
  /** Only PENDING requests the caller may approve and has not approved (never its own). */
  awaitingMyDecision?: boolean;
  /** Only requests in these states. */
  states?: EntryRequestState[];
  /** Only requests about this entry. */
  entryId?: string;
  /** At most this many (0 or absent: the service's default, 100; at most 1000). */
  pageSize?: number;
  /** The `nextPageToken` of the previous page of the same filter. */
  pageToken?: string;
}

/**
 * Options of {@link SpireMgmtApi.listAuditEvents}: the `ListAuditEvents` filters and the page.
 *
 * @public
 */
export interface SpireMgmtAuditEventListOptions {
  /** Only events about this kind of resource (`entry`, `site`, `apikey`, `rpc`). */
  targetType?: string;
  /** Only events about this resource; needs `targetType`. */
  targetId?: string;
  /** At most this many (0 or absent: the service's default, 100; at most 1000). */
  pageSize?: number;
  /** The `nextPageToken` of the previous page of the same filter. */
  pageToken?: string;
}

/**
 * The spire-mgmt calls the frontend plugin makes. Every call fails with the `@backstage/errors` type of the
 * service's gRPC code, carrying the code, the `ErrorInfo` reason and the field at fault (read them with
 * `getSpireMgmtErrorDetails` from the common package).
 *
 * @public
 */
export interface SpireMgmtApi {
  /**
   * The workload entries of a component: those under its SPIFFE ID prefix and those selecting one of its
   * Kubernetes namespaces (`k8s:ns`), each once, ordered by SPIFFE ID. Empty when the scope names nothing.
   */
  listComponentEntries(scope: SpireMgmtComponentScope): Promise<Entry[]>;

  /**
   * Sync state changes of the given entries as they commit, for as long as `signal` is not aborted. A stream
   * that breaks (the connection drops, the service restarts) is opened again after a short backoff from the
   * last cursor seen, so no change is lost or repeated. Ends with an error when the service refuses the
   * stream itself (e.g. PERMISSION_DENIED, or OUT_OF_RANGE `CURSOR_EXPIRED`: read the state again and stream
   * without a cursor).
   */
  streamSyncUpdates(
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate>;

  /** The PENDING entry requests about an entry, newest first. */
  listPendingEntryRequests(entryId: string): Promise<EntryRequest[]>;

  /** One entry with its per-site sync statuses (NOT_FOUND once it is gone). */
  getEntry(id: string): Promise<Entry>;

  /**
   * One page of the entries matching `filter`, in the service's stable order, with the token of the next page
   * (empty on the last page). `pageToken` is a `nextPageToken` the service issued for the same filter; absent
   * or empty asks for the first page. A token of another filter, or a malformed one, is an `InputError` on
   * `page_token`.
   */
  listEntries(
    filter: SpireMgmtEntryFilter,
    pageToken?: string,
  ): Promise<ListEntriesResponse>;

  /** Every site, ordered by name (all pages of `ListSites`). */
  listSites(): Promise<Site[]>;

  /**
   * A site's health as the service sees it now: its sync backlog, and its agent (connected, lag, SPIRE
   * reachable, unmanaged entries). For a Developer it covers only its namespaces (`namespaceScoped`).
   */
  getSiteHealth(siteId: string): Promise<SiteHealth>;

  /** The approval policy: which sites need approval for whose changes, and the rules that apply everywhere. */
  getApprovalPolicy(): Promise<ApprovalPolicy>;

  /**
   * Checks a draft as a submit would, writing nothing: every problem with its reason and field (e.g.
   * `change.create.spiffe_id`, `justification`), whether approval would be required, where and why. A
   * malformed draft is not an error here: its problems are the answer. `signal` abandons the call.
   */
  previewEntryRequest(
    draft: SpireMgmtEntryRequestDraft,
    options?: { signal?: AbortSignal },
  ): Promise<PreviewEntryRequestResponse>;

  /**
   * Submits a draft: the request as it stands (PENDING, or APPLIED when no rule needs approval). A retry with
   * the same `requestId` (an idempotency key, at most 128 characters) returns the first call's request.
   */
  submitEntryRequest(
    draft: SpireMgmtEntryRequestDraft & { requestId?: string },
  ): Promise<EntryRequest>;

  /**
   * One request, with the entry as it was, as proposed and as it is now (`entryCurrent`, unset when the entry
   * does not exist), so a reviewer sees whether it moved since the request's `baseRevision`. NOT_FOUND when
   * the caller may not see it.
   */
  getEntryRequest(id: string): Promise<EntryRequest>;

  /**
   * One page of entry requests, newest first (`ListEntryRequests`; `entryCurrent` is not filled in). Fails
   * with INVALID_ARGUMENT for a negative page size or a page token of another filter.
   */
  listEntryRequests(
    options: SpireMgmtEntryRequestListOptions,
  ): Promise<ListEntryRequestsResponse>;

  /**
   * Approves a PENDING request (Admin, Operator; never the requester: PERMISSION_DENIED `SELF_APPROVAL`).
   * Answers the request as it stands: still PENDING when it needs more approvals, APPLIED, or CONFLICT /
   * FAILED when it could not be applied (nothing written). FAILED_PRECONDITION `REQUEST_NOT_PENDING` when it
   * was decided or expired already, ABORTED `CONCURRENT_UPDATE` while another decision is being written.
   */
  approveEntryRequest(options: {
    id: string;
    comment?: string;
  }): Promise<EntryRequest>;

  /**
   * Rejects a PENDING request with a reason (required; INVALID_ARGUMENT without one). Errors as
   * {@link SpireMgmtApi.approveEntryRequest}; the requester cancels instead.
   */
  rejectEntryRequest(options: {
    id: string;
    reason: string;
  }): Promise<EntryRequest>;

  /**
   * Every change of the requests the caller may see (a submit, an approval, a new state) as it commits, for as
   * long as `signal` is not aborted; resumed after a broken connection from the last cursor seen, as
   * {@link SpireMgmtApi.streamSyncUpdates} is. Ends with an error when the service refuses the stream (e.g.
   * PERMISSION_DENIED, or OUT_OF_RANGE `CURSOR_EXPIRED`: read the requests again and stream without a cursor).
   */
  streamEntryRequestUpdates(options: {
    cursor?: string;
    signal: AbortSignal;
  }): AsyncIterable<EntryRequestUpdate>;

  /**
   * One page of audit events, newest first (`ListAuditEvents`). A Developer sees only events about entries
   * of its namespaces; other target types are PERMISSION_DENIED `OUTSIDE_SCOPE` for it.
   */
  listAuditEvents(
    options: SpireMgmtAuditEventListOptions,
  ): Promise<ListAuditEventsResponse>;
}

/**
 * The {@link SpireMgmtApi} of the app.
 *
 * @public
 */
export const spireMgmtApiRef = createApiRef<SpireMgmtApi>({
  id: 'plugin.spire-mgmt.service',
});
