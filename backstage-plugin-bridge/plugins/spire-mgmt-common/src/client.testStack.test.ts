import {
  eventually,
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from '@internal/spire-mgmt-test-stack';
import { AuthenticationError, InputError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import {
  createSpireMgmtClients,
  createSpireMgmtTransport,
  SpireMgmtClients,
} from './client';
import { getSpireMgmtErrorDetails } from './errors';
import { SyncState } from './generated/spire/mgmt/v1/entry_pb';
import { Site, SiteStatus } from './generated/spire/mgmt/v1/site_pb';
import { SyncUpdate } from './generated/spire/mgmt/v1/sync_pb';

// The real stack (packaged backend + embedded PostgreSQL + Envoy) takes a while to start and needs the backend
// packaged by Maven first: these tests run when SPIRE_MGMT_TEST_STACK=1, as .ci/run sets it.
// Calls get a minute: the first ones warm up a backend that may share two cores with other work.
const CALL_TIMEOUT_MS = 60_000;

const describeWithStack =
  process.env.SPIRE_MGMT_TEST_STACK === '1' ? describe : describe.skip;

describeWithStack(
  'the generated client against the real backend through a real Envoy',
  () => {
    let stack: SpireMgmtTestStack;
    let clients: SpireMgmtClients;

    beforeAll(async () => {
      stack = await startSpireMgmtTestStack();
      clients = createSpireMgmtClients(
        createSpireMgmtTransport({
          baseUrl: stack.envoyUrl,
          token: stack.adminToken,
        }),
      );
    }, 240_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    function createSite(): Promise<Site> {
      return clients.sites.createSite({
        site: {
          name: `bridge-${randomUUID().slice(0, 8)}`,
          region: 'region-bridge',
          trustDomain: 'prod.test',
          spireServerAddr: 'unix:///run/spire/server.sock',
          status: SiteStatus.ACTIVE,
        },
      });
    }

    it(
      'creates, reads and lists a site with unary calls',
      async () => {
        // Given
        const created = await createSite();

        // When
        const read = await clients.sites.getSite({ id: created.id });
        const listed = await clients.sites.listSites({ pageSize: 1000 });

        // Then
        expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(read.name).toBe(created.name);
        expect(read.trustDomain).toBe('prod.test');
        expect(read.status).toBe(SiteStatus.ACTIVE);
        expect(listed.sites.map(s => s.id)).toContain(created.id);
      },
      CALL_TIMEOUT_MS,
    );

    it(
      "receives an entry's update on an open server stream",
      async () => {
        // Given: a site and a StreamSyncUpdates stream open on the backend
        const site = await createSite();
        const abort = new AbortController();
        const updates: SyncUpdate[] = [];
        const reading = (async () => {
          for await (const update of clients.sync.streamSyncUpdates(
            { siteIds: [site.id] },
            { signal: abort.signal },
          )) {
            updates.push(update);
          }
        })().catch((e: unknown) => e);
        await eventually(
          'the stream open on the backend',
          async () => {
            const metrics = await fetch(
              `http://127.0.0.1:${stack.backendPort}/q/metrics`,
            );
            return (await metrics.text()).includes('sync_update_streams 1.0');
          },
          15_000,
        );

        // When: an entry is created on the site
        const entry = await clients.entries.createEntry({
          entry: {
            spiffeId: `spiffe://prod.test/bridge/${randomUUID()}`,
            parentId: 'spiffe://prod.test/node/bridge',
            selectors: [{ type: 'unix', value: 'uid:1000' }],
            siteIds: [site.id],
          },
        });

        // Then: its update arrives on the stream
        await eventually(
          'the update',
          () => updates.some(u => u.entryId === entry.id),
          15_000,
        );
        const update = updates.find(u => u.entryId === entry.id)!;
        expect(update.siteId).toBe(site.id);
        expect(update.syncState).toBe(SyncState.PENDING);
        abort.abort();
        await reading;
      },
      CALL_TIMEOUT_MS,
    );

    it(
      "maps the service's error with its reason and field",
      async () => {
        // When
        const failure = await clients.sites.getSite({ id: 'not-a-uuid' }).then(
          () => undefined,
          (e: unknown) => e,
        );

        // Then
        expect(failure).toBeInstanceOf(InputError);
        expect(getSpireMgmtErrorDetails(failure)).toMatchObject({
          code: 'INVALID_ARGUMENT',
          grpcCode: 3,
          reason: 'INVALID_ID',
          domain: 'spire-mgmt.io',
          field: 'id',
        });
      },
      CALL_TIMEOUT_MS,
    );

    it(
      'maps a call without a token to an AuthenticationError',
      async () => {
        // Given
        const anonymous = createSpireMgmtClients(
          createSpireMgmtTransport({ baseUrl: stack.envoyUrl }),
        );

        // When
        const failure = await anonymous.sites.listSites({}).then(
          () => undefined,
          (e: unknown) => e,
        );

        // Then
        expect(failure).toBeInstanceOf(AuthenticationError);
        expect(getSpireMgmtErrorDetails(failure)).toMatchObject({
          code: 'UNAUTHENTICATED',
          reason: 'UNAUTHENTICATED',
        });
      },
      CALL_TIMEOUT_MS,
    );
  },
);
