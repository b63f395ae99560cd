/**
 * @jest-environment node
 */
// A Node test of the client against the real stack: the harness is a node-library, used by tests only.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from '@internal/spire-mgmt-test-stack';
import { InputError } from '@backstage/errors';
import {
  createSpireMgmtClients,
  createSpireMgmtTransport,
  getSpireMgmtErrorDetails,
  Site,
  SiteStatus,
  SpireMgmtClients,
  SyncState,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { randomUUID } from 'node:crypto';
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
  },
);
