import {
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from '@internal/spire-mgmt-test-stack';
import { NotAllowedError } from '@backstage/errors';
import { create } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import {
  ApprovalMode,
  createSpireMgmtClients,
  createSpireMgmtTransport,
  Entry,
  EntryRequestState,
  EntryRequestUpdate,
  getSpireMgmtErrorDetails,
  SiteApprovalPolicySchema,
  SiteStatus,
  SpireMgmtClients,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { describeDecisionError } from '../components/ApproverQueue/decisionMessages';
import { auditEventDiff } from '../components/AuditHistory/auditEventDiff';
import { SpireMgmtClient } from './SpireMgmtClient';

// The real stack (packaged backend + embedded PostgreSQL + Envoy) needs the backend packaged by Maven first:
// these tests run when SPIRE_MGMT_TEST_STACK=1, as .ci/run sets it. Calls get a minute on a busy machine.
const CALL_TIMEOUT_MS = 60_000;

const describeWithStack =
  process.env.SPIRE_MGMT_TEST_STACK === '1' ? describe : describe.skip;

/** Waits (checking every 100 ms) until `check` holds, at most `timeoutMs`; false when it never did. */
async function within(
  timeoutMs: number,
  check: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return true;
}

describeWithStack(
  'SpireMgmtClient against the real backend through a real Envoy',
  () => {
    let stack: SpireMgmtTestStack;
    let clients: SpireMgmtClients;
    let client: SpireMgmtClient;

    beforeAll(async () => {
      stack = await startSpireMgmtTestStack();
      const transport = createSpireMgmtTransport({
        baseUrl: stack.envoyUrl,
        token: stack.adminToken,
      });
      clients = createSpireMgmtClients(transport);
      client = new SpireMgmtClient({ transport });
    }, 240_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    async function entryOnNewSite(): Promise<Entry> {
      const site = await clients.sites.createSite({
        site: {
          name: `queue-${randomUUID().slice(0, 8)}`,
          region: 'region-queue',
          trustDomain: 'prod.test',
          spireServerAddr: 'unix:///run/spire/server.sock',
          status: SiteStatus.ACTIVE,
        },
      });
      return clients.entries.createEntry({
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
        await clients.entries.updateEntry({
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
        const policy = await clients.entryRequests.getApprovalPolicy({});
        await clients.entryRequests.updateApprovalPolicy({
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
          const submit = await clients.entryRequests.submitEntryRequest({
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
          await within(3_000, () => seen() !== undefined);
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
        expect(describeDecisionError(refusal).title).toBe(
          'This is your own request',
        );
        abort.abort();
        await reading;
      },
      CALL_TIMEOUT_MS,
    );
  },
);
