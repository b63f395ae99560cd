import {
  createSpireMgmtClients,
  createSpireMgmtTransport,
  SpireMgmtClients,
  SyncState,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './eventually';
import { LocalSites, startLocalSites } from './spire';
import { SpireMgmtTestStack, startSpireMgmtTestStack } from './testStack';

// Real processes: the packaged backend and site agent (Maven first), Envoy and spire-server (built once per
// machine). These tests run when SPIRE_MGMT_TEST_STACK=1, as .ci/run sets it.
const describeWithStack =
  process.env.SPIRE_MGMT_TEST_STACK === '1' ? describe : describe.skip;

describeWithStack('local sites: real SPIRE servers and site agents', () => {
  let stack: SpireMgmtTestStack;
  let sites: LocalSites;
  let clients: SpireMgmtClients;

  beforeAll(async () => {
    stack = await startSpireMgmtTestStack();
    clients = createSpireMgmtClients(
      createSpireMgmtTransport({
        baseUrl: stack.envoyUrl,
        token: stack.adminToken,
      }),
    );
    sites = await startLocalSites({
      clients,
      backendPort: stack.backendPort,
      dir: mkdtempSync(join(tmpdir(), 'sites-')),
      sites: [
        { name: 'east', region: 'east', trustDomain: 'example.org' },
        { name: 'west', region: 'west', trustDomain: 'example.org' },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await sites?.stop();
    await stack?.stop();
  }, 120_000);

  it('bringsAnEntryToSyncedAtBothSpireServers', async () => {
    // Given an entry assigned to both sites
    const spiffeId = 'spiffe://example.org/ns/payments/sa/api';
    const entry = await clients.entries.createEntry({
      entry: {
        spiffeId,
        parentId: 'spiffe://example.org/spire/agent/k8s_psat/cluster',
        selectors: [{ type: 'k8s:ns', value: 'payments' }],
        siteIds: sites.sites.map(s => s.id),
      },
    });

    // When the site agents have applied it
    const synced = await until('SYNCED at both sites', 90_000, async () => {
      const current = await clients.entries.getEntry({ id: entry.id });
      return current.siteStatuses.length === 2 &&
        current.siteStatuses.every(s => s.syncState === SyncState.SYNCED)
        ? current
        : undefined;
    });

    // Then each SPIRE server holds it under the id its agent chose, and the service says so
    expect(synced.siteStatuses.map(s => s.siteId).sort()).toEqual(
      sites.sites.map(s => s.id).sort(),
    );
    for (const site of sites.sites) {
      const held = (await site.spire.entries()).filter(
        e =>
          `spiffe://${e.spiffe_id.trust_domain}${e.spiffe_id.path}` ===
          spiffeId,
      );
      expect(held).toHaveLength(1);
      expect(held[0].id).toBe(
        synced.siteStatuses.find(s => s.siteId === site.id)!.spireEntryId,
      );
    }
  });

  it('reportsAPartThatEnds', async () => {
    // Given a running SPIRE server
    const west = sites.sites[1];

    // When it stops
    await west.spire.stop();

    // Then the sites' exit watch names it
    await expect(sites.exited).resolves.toContain(
      'spire-server (example.org) exited',
    );
  });
});
