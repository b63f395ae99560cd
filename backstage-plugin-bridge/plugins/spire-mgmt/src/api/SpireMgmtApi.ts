import { createApiRef } from '@backstage/core-plugin-api';
import {
  Entry,
  EntryRequest,
  EntryRequestState,
  EntryRequestUpdate,
  ListAuditEventsResponse,
  ListEntryRequestsResponse,
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

  /**
   * One page of entry requests, newest first (`ListEntryRequests`; `entryCurrent` is not filled in). Fails
   * with INVALID_ARGUMENT for a negative page size or a page token of another filter.
   */
  listEntryRequests(
    options: SpireMgmtEntryRequestListOptions,
  ): Promise<ListEntryRequestsResponse>;

  /**
   * One request with the entry as it is now (`entryCurrent`, unset when the entry does not exist), so a
   * reviewer sees whether it moved since the request's `baseRevision`. NOT_FOUND when the caller may not
   * see it.
   */
  getEntryRequest(id: string): Promise<EntryRequest>;

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
   * Every change of the requests the caller may see (a new request, an approval, a decision) as it commits,
   * for as long as `signal` is not aborted. Reopened from the last cursor after a break, as
   * {@link SpireMgmtApi.streamSyncUpdates} is; ends with an error when the service refuses the stream.
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
