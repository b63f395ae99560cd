/**
 * @jest-environment node
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { ConflictError, NotAllowedError } from '@backstage/errors';
import {
  ApproveEntryRequestRequest,
  AuditEventSchema,
  AuditService,
  EntryRequestSchema,
  EntryRequestService,
  EntryRequestState,
  EntryRequestUpdate,
  EntryRequestUpdateSchema,
  EntrySchema,
  getSpireMgmtErrorDetails,
  ListEntriesRequest,
  ListAuditEventsRequest,
  ListEntryRequestsRequest,
  RejectEntryRequestRequest,
  SelectorMatch,
  StreamEntryRequestUpdatesRequest,
  StreamSyncUpdatesRequest,
  SyncService,
  SyncState,
  SyncUpdate,
  SyncUpdateSchema,
  WorkloadEntryService,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtClient } from './SpireMgmtClient';

function entry(id: string, spiffeId: string) {
  return create(EntrySchema, { id, spiffeId, revision: 1n });
}

function update(cursor: string, siteId = 'site-a'): SyncUpdate {
  return create(SyncUpdateSchema, {
    entryId: 'e1',
    siteId,
    syncState: SyncState.SYNCED,
    revision: 1n,
    cursor,
  });
}

function requestUpdate(cursor: string, id: string): EntryRequestUpdate {
  return create(EntryRequestUpdateSchema, {
    entryRequest: create(EntryRequestSchema, {
      id,
      state: EntryRequestState.PENDING,
    }),
    event: 'submit',
    cursor,
  });
}

async function collect<T>(
  iterable: AsyncIterable<T>,
  count: number,
  controller: AbortController,
): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (items.length === count) {
      controller.abort();
    }
  }
  return items;
}

describe('SpireMgmtClient', () => {
  it('lists the entries under the prefix and of each namespace once, dropping IDs that only share a string prefix', async () => {
    // Given a service with entries under the prefix (on two pages), one merely sharing its string prefix,
    // and one found both by namespace and by prefix
    const requests: ListEntriesRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(WorkloadEntryService, {
        listEntries(req) {
          requests.push(req);
          if (req.spiffeIdPrefix && req.pageToken === '') {
            return {
              entries: [
                entry('e2', 'spiffe://td/ns/pay/web'),
                entry('e3', 'spiffe://td/ns/payments'),
              ],
              nextPageToken: 'page-2',
            };
          }
          if (req.spiffeIdPrefix) {
            return { entries: [entry('e1', 'spiffe://td/ns/pay/api')] };
          }
          return {
            entries: [
              entry('e1', 'spiffe://td/ns/pay/api'),
              entry('e4', 'spiffe://td/batch'),
            ],
          };
        },
      });
    });
    const client = new SpireMgmtClient({ transport });

    // When
    const entries = await client.listComponentEntries({
      spiffeIdPrefix: 'spiffe://td/ns/pay',
      kubernetesNamespaces: ['pay'],
    });

    // Then
    expect(entries.map(e => e.id)).toEqual(['e4', 'e1', 'e2']);
    const prefixCalls = requests.filter(r => r.spiffeIdPrefix);
    expect(prefixCalls.map(r => r.pageToken)).toEqual(['', 'page-2']);
    const namespaceCall = requests.find(r => !r.spiffeIdPrefix)!;
    expect(
      namespaceCall.selectors.map(s => ({ type: s.type, value: s.value })),
    ).toEqual([{ type: 'k8s:ns', value: 'pay' }]);
    expect(namespaceCall.selectorMatch).toBe(SelectorMatch.SUPERSET);
  });

  it('lists the pending requests of an entry', async () => {
    // Given
    let seen: ListEntryRequestsRequest | undefined;
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        listEntryRequests(req) {
          seen = req;
          return {
            entryRequests: [create(EntryRequestSchema, { id: 'r1' })],
          };
        },
      });
    });

    // When
    const requests = await new SpireMgmtClient({
      transport,
    }).listPendingEntryRequests('e1');

    // Then
    expect(requests.map(r => r.id)).toEqual(['r1']);
    expect(seen?.entryId).toBe('e1');
    expect(seen?.states).toEqual([EntryRequestState.PENDING]);
  });

  it('reopens a broken sync stream from the last cursor it saw', async () => {
    // Given a stream that breaks after two updates, and then serves the rest
    const calls: StreamSyncUpdatesRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(SyncService, {
        async *streamSyncUpdates(req) {
          calls.push(req);
          if (calls.length === 1) {
            yield update('c1');
            yield update('c2');
            throw new ConnectError('replica going away', Code.Unavailable);
          }
          yield update('c3');
          // Stays open until the client goes away.
          await new Promise(() => {});
        },
      });
    });
    const client = new SpireMgmtClient({ transport, streamRetryDelayMs: 1 });
    const controller = new AbortController();

    // When
    const updates = await collect(
      client.streamSyncUpdates({
        entryIds: ['e1'],
        signal: controller.signal,
      }),
      3,
      controller,
    );

    // Then every update arrives once, and the second stream resumed after c2 for the same entries
    expect(updates.map(u => u.cursor)).toEqual(['c1', 'c2', 'c3']);
    expect(calls.map(c => c.cursor)).toEqual(['', 'c2']);
    expect(calls[1].entryIds).toEqual(['e1']);
  });

  it('ends the sync stream with the mapped error when the service refuses it', async () => {
    // Given
    let calls = 0;
    const transport = createRouterTransport(({ service }) => {
      service(SyncService, {
        // eslint-disable-next-line require-yield
        async *streamSyncUpdates() {
          calls++;
          throw new ConnectError('caller has no role', Code.PermissionDenied);
        },
      });
    });
    const client = new SpireMgmtClient({ transport, streamRetryDelayMs: 1 });

    // When
    const result = collect(
      client.streamSyncUpdates({
        entryIds: ['e1'],
        signal: new AbortController().signal,
      }),
      1,
      new AbortController(),
    );

    // Then
    const error = await result.catch(e => e);
    expect(error).toBeInstanceOf(NotAllowedError);
    expect(getSpireMgmtErrorDetails(error)?.code).toBe('PERMISSION_DENIED');
    expect(calls).toBe(1);
  });

  it('calls the backend plugin route found by discovery, with the fetch API', async () => {
    // Given a fetch API that answers as the route does for a user without credentials (a trailers-only
    // gRPC-Web response)
    const fetch = jest.fn(
      async (_input: RequestInfo | URL, _init?: RequestInit) =>
        new Response(null, {
          status: 200,
          headers: {
            'content-type': 'application/grpc-web+proto',
            'grpc-status': String(Code.PermissionDenied),
            'grpc-message': 'caller has no role',
          },
        }),
    );
    const client = new SpireMgmtClient({
      discoveryApi: {
        getBaseUrl: async id => `http://backstage.test/api/${id}`,
      },
      fetchApi: { fetch: fetch as typeof globalThis.fetch },
    });

    // When
    const error = await client.listPendingEntryRequests('e1').catch(e => e);

    // Then
    expect(String(fetch.mock.calls[0][0])).toBe(
      'http://backstage.test/api/spire-mgmt/grpc/spire.mgmt.v1.EntryRequestService/ListEntryRequests',
    );
    expect(error).toBeInstanceOf(NotAllowedError);
    expect(error.message).toBe('caller has no role');
  });

  it('lists entry requests with the given filters and page', async () => {
    // Given
    let seen: ListEntryRequestsRequest | undefined;
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        listEntryRequests(req) {
          seen = req;
          return {
            entryRequests: [create(EntryRequestSchema, { id: 'r2' })],
            nextPageToken: 'next',
          };
        },
      });
    });

    // When
    const page = await new SpireMgmtClient({ transport }).listEntryRequests({
      awaitingMyDecision: true,
      states: [EntryRequestState.PENDING],
      entryId: 'e1',
      pageSize: 20,
      pageToken: 'tok',
    });

    // Then
    expect(page.entryRequests.map(r => r.id)).toEqual(['r2']);
    expect(page.nextPageToken).toBe('next');
    expect(seen?.awaitingMyDecision).toBe(true);
    expect(seen?.mine).toBe(false);
    expect(seen?.states).toEqual([EntryRequestState.PENDING]);
    expect(seen?.entryId).toBe('e1');
    expect(seen?.pageSize).toBe(20);
    expect(seen?.pageToken).toBe('tok');
  });

  it('gets a request, approves it with a comment and rejects it with a reason', async () => {
    // Given
    const approvals: ApproveEntryRequestRequest[] = [];
    const rejections: RejectEntryRequestRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        getEntryRequest(req) {
          return create(EntryRequestSchema, {
            id: req.id,
            entryCurrent: entry('e1', 'spiffe://td/a'),
          });
        },
        approveEntryRequest(req) {
          approvals.push(req);
          return create(EntryRequestSchema, {
            id: req.id,
            state: EntryRequestState.APPLIED,
          });
        },
        rejectEntryRequest(req) {
          rejections.push(req);
          return create(EntryRequestSchema, {
            id: req.id,
            state: EntryRequestState.REJECTED,
            decisionMessage: req.reason,
          });
        },
      });
    });
    const client = new SpireMgmtClient({ transport });

    // When
    const got = await client.getEntryRequest('r1');
    const approved = await client.approveEntryRequest({
      id: 'r1',
      comment: 'ok',
    });
    const rejected = await client.rejectEntryRequest({
      id: 'r2',
      reason: 'too wide',
    });

    // Then
    expect(got.entryCurrent?.spiffeId).toBe('spiffe://td/a');
    expect(approved.state).toBe(EntryRequestState.APPLIED);
    expect(approvals.map(a => [a.id, a.comment])).toEqual([['r1', 'ok']]);
    expect(rejected.decisionMessage).toBe('too wide');
    expect(rejections.map(r => [r.id, r.reason])).toEqual([['r2', 'too wide']]);
  });

  it('fails an approval of a decided request with a ConflictError carrying the reason', async () => {
    // Given
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        approveEntryRequest() {
          throw new ConnectError(
            'request r1 is APPLIED, not PENDING',
            Code.FailedPrecondition,
          );
        },
      });
    });

    // When
    const error = await new SpireMgmtClient({ transport })
      .approveEntryRequest({ id: 'r1' })
      .catch(e => e);

    // Then
    expect(error).toBeInstanceOf(ConflictError);
    expect(getSpireMgmtErrorDetails(error)?.code).toBe('FAILED_PRECONDITION');
    expect(error.message).toBe('request r1 is APPLIED, not PENDING');
  });

  it('lists audit events of one target, paged', async () => {
    // Given
    const seen: ListAuditEventsRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(AuditService, {
        listAuditEvents(req) {
          seen.push(req);
          return {
            auditEvents: [
              create(AuditEventSchema, { id: 7n, action: 'entry.update' }),
            ],
            nextPageToken: req.pageToken ? '' : 'p2',
          };
        },
      });
    });
    const client = new SpireMgmtClient({ transport });

    // When
    const first = await client.listAuditEvents({
      targetType: 'entry',
      targetId: 'e1',
      pageSize: 1,
    });
    const second = await client.listAuditEvents({
      targetType: 'entry',
      targetId: 'e1',
      pageSize: 1,
      pageToken: first.nextPageToken,
    });

    // Then
    expect(first.auditEvents.map(e => e.action)).toEqual(['entry.update']);
    expect(second.nextPageToken).toBe('');
    expect(seen.map(r => [r.targetType, r.targetId, r.pageToken])).toEqual([
      ['entry', 'e1', ''],
      ['entry', 'e1', 'p2'],
    ]);
  });

  it('reopens a broken request update stream from the last cursor it saw', async () => {
    // Given a stream that breaks after one update, and then serves the next
    const calls: StreamEntryRequestUpdatesRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        async *streamEntryRequestUpdates(req) {
          calls.push(req);
          if (calls.length === 1) {
            yield requestUpdate('c1', 'r1');
            throw new ConnectError('replica going away', Code.Unavailable);
          }
          yield requestUpdate('c2', 'r2');
          await new Promise(() => {});
        },
      });
    });
    const client = new SpireMgmtClient({ transport, streamRetryDelayMs: 1 });
    const controller = new AbortController();

    // When
    const updates = await collect(
      client.streamEntryRequestUpdates({
        cursor: 'c0',
        signal: controller.signal,
      }),
      2,
      controller,
    );

    // Then
    expect(updates.map(u => u.entryRequest?.id)).toEqual(['r1', 'r2']);
    expect(calls.map(c => c.cursor)).toEqual(['c0', 'c1']);
  });

  it('ends the request update stream with the mapped error when the cursor expired', async () => {
    // Given
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        // eslint-disable-next-line require-yield
        async *streamEntryRequestUpdates() {
          throw new ConnectError('cursor expired', Code.OutOfRange);
        },
      });
    });
    const client = new SpireMgmtClient({ transport, streamRetryDelayMs: 1 });

    // When
    const error = await collect(
      client.streamEntryRequestUpdates({
        cursor: 'old',
        signal: new AbortController().signal,
      }),
      1,
      new AbortController(),
    ).catch(e => e);

    // Then
    expect(getSpireMgmtErrorDetails(error)?.code).toBe('OUT_OF_RANGE');
  });
});
