/**
 * @jest-environment node
 */
// A Node test of the client against the real stack: the harness is a node-library, used by tests only.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  eventually,
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from '@internal/spire-mgmt-test-stack';
import { InputError, NotAllowedError } from '@backstage/errors';
import { create } from '@bufbuild/protobuf';
import {
  ApprovalMode,
  createSpireMgmtClients,
  createSpireMgmtTransport,
  Entry,
  EntryRequestState,
  EntryRequestUpdate,
  getSpireMgmtErrorDetails,
  Site,
  SiteApprovalPolicySchema,
  SiteStatus,
  SpireMgmtClients,
  SyncState,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { randomUUID } from 'node:crypto';
import { describeDecisionError } from '../components/ApproverQueue/decisionMessages';
import { ENTRY_REQUESTS } from '../components/shared';
import { auditEventDiff } from '../components/AuditHistory/auditEventDiff';
import { filterOfField } from '../components/EntriesPage/entriesQuery';
import { SpireMgmtEntryFilter } from './SpireMgmtApi';
import { SpireMgmtClient } from './SpireMgmtClient';

// The real stack (packaged backend + embedded PostgreSQL + Envoy) needs the backend packaged by Maven first:
// these tests run when SPIRE_MGMT_TEST_STACK=1, as .ci/run sets it. Calls get a minute: the first ones warm up
// a backend that may share two cores with other work.
const CALL_TIMEOUT_MS = 60_000;

const describeWithStack =
  process.env.SPIRE_MGMT_TEST_STACK === '1' ? describe : describe.skip;

describeWithStack(
  'SpireMgmtClient against the real backend through a real Envoy',
  () => {
    let stack: SpireMgmtTestStack;
    let admin: SpireMgmtClients;
    let client: SpireMgmtClient;

    beforeAll(async () => {
      stack = await startSpireMgmtTestStack();
      const transport = createSpireMgmtTransport({
        baseUrl: stack.envoyUrl,
        token: stack.adminToken,
      });
      admin = createSpireMgmtClients(transport);
      client = new SpireMgmtClient({ transport });
    }, 240_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    function createSite(): Promise<Site> {
      return admin.sites.createSite({
        site: {
          name: `pages-${randomUUID().slice(0, 8)}`,
          trustDomain: 'prod.test',
          status: SiteStatus.ACTIVE,
        },
      });
    }

    it(
      'lists entries by site, prefix and sync state, 50 a page, following the page token',
      async () => {
        // Given 51 entries under one prefix at a new site (no agent: they stay PENDING)
        const site = await createSite();
        const prefix = `spiffe://prod.test/pages-${randomUUID().slice(0, 8)}/`;
        const created = await admin.entries.batchCreateEntries({
          requests: Array.from({ length: 51 }, (_, i) => ({
            entry: {
              spiffeId: `${prefix}w${String(i).padStart(2, '0')}`,
              parentId: 'spiffe://prod.test/node/pages',
              selectors: [{ type: 'unix', value: `uid:${1000 + i}` }],
              siteIds: [site.id],
            },
          })),
        });
        expect(created.results.every(r => r.status?.code === 0)).toBe(true);
        const filter: SpireMgmtEntryFilter = {
          siteId: site.id,
          spiffeIdPrefix: prefix,
          syncState: SyncState.PENDING,
        };

        // When
        const first = await client.listEntries(filter);
        const second = await client.listEntries(filter, first.nextPageToken);
        const synced = await client.listEntries({
          ...filter,
          syncState: SyncState.SYNCED,
        });

        // Then
        expect(first.entries).toHaveLength(50);
        expect(first.nextPageToken).not.toBe('');
        expect(second.entries.map(e => e.spiffeId)).toEqual([`${prefix}w50`]);
        expect(second.nextPageToken).toBe('');
        expect(first.entries[0].siteStatuses.map(s => s.syncState)).toEqual([
          SyncState.PENDING,
        ]);
        expect(synced.entries).toEqual([]);
      },
      CALL_TIMEOUT_MS,
    );

    it(
      'names the request field of each bad filter, which the entries page maps to that filter',
      async () => {
        // Given
        const bad: Array<[SpireMgmtEntryFilter | string, string]> = [
          [{ spiffeIdPrefix: 'prod.test/ns' }, 'prefix'],
          [{ selectors: [{ type: 'k8s ns', value: 'payments' }] }, 'selector'],
          [{ siteId: 'not-a-uuid' }, 'site'],
          [{ syncState: SyncState.REMOVED }, 'state'],
          ['not-a-page-token', 'page'],
        ];

        for (const [filter, expected] of bad) {
          // When
          const error = await (typeof filter === 'string'
            ? client.listEntries({}, filter)
            : client.listEntries(filter)
          ).catch(e => e);

          // Then
          expect(error).toBeInstanceOf(InputError);
          const details = getSpireMgmtErrorDetails(error);
          expect(details?.code).toBe('INVALID_ARGUMENT');
          expect({ filter, at: filterOfField(details?.field) }).toEqual({
            filter,
            at: expected,
          });
        }
      },
      CALL_TIMEOUT_MS,
    );

    it(
      "lists every site and reads a new site's health",
      async () => {
        // Given
        const site = await createSite();

        // When
        const sites = await client.listSites();
        const health = await client.getSiteHealth(site.id);

        // Then
        expect(sites.map(s => s.id)).toContain(site.id);
        expect(health.siteId).toBe(site.id);
        expect(health.status).toBe(SiteStatus.ACTIVE);
        expect(health.entriesTotal).toBe(0n);
        expect(health.failedCount).toBe(0n);
        expect(health.agent).toBeUndefined();
        expect(health.namespaceScoped).toBe(false);
      },
      CALL_TIMEOUT_MS,
    );

    async function entryOnNewSite(): Promise<Entry> {
      const site = await admin.sites.createSite({
        site: {
          name: `queue-${randomUUID().slice(0, 8)}`,
          region: 'region-queue',
          trustDomain: 'prod.test',
          spireServerAddr: 'unix:///run/spire/server.sock',
          status: SiteStatus.ACTIVE,
        },
      });
      return admin.entries.createEntry({
        entry: {
          spiffeId: `spiffe://prod.test/queue/${randomUUID()}`,
          parentId: 'spiffe://prod.test/node/queue',
          selectors: [{ type: 'k8s:ns', value: 'payments' }],
          ttl: 3600,
          siteIds: [site.id],
        },
      });
    }

    it(
      "shows an entry's recorded create and update as field diffs",
      async () => {
        // Given an entry created, then updated with a longer TTL and another selector
        const entry = await entryOnNewSite();
        await admin.entries.updateEntry({
          entry: {
            id: entry.id,
            revision: entry.revision,
            ttl: 7200,
            selectors: [
              { type: 'k8s:ns', value: 'payments' },
              { type: 'k8s:sa', value: 'api' },
            ],
          },
          updateMask: { paths: ['ttl', 'selectors'] },
        });

        // When
        const page = await client.listAuditEvents({
          targetType: 'entry',
          targetId: entry.id,
        });

        // Then the events the service wrote (its entry JSON) read as entries, newest first
        const byAction = new Map(page.auditEvents.map(e => [e.action, e]));
        expect(page.auditEvents[0].action).toBe('entry.update');
        const update = auditEventDiff(byAction.get('entry.update')!);
        expect(
          update.map(d => ({
            field: d.field,
            removed: d.before.filter(v => v.changed).map(v => v.text),
            added: d.after.filter(v => v.changed).map(v => v.text),
          })),
        ).toEqual([
          { field: 'selectors', removed: [], added: ['k8s:sa:api'] },
          { field: 'ttl', removed: ['3600 s (1 h)'], added: ['7200 s (2 h)'] },
        ]);
        const created = auditEventDiff(byAction.get('entry.create')!);
        expect(created.find(d => d.field === 'spiffe_id')?.after).toEqual([
          { text: entry.spiffeId, changed: true },
        ]);
      },
      CALL_TIMEOUT_MS,
    );

    it(
      'streams a request awaiting approval, reads it with the current entry, and refuses its self-approval',
      async () => {
        // Given every change of a new site's entries needs approval
        const entry = await entryOnNewSite();
        const policy = await admin.entryRequests.getApprovalPolicy({});
        await admin.entryRequests.updateApprovalPolicy({
          policy: {
            ...policy,
            sites: [
              ...policy.sites,
              create(SiteApprovalPolicySchema, {
                siteId: entry.siteIds[0],
                mode: ApprovalMode.ALL_CHANGES,
                approvalsRequired: 1,
              }),
            ],
          },
        });
        const abort = new AbortController();
        const updates: EntryRequestUpdate[] = [];
        const reading = (async () => {
          for await (const update of client.streamEntryRequestUpdates({
            signal: abort.signal,
          })) {
            updates.push(update);
          }
        })();

        // When the admin asks for a change. The stream sends what commits after it opened, which the client
        // cannot observe: ask again (each ask a new request) until one arrives on the stream.
        const submitted: string[] = [];
        const seen = () =>
          updates.find(u => submitted.includes(u.entryRequest?.id ?? ''))
            ?.entryRequest?.id;
        for (let attempt = 0; !seen(); attempt++) {
          expect(attempt).toBeLessThan(10);
          const submit = await admin.entryRequests.submitEntryRequest({
            change: {
              change: {
                case: 'update',
                value: {
                  entry: { id: entry.id, revision: entry.revision, ttl: 1800 },
                  updateMask: { paths: ['ttl'] },
                },
              },
            },
            justification: 'shorter certificates',
          });
          submitted.push(submit.id);
          // A bounded wait: when this request did not arrive, the next attempt submits another one.
          await eventually(
            'the request on the stream',
            () => seen() !== undefined,
            3_000,
          ).catch(() => undefined);
        }
        const requestId = seen()!;

        // Then
        const request = await client.getEntryRequest(requestId);
        expect(request.state).toBe(EntryRequestState.PENDING);
        expect(request.entryCurrent?.revision).toBe(request.baseRevision);
        expect(request.proposedEntry?.ttl).toBe(1800);
        const mine = await client.listEntryRequests({
          mine: true,
          states: [EntryRequestState.PENDING],
        });
        expect(mine.entryRequests.map(r => r.id)).toContain(requestId);
        const awaiting = await client.listEntryRequests({
          awaitingMyDecision: true,
        });
        expect(awaiting.entryRequests.map(r => r.id)).not.toContain(requestId);

        // When the requester approves its own request
        const refusal = await client
          .approveEntryRequest({ id: requestId })
          .catch(e => e);

        // Then four eyes refuses it, in words
        expect(refusal).toBeInstanceOf(NotAllowedError);
        expect(getSpireMgmtErrorDetails(refusal)?.reason).toBe('SELF_APPROVAL');
        expect(describeDecisionError(refusal, ENTRY_REQUESTS).title).toBe(
          'This is your own request',
        );
        abort.abort();
        await reading;
      },
      CALL_TIMEOUT_MS,
    );
  },
);
