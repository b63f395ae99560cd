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
  EntryRequestUpdate,
  EntryRequestUpdateSchema,
  EntrySchema,
  EntrySiteStatusSchema,
  SelectorSchema,
  SyncState,
  SyncUpdate,
  SyncUpdateSchema,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { act, screen, waitFor, within } from '@testing-library/react';
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
 * A mock of the spire-mgmt API speaking the generated message types: entries and requests as the test gives
 * them (it may change them between reads), and a sync stream and a request stream the test pushes updates into.
 */
class MockSpireMgmtApi implements Partial<SpireMgmtApi> {
  scopes: SpireMgmtComponentScope[] = [];
  readonly sync = new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>();
  readonly requests = new PushStream<
    EntryRequestUpdate,
    { cursor?: string; signal: AbortSignal }
  >();
  readonly streams = this.sync.opened;
  readonly streamSyncUpdates = (options: SpireMgmtSyncUpdatesOptions) =>
    this.sync.iterate(options);
  readonly streamEntryRequestUpdates = (options: {
    cursor?: string;
    signal: AbortSignal;
  }) => this.requests.iterate(options);

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

  sendRequestUpdate(event: string, entryRequest: EntryRequest) {
    return this.requests.push(
      create(EntryRequestUpdateSchema, { event, entryRequest }),
    );
  }
}

/** A promise the test settles when it wants. */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
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

function syncUpdate(entryId: string, syncState: SyncState, revision: bigint) {
  return create(SyncUpdateSchema, {
    entryId,
    siteId: 's1',
    syncState,
    revision,
  });
}

const workerEntry = create(EntrySchema, {
  id: 'e2',
  spiffeId: 'spiffe://example.org/ns/payments/worker',
  revision: 1n,
  siteStatuses: [
    create(EntrySiteStatusSchema, {
      siteId: 's1',
      siteName: 'eu-west',
      syncState: SyncState.PENDING,
    }),
  ],
});

/** A create request for `entry`, applied: the update the request stream sends on its last approval. */
function appliedCreate(entry: Entry) {
  return create(EntryRequestSchema, {
    id: `r-${entry.id}`,
    entryId: entry.id,
    kind: EntryRequestKind.CREATE,
    state: EntryRequestState.APPLIED,
    proposedEntry: create(EntrySchema, {
      spiffeId: entry.spiffeId,
      selectors: entry.selectors,
    }),
    appliedEntry: entry,
  });
}

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
    expect(api.scopes[0]).toEqual({
      spiffeIdPrefix: 'spiffe://example.org/ns/payments',
      kubernetesNamespaces: ['payments'],
    });
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
    // and only the stream brought the changes: the entries were listed once, and once more after the stream
    // opened, not since
    expect(api.scopes).toHaveLength(2);
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

  it('stops following the streams when the tab goes away', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    const { unmount } = await renderTab(api);
    await screen.findByTestId('site-status-s1');

    // When
    unmount();

    // Then
    expect(api.streams[0].signal.aborted).toBe(true);
    expect(api.requests.opened[0].signal.aborted).toBe(true);
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
      'Entries, their sync states and pending requests update live.',
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
  it('shows a sync change committed between the first read and the opening of the stream', async () => {
    // Given a site that syncs after the entries were first read, before the tab follows them
    const synced = create(EntrySchema, {
      ...apiEntry,
      siteStatuses: [
        create(EntrySiteStatusSchema, {
          siteId: 's1',
          siteName: 'eu-west',
          syncState: SyncState.SYNCED,
        }),
      ],
    });
    const reads = [[apiEntry], [synced]];
    const api = new MockSpireMgmtApi(async () => reads.shift() ?? [synced]);

    // When
    await renderTab(api);

    // Then the entries were read again once the stream was open
    await waitFor(() =>
      expect(screen.getByTestId('site-status-s1')).toHaveTextContent(
        /^eu-west: synced$/,
      ),
    );
    expect(api.streams.map(s => s.entryIds)).toEqual([['e1']]);
  });

  it('applies a sync update that arrives while the entries are read over what that read answers', async () => {
    // Given a tab reading the entries again after opening the stream, the read not answered yet
    const second = deferred<Entry[]>();
    const reads = [Promise.resolve([apiEntry]), second.promise];
    const pending: Record<string, EntryRequest[]> = {};
    const api = new MockSpireMgmtApi(
      () => reads.shift() ?? Promise.resolve([apiEntry]),
      pending,
    );
    await renderTab(api);
    await screen.findByTestId('site-status-s1');
    expect(api.streams.map(s => s.entryIds)).toEqual([['e1']]);
    expect(api.scopes).toHaveLength(2);

    // When the site syncs, and then the read answers with the entry from before (and a new pending request)
    await api.sendUpdate(syncUpdate('e1', SyncState.SYNCED, 2n));
    pending.e1 = [pendingChange];
    await act(async () => second.resolve([apiEntry]));

    // Then once that read shows, the update stands over it
    await screen.findByText(/^change requested by user:default\/alice/);
    expect(screen.getByTestId('site-status-s1')).toHaveTextContent(
      /^eu-west: synced$/,
    );
  });

  it('shows the entry of an applied request under the prefix, and follows it to synced', async () => {
    // Given a tab open before the request was applied
    let listed = [apiEntry];
    const api = new MockSpireMgmtApi(async () => listed);
    await renderTab(api);
    await screen.findByTestId('entry-e1');

    // When
    listed = [apiEntry, workerEntry];
    await api.sendRequestUpdate('apply', appliedCreate(workerEntry));

    // Then its row shows, and the sync stream follows both entries
    const row = await screen.findByTestId('entry-e2');
    expect(row).toHaveTextContent('spiffe://example.org/ns/payments/worker');
    expect(within(row).getByTestId('site-status-s1')).toHaveTextContent(
      /^eu-west: pending$/,
    );
    await waitFor(() =>
      expect(api.sync.stillOpen.map(o => o.entryIds)).toEqual([['e1', 'e2']]),
    );

    // When
    await api.sendUpdate(syncUpdate('e2', SyncState.SYNCED, 1n));

    // Then
    await waitFor(() =>
      expect(
        within(screen.getByTestId('entry-e2')).getByTestId('site-status-s1'),
      ).toHaveTextContent(/^eu-west: synced$/),
    );
  });

  it("shows the entry of an applied request selecting the component's namespace", async () => {
    // Given
    const batch = create(EntrySchema, {
      id: 'e3',
      spiffeId: 'spiffe://example.org/batch',
      revision: 1n,
      selectors: [
        create(SelectorSchema, { type: 'k8s:ns', value: 'payments' }),
      ],
    });
    let listed = [apiEntry];
    const api = new MockSpireMgmtApi(async () => listed);
    await renderTab(api);
    await screen.findByTestId('entry-e1');

    // When
    listed = [batch, apiEntry];
    await api.sendRequestUpdate('apply', appliedCreate(batch));

    // Then
    expect(await screen.findByTestId('entry-e3')).toHaveTextContent(
      'spiffe://example.org/batch',
    );
  });

  it('shows a request submitted for a shown entry, and no longer once it is rejected', async () => {
    // Given
    const pending: Record<string, EntryRequest[]> = {};
    const api = new MockSpireMgmtApi(async () => [apiEntry], pending);
    await renderTab(api);
    const row = await screen.findByTestId('entry-e1');
    expect(within(row).getByText('None')).toBeInTheDocument();

    // When a change is submitted (the update names the entry by its id only)
    pending.e1 = [pendingChange];
    await api.sendRequestUpdate('submit', pendingChange);

    // Then
    expect(
      await within(row).findByText(
        'change requested by user:default/alice, 0 of 2 approvals: add the batch service account',
      ),
    ).toBeInTheDocument();

    // When
    pending.e1 = [];
    await api.sendRequestUpdate(
      'reject',
      create(EntryRequestSchema, {
        ...pendingChange,
        state: EntryRequestState.REJECTED,
      }),
    );

    // Then
    expect(await within(row).findByText('None')).toBeInTheDocument();
  });

  it('does not read again for a request about another component', async () => {
    // Given
    const pending: Record<string, EntryRequest[]> = {};
    const api = new MockSpireMgmtApi(async () => [apiEntry], pending);
    await renderTab(api);
    await screen.findByTestId('entry-e1');
    const reads = api.scopes.length;

    // When a request about an entry sharing only the string prefix arrives, then one about this component
    const other = create(EntrySchema, {
      id: 'e9',
      spiffeId: 'spiffe://example.org/ns/payments-v2/api',
      revision: 3n,
      selectors: [
        create(SelectorSchema, { type: 'k8s:ns', value: 'payments-v2' }),
      ],
    });
    await api.sendRequestUpdate(
      'submit',
      create(EntryRequestSchema, {
        id: 'r9',
        entryId: 'e9',
        kind: EntryRequestKind.UPDATE,
        state: EntryRequestState.PENDING,
        entryBefore: other,
        proposedEntry: other,
      }),
    );
    pending.e1 = [pendingChange];
    await api.sendRequestUpdate('submit', pendingChange);

    // Then only the second one was read for
    await screen.findByText(/^change requested by user:default\/alice/);
    expect(api.scopes).toHaveLength(reads + 1);
  });

  it('shows why live updates stopped when the service refuses the request stream, and follows again on reload', async () => {
    // Given
    const api = new MockSpireMgmtApi(async () => [apiEntry]);
    await renderTab(api);
    await screen.findByTestId('entry-e1');

    // When
    await api.requests.fail(
      toSpireMgmtError(
        new ConnectError('credentials revoked', Code.Unauthenticated),
      ),
    );

    // Then the entries stay, no longer followed
    expect(screen.getByRole('alert')).toHaveTextContent(
      'You are not signed in to spire-mgmt',
    );
    expect(screen.getByTestId('entry-e1')).toBeInTheDocument();
    expect(api.sync.stillOpen).toEqual([]);

    // When
    await userEvent.click(
      screen.getByRole('button', { name: 'Reload and follow again' }),
    );

    // Then
    await waitFor(() => expect(api.requests.opened).toHaveLength(2));
  });
});
