import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { create } from '@bufbuild/protobuf';
import { Transport } from '@connectrpc/connect';
import {
  createSpireMgmtClients,
  createSpireMgmtTransport,
  Entry,
  EntryRequest,
  EntryRequestState,
  getSpireMgmtErrorDetails,
  isUnderSpiffeIdPrefix,
  ListEntriesResponse,
  Selector,
  SelectorMatch,
  SelectorSchema,
  Site,
  SiteHealth,
  SpireMgmtClients,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  SpireMgmtApi,
  SpireMgmtComponentScope,
  SpireMgmtEntryFilter,
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

// Rows of one page of the entries list: enough to fill a screen, few enough for one sync stream's entry ids.
const ENTRIES_PAGE_SIZE = 50;

// The largest page the service serves (AIP-158: larger sizes are lowered to it).
const MAX_PAGE_SIZE = 1000;

/** Every item of a paged list call: asks for pages until one comes without a next page token. */
async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = '';
  do {
    const result = await page(pageToken);
    items.push(...result.items);
    pageToken = result.nextPageToken;
  } while (pageToken);
  return items;
}

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
    }): Promise<Entry[]> =>
      allPages(async pageToken => {
        const page = await clients.entries.listEntries({
          ...filter,
          pageSize: MAX_PAGE_SIZE,
          pageToken,
        });
        return { items: page.entries, nextPageToken: page.nextPageToken };
      });
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

  async *streamSyncUpdates(
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate> {
    const { entryIds, signal } = options;
    const firstDelay = this.options.streamRetryDelayMs ?? 1000;
    const maxDelay = this.options.streamMaxRetryDelayMs ?? 30000;
    const clients = await this.clients();
    let cursor = options.cursor ?? '';
    let delay = firstDelay;
    let unauthenticatedInARow = 0;
    while (!signal.aborted) {
      try {
        for await (const update of clients.sync.streamSyncUpdates(
          { entryIds, cursor },
          { signal },
        )) {
          cursor = update.cursor || cursor;
          delay = firstDelay;
          unauthenticatedInARow = 0;
          yield update;
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

  async listPendingEntryRequests(entryId: string): Promise<EntryRequest[]> {
    const clients = await this.clients();
    const response = await clients.entryRequests.listEntryRequests({
      entryId,
      states: [EntryRequestState.PENDING],
      pageSize: 100,
    });
    return response.entryRequests;
  }

  async listEntries(
    filter: SpireMgmtEntryFilter,
    pageToken?: string,
  ): Promise<ListEntriesResponse> {
    const clients = await this.clients();
    return clients.entries.listEntries({
      pageSize: ENTRIES_PAGE_SIZE,
      pageToken: pageToken ?? '',
      siteId: filter.siteId ?? '',
      selectors: (filter.selectors ?? []).map(s =>
        create(SelectorSchema, { type: s.type, value: s.value }),
      ),
      selectorMatch: SelectorMatch.SUPERSET,
      spiffeIdPrefix: filter.spiffeIdPrefix ?? '',
      syncState: filter.syncState ?? SyncState.UNSPECIFIED,
    });
  }

  async listSites(): Promise<Site[]> {
    const clients = await this.clients();
    return allPages(async pageToken => {
      const page = await clients.sites.listSites({
        pageSize: MAX_PAGE_SIZE,
        pageToken,
      });
      return { items: page.sites, nextPageToken: page.nextPageToken };
    });
  }

  async getSiteHealth(siteId: string): Promise<SiteHealth> {
    const clients = await this.clients();
    return clients.sites.getSiteHealth({ siteId });
  }
}
