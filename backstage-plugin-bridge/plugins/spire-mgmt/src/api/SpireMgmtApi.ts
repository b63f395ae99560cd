import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPolicy,
  Entry,
  EntryRequest,
  EntryRequestUpdate,
  PreviewEntryRequestResponse,
  RequestedChange,
  Site,
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

  /** Every site, ordered by name (all pages). */
  listSites(): Promise<Site[]>;

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

  /** One request, with the entry as it was, as proposed and as it is now (`entry_current`). */
  getEntryRequest(id: string): Promise<EntryRequest>;

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
}

/**
 * The {@link SpireMgmtApi} of the app.
 *
 * @public
 */
export const spireMgmtApiRef = createApiRef<SpireMgmtApi>({
  id: 'plugin.spire-mgmt.service',
});
