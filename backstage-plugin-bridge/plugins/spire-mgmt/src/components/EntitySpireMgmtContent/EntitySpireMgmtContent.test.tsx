import { Entity } from '@backstage/catalog-model';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  Entry,
  EntryRequest,
  EntryRequestKind,
  EntryRequestSchema,
  EntryRequestState,
  EntrySchema,
  EntrySiteStatusSchema,
  SelectorSchema,
  SyncState,
  SyncUpdate,
  SyncUpdateSchema,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  SpireMgmtApi,
  SpireMgmtComponentScope,
  spireMgmtApiRef,
  SpireMgmtSyncUpdatesOptions,
} from '../../api';
import { rootRouteRef } from '../../routes';
import { PushStream } from '../../__testUtils__/PushStream';
import { EntitySpireMgmtContent } from './EntitySpireMgmtContent';

/**
 * A mock of the spire-mgmt API speaking the generated message types: entries and requests as given, and a
 * sync stream the test pushes updates into.
 */
class MockSpireMgmtApi implements Partial<SpireMgmtApi> {
  scopes: SpireMgmtComponentScope[] = [];
  private readonly sync = new PushStream<
    SyncUpdate,
    SpireMgmtSyncUpdatesOptions
  >();
  readonly streams = this.sync.opened;
  readonly streamSyncUpdates = (options: SpireMgmtSyncUpdatesOptions) =>
    this.sync.iterate(options);

  constructor(
    private readonly entries: () => Promise<Entry[]>,
    private readonly pending: Record<string, EntryRequest[]> = {},
  ) {}

  listComponentEntries(scope: SpireMgmtComponentScope): Promise<Entry[]> {
    this.scopes.push(scope);
    return this.entries();
  }

  async listPendingEntryRequests(entryId: string): Promise<EntryRequest[]> {
    return this.pending[entryId] ?? [];
  }

  sendUpdate(update: SyncUpdate) {
    return this.sync.push(update);
  }

  failStream(error: unknown) {
    return this.sync.fail(error);
  }
}

const annotated: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments',
    annotations: {
      'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments',
      'spire-mgmt.io/kubernetes-namespaces': 'payments',
    },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

const apiEntry = create(EntrySchema, {
  id: 'e1',
  spiffeId: 'spiffe://example.org/ns/payments/api',
  revision: 2n,
  selectors: [
    create(SelectorSchema, { type: 'k8s:ns', value: 'payments' }),
    create(SelectorSchema, { type: 'k8s:sa', value: 'api' }),
  ],
  siteStatuses: [
    create(EntrySiteStatusSchema, {
      siteId: 's1',
      siteName: 'eu-west',
      syncState: SyncState.PENDING,
    }),
  ],
});

const pendingChange = create(EntryRequestSchema, {
  id: 'r1',
  entryId: 'e1',
  kind: EntryRequestKind.UPDATE,
  state: EntryRequestState.PENDING,
  requesterPerson: 'user:default/alice',
  approvalsRequired: 2,
  justification: 'add the batch service account',
});

async function renderTab(api: MockSpireMgmtApi, entity: Entity = annotated) {
  return renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntitySpireMgmtContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('EntitySpireMgmtContent', () => {
  it('shows the component entries with selectors, sites and pending requests', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry], {
      e1: [pendingChange],
    });

    // When
    await renderTab(api);

    // Then
    expect(
      await screen.findByText('spiffe://example.org/ns/payments/api'),
    ).toBeInTheDocument();
    expect(screen.getByText('k8s:sa:api')).toBeInTheDocument();
    expect(screen.getByTestId('site-status-s1')).toHaveTextContent(
      'eu-west: pending',
    );
    expect(
      screen.getByText(
        'change requested by user:default/alice, 0 of 2 approvals: add the batch service account',
      ),
    ).toBeInTheDocument();
    expect(api.scopes).toEqual([
      {
        spiffeIdPrefix: 'spiffe://example.org/ns/payments',
        kubernetesNamespaces: ['payments'],
      },
    ]);
  });

  it('updates a site sync state live from the stream, with a failing site error a developer can act on', async () => {
    // Given the tab following the entry's sync updates
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    await renderTab(api);
    await screen.findByTestId('site-status-s1');
    expect(api.streams.map(s => s.entryIds)).toEqual([['e1']]);

    // When the site reports a failure, then a success
    await api.sendUpdate(
      create(SyncUpdateSchema, {
        entryId: 'e1',
        siteId: 's1',
        syncState: SyncState.FAILED,
        revision: 2n,
        lastError:
          'unmanaged SPIRE entry 1234 has the same SPIFFE ID, parent and selectors',
      }),
    );

    // Then the failure shows with what to do about it
    const site = screen.getByTestId('site-status-s1');
    expect(site).toHaveTextContent('eu-west: failed');
    expect(site).toHaveTextContent(
      'Failing (1 attempt in a row): unmanaged SPIRE entry 1234',
    );
    expect(site).toHaveTextContent("Ask the site's operators to remove");

    // When
    await api.sendUpdate(
      create(SyncUpdateSchema, {
        entryId: 'e1',
        siteId: 's1',
        syncState: SyncState.SYNCED,
        revision: 2n,
      }),
    );

    // Then
    expect(screen.getByTestId('site-status-s1')).toHaveTextContent(
      /^eu-west: synced$/,
    );
    // and only the stream brought the changes: the entries were listed once
    expect(api.scopes).toHaveLength(1);
  });

  it('keeps the failed attempts read with the entry when a failing site reports another error', async () => {
    // Given a site failing for the fourth time in a row when the tab opened
    const failing = create(EntrySchema, {
      ...apiEntry,
      siteStatuses: [
        create(EntrySiteStatusSchema, {
          siteId: 's1',
          siteName: 'eu-west',
          syncState: SyncState.FAILED,
          failedAttempts: 4,
          lastError:
            'SPIRE server call failed: UNAVAILABLE: connection refused',
        }),
      ],
    });
    const api = new MockSpireMgmtApi(async () => [failing]);
    await renderTab(api);
    expect(await screen.findByTestId('site-status-s1')).toHaveTextContent(
      "4 attempts in a row): SPIRE server call failed: UNAVAILABLE: connection refusedThe site's SPIRE server could not be reached.",
    );

    // When the stream reports the error changed (the stream carries changes, not every retry)
    await api.sendUpdate(
      create(SyncUpdateSchema, {
        entryId: 'e1',
        siteId: 's1',
        syncState: SyncState.FAILED,
        revision: 2n,
        lastError: 'SPIRE server call failed: INVALID_ARGUMENT: bad selector',
      }),
    );

    // Then
    expect(screen.getByTestId('site-status-s1')).toHaveTextContent(
      '4 attempts in a row): SPIRE server call failed: INVALID_ARGUMENT: bad selector',
    );
  });

  it('stops following the sync stream when the tab goes away', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    const { unmount } = await renderTab(api);
    await screen.findByTestId('site-status-s1');

    // When
    unmount();

    // Then
    expect(api.streams[0].signal.aborted).toBe(true);
  });

  it('says which annotation to add to a component without any', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    const bare = { ...annotated, metadata: { name: 'bare' } };

    // When
    await renderTab(api, bare);

    // Then
    expect(
      screen.getByText(
        'No SPIFFE identities are configured for this component',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('spire-mgmt.io/spiffe-id-prefix'),
    ).toBeInTheDocument();
    expect(api.scopes).toEqual([]);
  });

  it('names the malformed annotation and what is wrong with it', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    const malformed = {
      ...annotated,
      metadata: {
        name: 'payments',
        annotations: { 'spire-mgmt.io/spiffe-id-prefix': 'SPIFFE://x' },
      },
    };

    // When
    await renderTab(api, malformed);

    // Then
    expect(screen.getByRole('alert')).toHaveTextContent(
      "spire-mgmt.io/spiffe-id-prefix 'SPIFFE://x' must start with 'spiffe://' (lower case)",
    );
  });

  it('says the component has no entries yet and what it looked for', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => []);

    // When
    await renderTab(api);

    // Then
    expect(
      await screen.findByText(
        'No entry matches the SPIFFE ID prefix spiffe://example.org/ns/payments or a k8s:ns selector of payments.',
      ),
    ).toBeInTheDocument();
  });

  it('explains a refusal for lack of a role, and tries again from the keyboard', async () => {
    // Given a user without a spire-mgmt role, who gets one afterwards
    let refuse = true;
    const api = new MockSpireMgmtApi(async () => {
      if (refuse) {
        throw toSpireMgmtError(
          new ConnectError('caller has no role', Code.PermissionDenied),
        );
      }
      return [apiEntry];
    });

    // When
    await renderTab(api);

    // Then
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );
    expect(alert).toHaveTextContent(
      'spire-mgmt refused the call: caller has no role.',
    );
    expect(alert).toHaveTextContent('spireMgmt.roles');

    // When the user tabs to the button and presses Enter
    refuse = false;
    const user = userEvent.setup();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Try again' })).toHaveFocus();
    await user.keyboard('{Enter}');

    // Then
    expect(
      await screen.findByText('spiffe://example.org/ns/payments/api'),
    ).toBeInTheDocument();
  });

  it('shows why live updates stopped when the service refuses the stream', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    await renderTab(api);
    await screen.findByTestId('site-status-s1');
    expect(screen.getByRole('status')).toHaveTextContent(
      'Sync states update live.',
    );

    // When
    await api.failStream(
      toSpireMgmtError(
        new ConnectError('credentials revoked', Code.Unauthenticated),
      ),
    );

    // Then
    expect(screen.getByRole('alert')).toHaveTextContent(
      'You are not signed in to spire-mgmt',
    );
    expect(
      screen.getByRole('button', { name: 'Reload and follow again' }),
    ).toBeInTheDocument();
  });

  it('links to the request wizard when the plugin page is mounted', async () => {
    // Given an app with the plugin's page at /spire-mgmt
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    await renderInTestApp(
      <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
        <EntityProvider entity={annotated}>
          <EntitySpireMgmtContent />
        </EntityProvider>
      </TestApiProvider>,
      { mountedRoutes: { '/spire-mgmt': rootRouteRef } },
    );

    // Then
    expect(
      // A link styled as a button (Backstage's LinkButton)
      await screen.findByRole('button', { name: 'Request an identity' }),
    ).toHaveAttribute(
      'href',
      '/spire-mgmt/requests/new?entity=component%3Adefault%2Fpayments',
    );
    expect(
      screen.getByRole('link', {
        name: 'Request a change of spiffe://example.org/ns/payments/api',
      }),
    ).toHaveAttribute(
      'href',
      '/spire-mgmt/requests/new?action=update&entryId=e1',
    );
    expect(
      screen.getByRole('link', {
        name: 'Request deletion of spiffe://example.org/ns/payments/api',
      }),
    ).toHaveAttribute(
      'href',
      '/spire-mgmt/requests/new?action=delete&entryId=e1',
    );
  });

  it('leaves the request links out in an app without the plugin page', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);

    // When
    await renderTab(api);

    // Then
    await screen.findByText('spiffe://example.org/ns/payments/api');
    expect(
      screen.queryByText(
        /Request an identity|Request a change|Request deletion/,
      ),
    ).not.toBeInTheDocument();
  });
});
