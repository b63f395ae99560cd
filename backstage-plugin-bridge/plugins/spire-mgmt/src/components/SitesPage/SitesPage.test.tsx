import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import {
  Site,
  SiteAgentStatusSchema,
  SiteHealth,
  SiteHealthSchema,
  SiteSchema,
  SiteStatus,
  SiteTier,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SpireMgmtApi, spireMgmtApiRef } from '../../api';
import { rootRouteRef } from '../../routes';
import { serviceError } from '../../__testUtils__/serviceError';
import { SitesPage } from './SitesPage';

const euWest = create(SiteSchema, {
  id: 's1',
  name: 'eu-west',
  region: 'Frankfurt',
  trustDomain: 'example.org',
  status: SiteStatus.ACTIVE,
  tier: SiteTier.STANDALONE,
});
const usEast = create(SiteSchema, {
  id: 's2',
  name: 'us-east',
  trustDomain: 'example.org',
  status: SiteStatus.MAINTENANCE,
});

const healthy = create(SiteHealthSchema, {
  siteId: 's1',
  status: SiteStatus.ACTIVE,
  entriesTotal: 12n,
  pendingCount: 2n,
  syncedCount: 7n,
  failedCount: 3n,
  deletingCount: 0n,
  oldestPendingTime: timestampFromMs(Date.UTC(2026, 11, 3, 19, 0, 0)),
  lastSyncTime: timestampFromMs(Date.UTC(2026, 11, 3, 19, 2, 0)),
  agent: create(SiteAgentStatusSchema, {
    agentId: 'agent-7',
    agentVersion: '1.4.0',
    connected: true,
    lastPollTime: timestampFromMs(Date.UTC(2026, 11, 3, 19, 2, 5)),
    spireReachable: true,
    unmanagedCount: 4n,
    lastFullReconcileTime: timestampFromMs(Date.UTC(2026, 11, 3, 18, 55, 0)),
    lag: create(DurationSchema, { seconds: 125n }),
  }),
});

async function renderPage(api: Partial<SpireMgmtApi>) {
  await renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <SitesPage />
    </TestApiProvider>,
    { mountedRoutes: { '/spire-mgmt': rootRouteRef } },
  );
}

function mockApi(
  list: () => Promise<Site[]>,
  health: Record<string, () => Promise<SiteHealth>>,
): Partial<SpireMgmtApi> {
  return {
    listSites: list,
    getSiteHealth: siteId => health[siteId](),
  };
}

describe('SitesPage', () => {
  it("shows each site's agent, lag, entries, failing pairs and unmanaged entries", async () => {
    // When
    await renderPage(
      mockApi(async () => [euWest], { s1: async () => healthy }),
    );

    // Then
    const row = await screen.findByTestId('site-s1');
    await within(row).findByText('Connected');
    expect(row).toHaveTextContent('eu-west');
    expect(row).toHaveTextContent('Frankfurt · example.org · standalone');
    expect(row).toHaveTextContent('active');
    expect(row).toHaveTextContent('Connected (agent-7, 1.4.0)');
    expect(row).toHaveTextContent('Last poll: 2026-12-03 19:02:05 UTC');
    expect(row).toHaveTextContent('SPIRE server reachable');
    expect(row).toHaveTextContent('2 min 5 s');
    expect(row).toHaveTextContent(
      'Oldest waiting change since 2026-12-03 19:00:00 UTC',
    );
    expect(row).toHaveTextContent('12 in all');
    expect(row).toHaveTextContent('7 synced, 2 pending, 0 deleting');
    expect(row).toHaveTextContent(
      'Last full reconcile: 2026-12-03 18:55:00 UTC',
    );
    const unmanaged = within(row).getAllByRole('cell').at(-1)!;
    expect(unmanaged).toHaveTextContent(/^4/);
    const failing = within(row).getByRole('link', {
      name: '3 failing at eu-west: show these entries',
    });
    expect(failing).toHaveAttribute(
      'href',
      '/spire-mgmt/entries?site=s1&state=failed',
    );
  });

  it('says when an agent is not connected or never came, and when SPIRE is unreachable', async () => {
    // Given
    const disconnected = create(SiteHealthSchema, {
      ...healthy,
      failedCount: 0n,
      agent: create(SiteAgentStatusSchema, {
        agentId: 'agent-7',
        connected: false,
        lastPollTime: timestampFromMs(Date.UTC(2026, 11, 3, 17, 0, 0)),
        spireReachable: false,
        spireError: 'connection refused',
      }),
    });
    const noAgent = create(SiteHealthSchema, { siteId: 's2' });

    // When
    await renderPage(
      mockApi(async () => [euWest, usEast], {
        s1: async () => disconnected,
        s2: async () => noAgent,
      }),
    );

    // Then
    const first = await screen.findByTestId('site-s1');
    await within(first).findByText('Not connected');
    expect(first).toHaveTextContent('Last poll: 2026-12-03 17:00:00 UTC');
    expect(first).toHaveTextContent(
      'SPIRE server unreachable: connection refused',
    );
    expect(within(first).queryByRole('link')).not.toBeInTheDocument();
    const second = screen.getByTestId('site-s2');
    expect(second).toHaveTextContent('maintenance');
    await within(second).findByText('No agent has taken the site yet');
    expect(second).toHaveTextContent('Last sync: never');
  });

  it('leaves the unmanaged count out for a role that sees its namespaces only', async () => {
    // Given
    const scoped = create(SiteHealthSchema, {
      ...healthy,
      namespaceScoped: true,
    });

    // When
    await renderPage(mockApi(async () => [euWest], { s1: async () => scoped }));

    // Then
    const row = await screen.findByTestId('site-s1');
    expect(
      await within(row).findByText(
        'Not shown to your role (it sees its namespaces only)',
      ),
    ).toBeInTheDocument();
  });

  it("shows a site's health error on its row and the other sites' health", async () => {
    // When
    await renderPage(
      mockApi(async () => [euWest, usEast], {
        s1: async () => {
          throw serviceError(Code.Unavailable, 'database unavailable', {
            reason: 'DATABASE_UNAVAILABLE',
          });
        },
        s2: async () => create(SiteHealthSchema, { ...healthy, siteId: 's2' }),
      }),
    );

    // Then
    const first = await screen.findByTestId('site-s1');
    expect(
      await within(first).findByText(/The site's health could not be read/),
    ).toHaveTextContent('spire-mgmt cannot be reached. database unavailable.');
    await within(screen.getByTestId('site-s2')).findByText('Connected');
  });

  it('explains a refusal for lack of a role, and tries again', async () => {
    // Given
    let refuse = true;
    const sites = jest.fn(async () => {
      if (refuse) {
        throw serviceError(Code.PermissionDenied, 'caller has no role', {
          reason: 'ROLE_NOT_ALLOWED',
        });
      }
      return [euWest];
    });
    await renderPage(mockApi(sites, { s1: async () => healthy }));

    // Then
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );
    expect(alert).toHaveTextContent(
      'spire-mgmt refused the call: caller has no role.',
    );

    // When
    refuse = false;
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Try again' }));

    // Then
    expect(await screen.findByTestId('site-s1')).toBeInTheDocument();
  });

  it('says when no site is registered', async () => {
    // When
    await renderPage(mockApi(async () => [], {}));

    // Then
    expect(
      await screen.findByText('No site is registered'),
    ).toBeInTheDocument();
  });
});
