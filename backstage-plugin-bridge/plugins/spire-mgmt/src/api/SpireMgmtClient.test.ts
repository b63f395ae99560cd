/**
 * @jest-environment node
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ApprovalMode,
  ApproveEntryRequestRequest,
  AuditEventSchema,
  AuditService,
  EntryRequestProblemSchema,
  EntryRequestSchema,
  EntryRequestService,
  EntryRequestState,
  EntryRequestUpdate,
  EntryRequestUpdateSchema,
  EntrySchema,
  PreviewEntryRequestRequest,
  RejectEntryRequestRequest,
  RequestedChangeSchema,
  SiteHealthSchema,
  SiteSchema,
  SiteService,
  StreamEntryRequestUpdatesRequest,
  SubmitEntryRequestRequest,
  getSpireMgmtErrorDetails,
  ListAuditEventsRequest,
  ListEntriesRequest,
  ListSitesRequest,
  ListEntryRequestsRequest,
  SelectorMatch,
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

function requestUpdate(cursor: string): EntryRequestUpdate {
  return create(EntryRequestUpdateSchema, {
    entryRequest: create(EntryRequestSchema, { id: 'r1' }),
    event: 'approve',
    cursor,
  });
}

const createChange = create(RequestedChangeSchema, {
  change: {
    case: 'create',
    value: create(EntrySchema, { spiffeId: 'spiffe://td/ns/pay/api' }),
  },
});

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

  it('reopens a broken entry request stream from the last cursor it saw, starting from the given one', async () => {
    // Given a stream that breaks after one update, and then serves the rest
    const calls: StreamEntryRequestUpdatesRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        async *streamEntryRequestUpdates(req) {
          calls.push(req);
          if (calls.length === 1) {
            yield requestUpdate('c8');
            throw new ConnectError('replica going away', Code.Unavailable);
          }
          yield requestUpdate('c9');
          await new Promise(() => {});
        },
      });
    });
    const client = new SpireMgmtClient({ transport, streamRetryDelayMs: 1 });
    const controller = new AbortController();

    // When
    const updates = await collect(
      client.streamEntryRequestUpdates({
        cursor: 'c7',
        signal: controller.signal,
      }),
      2,
      controller,
    );

    // Then
    expect(updates.map(u => u.cursor)).toEqual(['c8', 'c9']);
    expect(calls.map(c => c.cursor)).toEqual(['c7', 'c8']);
  });

  it('ends the entry request stream with the mapped error when its cursor expired', async () => {
    // Given
    let calls = 0;
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        // eslint-disable-next-line require-yield
        async *streamEntryRequestUpdates() {
          calls++;
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
    expect(calls).toBe(1);
  });

  it('previews a draft and returns its problems', async () => {
    // Given
    let seen: PreviewEntryRequestRequest | undefined;
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        previewEntryRequest(req) {
          seen = req;
          return {
            valid: false,
            problems: [
              create(EntryRequestProblemSchema, {
                field: 'change.create.parent_id',
                reason: 'INVALID_SPIFFE_ID',
                message: 'parent ID is required',
              }),
            ],
            approvalRequired: true,
            approvalReasons: ['rule: DNS names need approval'],
          };
        },
      });
    });

    // When
    const preview = await new SpireMgmtClient({
      transport,
    }).previewEntryRequest({ change: createChange, justification: 'why' });

    // Then
    expect(seen?.change?.change.case).toBe('create');
    expect(seen?.justification).toBe('why');
    expect(preview.valid).toBe(false);
    expect(preview.problems.map(p => p.field)).toEqual([
      'change.create.parent_id',
    ]);
    expect(preview.approvalReasons).toEqual(['rule: DNS names need approval']);
  });

  it('submits a draft with its idempotency key, and maps a refusal to an InputError naming the field', async () => {
    // Given a service that takes the first submit and refuses the second
    const seen: SubmitEntryRequestRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        submitEntryRequest(req) {
          seen.push(req);
          if (seen.length > 1) {
            throw new ConnectError(
              'justification: is required',
              Code.InvalidArgument,
            );
          }
          return create(EntryRequestSchema, {
            id: 'r1',
            state: EntryRequestState.PENDING,
          });
        },
      });
    });
    const client = new SpireMgmtClient({ transport });

    // When
    const request = await client.submitEntryRequest({
      change: createChange,
      justification: 'why',
      requestId: 'k1',
    });
    const error = await client
      .submitEntryRequest({ change: createChange, justification: '' })
      .catch(e => e);

    // Then
    expect(request.id).toBe('r1');
    expect(seen.map(r => r.requestId)).toEqual(['k1', '']);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('justification: is required');
  });

  it('reads a request, an entry and the approval policy', async () => {
    // Given
    const transport = createRouterTransport(({ service }) => {
      service(EntryRequestService, {
        getEntryRequest: req => create(EntryRequestSchema, { id: req.id }),
        getApprovalPolicy: () => ({
          revision: 2n,
          sites: [{ siteId: 's1', mode: ApprovalMode.ALL_CHANGES }],
        }),
      });
      service(WorkloadEntryService, {
        getEntry: req => entry(req.id, 'spiffe://td/a'),
      });
    });
    const client = new SpireMgmtClient({ transport });

    // When
    const [request, read, policy] = await Promise.all([
      client.getEntryRequest('r7'),
      client.getEntry('e7'),
      client.getApprovalPolicy(),
    ]);

    // Then
    expect(request.id).toBe('r7');
    expect(read.id).toBe('e7');
    expect(policy.sites.map(s => s.mode)).toEqual([ApprovalMode.ALL_CHANGES]);
  });

  it('lists one page of entries with every filter and the page token in the request', async () => {
    // Given
    let seen: ListEntriesRequest | undefined;
    const transport = createRouterTransport(({ service }) => {
      service(WorkloadEntryService, {
        listEntries(req) {
          seen = req;
          return {
            entries: [entry('e9', 'spiffe://td/ns/pay/api')],
            nextPageToken: 'page-3',
          };
        },
      });
    });

    // When
    const page = await new SpireMgmtClient({ transport }).listEntries(
      {
        siteId: 'site-a',
        selectors: [{ type: 'k8s', value: 'ns:pay' }],
        spiffeIdPrefix: 'spiffe://td/ns/',
        syncState: SyncState.FAILED,
      },
      'page-2',
    );

    // Then
    expect(page.entries.map(e => e.id)).toEqual(['e9']);
    expect(page.nextPageToken).toBe('page-3');
    expect(seen?.pageToken).toBe('page-2');
    expect(seen?.pageSize).toBe(50);
    expect(seen?.siteId).toBe('site-a');
    expect(seen?.spiffeIdPrefix).toBe('spiffe://td/ns/');
    expect(seen?.syncState).toBe(SyncState.FAILED);
    expect(
      seen?.selectors.map(s => ({ type: s.type, value: s.value })),
    ).toEqual([{ type: 'k8s', value: 'ns:pay' }]);
    expect(seen?.selectorMatch).toBe(SelectorMatch.SUPERSET);
  });

  it('lists the first page of all entries without filters', async () => {
    // Given
    let seen: ListEntriesRequest | undefined;
    const transport = createRouterTransport(({ service }) => {
      service(WorkloadEntryService, {
        listEntries(req) {
          seen = req;
          return { entries: [] };
        },
      });
    });

    // When
    const page = await new SpireMgmtClient({ transport }).listEntries({});

    // Then
    expect(page.nextPageToken).toBe('');
    expect(seen?.pageToken).toBe('');
    expect(seen?.siteId).toBe('');
    expect(seen?.selectors).toEqual([]);
    expect(seen?.spiffeIdPrefix).toBe('');
    expect(seen?.syncState).toBe(SyncState.UNSPECIFIED);
  });

  it('fails a refused entries filter with an InputError', async () => {
    // Given
    const transport = createRouterTransport(({ service }) => {
      service(WorkloadEntryService, {
        listEntries() {
          throw new ConnectError(
            "must start with 'spiffe://'",
            Code.InvalidArgument,
          );
        },
      });
    });

    // When
    const error = await new SpireMgmtClient({ transport })
      .listEntries({ spiffeIdPrefix: 'example.org' })
      .catch(e => e);

    // Then
    expect(error).toBeInstanceOf(InputError);
    expect(getSpireMgmtErrorDetails(error)?.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe("must start with 'spiffe://'");
  });

  it('lists every site, following the page tokens', async () => {
    // Given
    const requests: ListSitesRequest[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(SiteService, {
        listSites(req) {
          requests.push(req);
          return req.pageToken === ''
            ? {
                sites: [create(SiteSchema, { id: 's1', name: 'eu-west' })],
                nextPageToken: 'next',
              }
            : { sites: [create(SiteSchema, { id: 's2', name: 'us-east' })] };
        },
      });
    });

    // When
    const sites = await new SpireMgmtClient({ transport }).listSites();

    // Then
    expect(sites.map(s => s.name)).toEqual(['eu-west', 'us-east']);
    expect(requests.map(r => r.pageToken)).toEqual(['', 'next']);
    expect(requests.map(r => r.pageSize)).toEqual([1000, 1000]);
  });

  it("reads a site's health", async () => {
    // Given
    const transport = createRouterTransport(({ service }) => {
      service(SiteService, {
        getSiteHealth(req) {
          return create(SiteHealthSchema, {
            siteId: req.siteId,
            failedCount: 3n,
          });
        },
      });
    });

    // When
    const health = await new SpireMgmtClient({ transport }).getSiteHealth('s1');

    // Then
    expect(health.siteId).toBe('s1');
    expect(health.failedCount).toBe(3n);
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
});
