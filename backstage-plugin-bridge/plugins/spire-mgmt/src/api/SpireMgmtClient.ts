import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { create } from '@bufbuild/protobuf';
import { Transport } from '@connectrpc/connect';
import {
  createSpireMgmtClients,
  createSpireMgmtTransport,
  Entry,
  EntryRequest,
  EntryRequestState,
  EntryRequestUpdate,
  getSpireMgmtErrorDetails,
  isUnderSpiffeIdPrefix,
  ListAuditEventsResponse,
  ListEntryRequestsResponse,
  Selector,
  SelectorMatch,
  SelectorSchema,
  SpireMgmtClients,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  SpireMgmtApi,
  SpireMgmtAuditEventListOptions,
  SpireMgmtComponentScope,
  SpireMgmtEntryRequestListOptions,
  SpireMgmtSyncUpdatesOptions,
} from './SpireMgmtApi';

/**
 * Options of {@link SpireMgmtClient}: the app's discovery and fetch APIs (the calls go to the backend plugin's
 * gRPC-Web route, `<spire-mgmt base URL>/grpc`, with the user's Backstage credentials), or any Connect
 * transport (for example an in-memory router in tests).
 *
 * @public
 */
export type SpireMgmtClientOptions = (
  | { discoveryApi: DiscoveryApi; fetchApi: FetchApi }
  | { transport: Transport }
) & {
  /** The wait before the first attempt to reopen a broken stream, doubled per failed attempt. Default 1000. */
  streamRetryDelayMs?: number;
  /** The longest wait between attempts to reopen a broken stream. Default 30000. */
  streamMaxRetryDelayMs?: number;
};

// Failures of the connection or of a replica, not of the request: the stream is opened again from its cursor.
const RESUMABLE_CODES = new Set([
  'UNAVAILABLE',
  'UNKNOWN',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'ABORTED',
]);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * The {@link SpireMgmtApi} over the spire-mgmt backend plugin's gRPC-Web route.
 *
 * @public
 */
export class SpireMgmtClient implements SpireMgmtApi {
  private readonly options: SpireMgmtClientOptions;
  private clientsPromise?: Promise<SpireMgmtClients>;

  constructor(options: SpireMgmtClientOptions) {
    this.options = options;
  }

  private clients(): Promise<SpireMgmtClients> {
    if (!this.clientsPromise) {
      const options = this.options;
      this.clientsPromise =
        'transport' in options
          ? Promise.resolve(createSpireMgmtClients(options.transport))
          : options.discoveryApi.getBaseUrl('spire-mgmt').then(baseUrl =>
              createSpireMgmtClients(
                createSpireMgmtTransport({
                  baseUrl: `${baseUrl}/grpc`,
                  fetch: options.fetchApi.fetch,
                }),
              ),
            );
      // A failed discovery is not kept: the next call asks again.
      this.clientsPromise.catch(() => {
        this.clientsPromise = undefined;
      });
    }
    return this.clientsPromise;
  }

  async listComponentEntries(scope: SpireMgmtComponentScope): Promise<Entry[]> {
    const clients = await this.clients();
    const listAll = async (filter: {
      spiffeIdPrefix?: string;
      selectors?: Selector[];
      selectorMatch?: SelectorMatch;
    }): Promise<Entry[]> => {
      const entries: Entry[] = [];
      let pageToken = '';
      do {
        const page = await clients.entries.listEntries({
          ...filter,
          pageSize: 1000,
          pageToken,
        });
        entries.push(...page.entries);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return entries;
    };
    const prefix = scope.spiffeIdPrefix;
    const lists = await Promise.all([
      prefix
        ? listAll({ spiffeIdPrefix: prefix }).then(entries =>
            // The service compares strings; a component owns whole path segments only.
            entries.filter(e => isUnderSpiffeIdPrefix(e.spiffeId, prefix)),
          )
        : Promise.resolve([]),
      ...scope.kubernetesNamespaces.map(namespace =>
        listAll({
          selectors: [
            create(SelectorSchema, { type: 'k8s:ns', value: namespace }),
          ],
          selectorMatch: SelectorMatch.SUPERSET,
        }),
      ),
    ]);
    const byId = new Map<string, Entry>();
    for (const entry of lists.flat()) {
      byId.set(entry.id, entry);
    }
    return [...byId.values()].sort(
      (a, b) =>
        a.spiffeId.localeCompare(b.spiffeId) || a.id.localeCompare(b.id),
    );
  }

  /**
   * The messages of a server stream that carries cursors, reopened with backoff from the last cursor seen
   * when it breaks (the connection drops, a replica goes away), so no message is lost or repeated; ends
   * without an error when `signal` is aborted, and with the mapped error when the service refuses the stream.
   */
  private async *resumableStream<T extends { cursor: string }>(
    open: (cursor: string, signal: AbortSignal) => AsyncIterable<T>,
    firstCursor: string | undefined,
    signal: AbortSignal,
  ): AsyncIterable<T> {
    const firstDelay = this.options.streamRetryDelayMs ?? 1000;
    const maxDelay = this.options.streamMaxRetryDelayMs ?? 30000;
    let cursor = firstCursor ?? '';
    let delay = firstDelay;
    let unauthenticatedInARow = 0;
    while (!signal.aborted) {
      try {
        for await (const message of open(cursor, signal)) {
          cursor = message.cursor || cursor;
          delay = firstDelay;
          unauthenticatedInARow = 0;
          yield message;
        }
      } catch (e) {
        if (signal.aborted) {
          return;
        }
        const code = getSpireMgmtErrorDetails(e)?.code ?? 'UNKNOWN';
        // The service ends open streams with UNAUTHENTICATED when the token they started with expires; the
        // next call carries a fresh one. Twice in a row means the user's credentials are refused.
        const expiredToken =
          code === 'UNAUTHENTICATED' && ++unauthenticatedInARow < 2;
        if (!RESUMABLE_CODES.has(code) && !expiredToken) {
          throw e;
        }
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  async *streamSyncUpdates(
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate> {
    const { entryIds, signal } = options;
    const clients = await this.clients();
    yield* this.resumableStream(
      (cursor, s) =>
        clients.sync.streamSyncUpdates({ entryIds, cursor }, { signal: s }),
      options.cursor,
      signal,
    );
  }

  async *streamEntryRequestUpdates(options: {
    cursor?: string;
    signal: AbortSignal;
  }): AsyncIterable<EntryRequestUpdate> {
    const clients = await this.clients();
    yield* this.resumableStream(
      (cursor, signal) =>
        clients.entryRequests.streamEntryRequestUpdates({ cursor }, { signal }),
      options.cursor,
      options.signal,
    );
  }

  async listPendingEntryRequests(entryId: string): Promise<EntryRequest[]> {
    const clients = await this.clients();
    const response = await clients.entryRequests.listEntryRequests({
      entryId,
      states: [EntryRequestState.PENDING],
      pageSize: 100,
    });
    return response.entryRequests;
  }

  async listEntryRequests(
    options: SpireMgmtEntryRequestListOptions,
  ): Promise<ListEntryRequestsResponse> {
    const clients = await this.clients();
    return clients.entryRequests.listEntryRequests({
      mine: options.mine,
      awaitingMyDecision: options.awaitingMyDecision,
      states: options.states,
      entryId: options.entryId,
      pageSize: options.pageSize,
      pageToken: options.pageToken,
    });
  }

  async getEntryRequest(id: string): Promise<EntryRequest> {
    const clients = await this.clients();
    return clients.entryRequests.getEntryRequest({ id });
  }

  async approveEntryRequest(options: {
    id: string;
    comment?: string;
  }): Promise<EntryRequest> {
    const clients = await this.clients();
    return clients.entryRequests.approveEntryRequest({
      id: options.id,
      comment: options.comment,
    });
  }

  async rejectEntryRequest(options: {
    id: string;
    reason: string;
  }): Promise<EntryRequest> {
    const clients = await this.clients();
    return clients.entryRequests.rejectEntryRequest({
      id: options.id,
      reason: options.reason,
    });
  }

  async listAuditEvents(
    options: SpireMgmtAuditEventListOptions,
  ): Promise<ListAuditEventsResponse> {
    const clients = await this.clients();
    return clients.audit.listAuditEvents({
      targetType: options.targetType,
      targetId: options.targetId,
      pageSize: options.pageSize,
      pageToken: options.pageToken,
    });
  }
}
