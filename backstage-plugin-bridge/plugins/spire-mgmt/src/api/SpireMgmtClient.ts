import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { create } from '@bufbuild/protobuf';
import { Transport } from '@connectrpc/connect';
import {
  ApprovalPolicy,
  createSpireMgmtClients,
  createSpireMgmtTransport,
  Entry,
  EntryRequest,
  EntryRequestState,
  EntryRequestUpdate,
  isUnderSpiffeIdPrefix,
  ListAuditEventsResponse,
  ListEntriesResponse,
  ListEntryRequestsResponse,
  PreviewEntryRequestResponse,
  Selector,
  SelectorMatch,
  SelectorSchema,
  Site,
  SiteHealth,
  SpireMgmtClients,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { namespaceSelector } from './componentScope';
import { resumableStream, StreamRetryDelays } from './resumableStream';
import {
  SpireMgmtApi,
  SpireMgmtAuditEventListOptions,
  SpireMgmtComponentScope,
  SpireMgmtEntryFilter,
  SpireMgmtEntryRequestDraft,
  SpireMgmtEntryRequestListOptions,
  SpireMgmtSyncUpdatesOptions,
} from './SpireMgmtApi';

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
          selectors: [namespaceSelector(namespace)],
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

  private streamRetryDelays(): StreamRetryDelays {
    return {
      firstMs: this.options.streamRetryDelayMs ?? 1000,
      maxMs: this.options.streamMaxRetryDelayMs ?? 30000,
    };
  }

  async *streamSyncUpdates(
    options: SpireMgmtSyncUpdatesOptions,
  ): AsyncIterable<SyncUpdate> {
    const { sync } = await this.clients();
    const { entryIds } = options;
    yield* resumableStream(
      (cursor, signal) =>
        sync.streamSyncUpdates({ entryIds, cursor }, { signal }),
      options,
      this.streamRetryDelays(),
    );
  }

  async *streamEntryRequestUpdates(options: {
    cursor?: string;
    signal: AbortSignal;
  }): AsyncIterable<EntryRequestUpdate> {
    const { entryRequests } = await this.clients();
    yield* resumableStream(
      (cursor, signal) =>
        entryRequests.streamEntryRequestUpdates({ cursor }, { signal }),
      options,
      this.streamRetryDelays(),
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

  async getEntry(id: string): Promise<Entry> {
    const { entries } = await this.clients();
    return entries.getEntry({ id });
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

  async getApprovalPolicy(): Promise<ApprovalPolicy> {
    const { entryRequests } = await this.clients();
    return entryRequests.getApprovalPolicy({});
  }

  async previewEntryRequest(
    draft: SpireMgmtEntryRequestDraft,
    options?: { signal?: AbortSignal },
  ): Promise<PreviewEntryRequestResponse> {
    const { entryRequests } = await this.clients();
    return entryRequests.previewEntryRequest(
      { change: draft.change, justification: draft.justification },
      { signal: options?.signal },
    );
  }

  async submitEntryRequest(
    draft: SpireMgmtEntryRequestDraft & { requestId?: string },
  ): Promise<EntryRequest> {
    const { entryRequests } = await this.clients();
    return entryRequests.submitEntryRequest({
      change: draft.change,
      justification: draft.justification,
      requestId: draft.requestId ?? '',
    });
  }

  async getEntryRequest(id: string): Promise<EntryRequest> {
    const { entryRequests } = await this.clients();
    return entryRequests.getEntryRequest({ id });
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
