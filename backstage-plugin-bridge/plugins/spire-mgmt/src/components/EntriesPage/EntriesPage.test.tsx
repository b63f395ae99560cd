import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  EntrySchema,
  EntrySiteStatusSchema,
  ListEntriesResponse,
  ListEntriesResponseSchema,
  SelectorSchema,
  Site,
  SiteSchema,
  SyncState,
  SyncUpdate,
  SyncUpdateSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import {
  SpireMgmtApi,
  SpireMgmtEntryFilter,
  spireMgmtApiRef,
  SpireMgmtSyncUpdatesOptions,
} from '../../api';
import { serviceError } from '../../__testUtils__/serviceError';
import { PushStream } from '../../__testUtils__/PushStream';
import { EntriesPage } from './EntriesPage';

const sites: Site[] = [
  create(SiteSchema, { id: 's1', name: 'eu-west' }),
  create(SiteSchema, { id: 's2', name: 'us-east' }),
];

function entry(id: string, spiffeId: string, state = SyncState.SYNCED) {
  return create(EntrySchema, {
    id,
    spiffeId,
    parentId: 'spiffe://example.org/spire/agent/k8s/cluster',
    revision: 1n,
    selectors: [create(SelectorSchema, { type: 'k8s:ns', value: 'payments' })],
    siteStatuses: [
      create(EntrySiteStatusSchema, {
        siteId: 's1',
        siteName: 'eu-west',
        syncState: state,
      }),
    ],
  });
}

function page(
  entries: ReturnType<typeof entry>[],
  nextPageToken = '',
): ListEntriesResponse {
  return create(ListEntriesResponseSchema, { entries, nextPageToken });
}

/** The spire-mgmt API mocked for the page: the sites above, entries as the test answers, a sync stream double. */
class MockApi implements Partial<SpireMgmtApi> {
  readonly calls: Array<{ filter: SpireMgmtEntryFilter; pageToken?: string }> =
    [];
  readonly sync = new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>();
  readonly streamSyncUpdates = (options: SpireMgmtSyncUpdatesOptions) =>
    this.sync.iterate(options);

  constructor(
    private readonly answer: (
      filter: SpireMgmtEntryFilter,
      pageToken?: string,
    ) => Promise<ListEntriesResponse>,
  ) {}

  async listSites() {
    return sites;
  }

  listEntries(filter: SpireMgmtEntryFilter, pageToken?: string) {
    this.calls.push({ filter, pageToken });
    return this.answer(filter, pageToken);
  }
}

function LocationProbe() {
  const { search } = useLocation();
  return <output aria-label="Current query">{search}</output>;
}

function query() {
  return new URLSearchParams(
    screen.getByRole('status', { name: 'Current query' }).textContent ?? '',
  );
}

async function renderPage(api: MockApi, url = '/entries') {
  await renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <EntriesPage />
      <LocationProbe />
    </TestApiProvider>,
    { routeEntries: [url] },
  );
}

// Each test walks through several renders of MUI forms and tables, which take seconds on a busy machine.
jest.setTimeout(30_000);

describe('EntriesPage', () => {
  it('lists the entries the URL filters name, with each site sync state', async () => {
    // Given
    const api = new MockApi(async () =>
      page([entry('e1', 'spiffe://example.org/ns/payments/api')]),
    );

    // When
    await renderPage(
      api,
      '/entries?site=s1&state=synced&prefix=spiffe%3A%2F%2Fexample.org%2Fns%2F&selector=k8s%3Ans%3Apayments',
    );

    // Then
    const row = await screen.findByTestId('entry-e1');
    expect(row).toHaveTextContent('spiffe://example.org/ns/payments/api');
    expect(row).toHaveTextContent('k8s:ns:payments');
    expect(within(row).getByTestId('site-status-s1')).toHaveTextContent(
      'eu-west: synced',
    );
    expect(api.calls).toEqual([
      {
        filter: {
          siteId: 's1',
          selectors: [{ type: 'k8s', value: 'ns:payments' }],
          spiffeIdPrefix: 'spiffe://example.org/ns/',
          syncState: SyncState.SYNCED,
        },
        pageToken: '',
      },
    ]);
    expect(screen.getByLabelText('SPIFFE ID prefix')).toHaveValue(
      'spiffe://example.org/ns/',
    );
    expect(screen.getByLabelText('Selector')).toHaveValue('k8s:ns:payments');
    await waitFor(() =>
      expect(screen.getByLabelText('Site')).toHaveDisplayValue('eu-west'),
    );
    expect(screen.getByLabelText('Sync state')).toHaveValue('synced');
  });

  it('sends the filters typed and chosen to the service and keeps them in the URL', async () => {
    // Given
    const api = new MockApi(async () =>
      page([entry('e1', 'spiffe://example.org/ns/payments/api')]),
    );
    await renderPage(api);
    await screen.findByTestId('entry-e1');
    const user = userEvent.setup({ delay: null });

    // When a prefix and a selector are entered and Enter is pressed
    await user.click(screen.getByLabelText('SPIFFE ID prefix'));
    await user.paste('spiffe://example.org/ns/payments/');
    await user.click(screen.getByLabelText('Selector'));
    await user.paste('k8s:sa:api');
    await user.keyboard('{Enter}');

    // Then
    await waitFor(() => expect(api.calls).toHaveLength(2));
    expect(api.calls[1].filter).toEqual({
      selectors: [{ type: 'k8s', value: 'sa:api' }],
      spiffeIdPrefix: 'spiffe://example.org/ns/payments/',
    });
    expect(query().get('prefix')).toBe('spiffe://example.org/ns/payments/');
    expect(query().get('selector')).toBe('k8s:sa:api');

    // When a site and a state are chosen (they apply at once)
    await waitFor(() =>
      expect(
        screen.getByRole('option', { name: 'us-east' }),
      ).toBeInTheDocument(),
    );
    await user.selectOptions(screen.getByLabelText('Site'), 'us-east');
    await user.selectOptions(screen.getByLabelText('Sync state'), 'failed');

    // Then
    await waitFor(() =>
      expect(api.calls.at(-1)?.filter).toEqual({
        siteId: 's2',
        selectors: [{ type: 'k8s', value: 'sa:api' }],
        spiffeIdPrefix: 'spiffe://example.org/ns/payments/',
        syncState: SyncState.FAILED,
      }),
    );
    expect(query().get('site')).toBe('s2');
    expect(query().get('state')).toBe('failed');

    // When the filters are cleared
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));

    // Then
    await waitFor(() => expect(api.calls.at(-1)?.filter).toEqual({}));
    expect(query().toString()).toBe('');
  });

  it('pages forward and back with the service page tokens, and starts again when a filter changes', async () => {
    // Given a service with two pages
    const api = new MockApi(async (_filter, pageToken) =>
      pageToken === 'tok-2'
        ? page([entry('e2', 'spiffe://example.org/b')])
        : page([entry('e1', 'spiffe://example.org/a')], 'tok-2'),
    );
    await renderPage(api);
    await screen.findByTestId('entry-e1');
    expect(screen.getByText('Page 1')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();
    const user = userEvent.setup({ delay: null });

    // When
    await user.click(screen.getByRole('button', { name: 'Next page' }));

    // Then
    await screen.findByTestId('entry-e2');
    expect(api.calls.at(-1)?.pageToken).toBe('tok-2');
    expect(query().get('page')).toBe('tok-2');
    expect(screen.getByText('Page 2')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    // When
    await user.click(screen.getByRole('button', { name: 'Previous page' }));

    // Then
    await screen.findByTestId('entry-e1');
    expect(api.calls.at(-1)?.pageToken).toBe('');
    expect(query().get('page')).toBeNull();
    expect(screen.getByText('Page 1')).toBeInTheDocument();

    // When a filter changes on page 2
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByTestId('entry-e2');
    await user.selectOptions(screen.getByLabelText('Sync state'), 'pending');

    // Then the first page of the new filter is asked for
    await waitFor(() =>
      expect(api.calls.at(-1)).toEqual({
        filter: { syncState: SyncState.PENDING },
        pageToken: '',
      }),
    );
    expect(query().get('page')).toBeNull();
  });

  it('shows the service error on the filter it names, not an empty table', async () => {
    // Given a service refusing the prefix
    const api = new MockApi(async filter => {
      if (filter.spiffeIdPrefix === 'example.org/ns') {
        throw serviceError(
          Code.InvalidArgument,
          "must start with 'spiffe://' and be at most 2048 bytes",
          { reason: 'INVALID_SPIFFE_ID', field: 'spiffe_id_prefix' },
        );
      }
      return page([entry('e1', 'spiffe://example.org/ns/a')]);
    });

    // When
    await renderPage(api, '/entries?prefix=example.org%2Fns');

    // Then
    await waitFor(() =>
      expect(screen.getByLabelText('SPIFFE ID prefix')).toHaveAttribute(
        'aria-invalid',
        'true',
      ),
    );
    expect(
      screen.getByLabelText('SPIFFE ID prefix'),
    ).toHaveAccessibleDescription(
      "must start with 'spiffe://' and be at most 2048 bytes",
    );
    expect(screen.getByLabelText('Selector')).toHaveAttribute(
      'aria-invalid',
      'false',
    );
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(
      screen.getByText('No entries listed: correct the filter marked above.'),
    ).toBeInTheDocument();

    // When the user corrects it
    const user = userEvent.setup({ delay: null });
    const prefix = screen.getByLabelText('SPIFFE ID prefix');
    await user.clear(prefix);
    await user.paste('spiffe://example.org/ns');
    await user.keyboard('{Enter}');

    // Then
    await screen.findByTestId('entry-e1');
    expect(prefix).toHaveAttribute('aria-invalid', 'false');
  });

  it('shows the selector error of the service on the selector filter', async () => {
    // Given
    const api = new MockApi(async () => {
      throw serviceError(Code.InvalidArgument, 'must not be empty', {
        reason: 'INVALID_SELECTOR',
        field: 'selectors[0].value',
      });
    });

    // When
    await renderPage(api, '/entries?selector=unix');

    // Then
    await waitFor(() =>
      expect(screen.getByLabelText('Selector')).toHaveAccessibleDescription(
        'must not be empty',
      ),
    );
    expect(api.calls[0].filter.selectors).toEqual([
      { type: 'unix', value: '' },
    ]);
  });

  it('refuses a sync state it does not know on the sync state filter, without calling the service', async () => {
    // Given
    const api = new MockApi(async () => page([]));

    // When
    await renderPage(api, '/entries?state=stuck');

    // Then
    await waitFor(() =>
      expect(screen.getByLabelText('Sync state')).toHaveAccessibleDescription(
        "'stuck' is not a sync state to filter by: use pending, synced, failed, deleting",
      ),
    );
    expect(api.calls).toEqual([]);
  });

  it('offers the first page when a page link no longer holds', async () => {
    // Given
    const api = new MockApi(async (_filter, pageToken) => {
      if (pageToken) {
        throw serviceError(
          Code.InvalidArgument,
          'page token was issued for another filter',
          { reason: 'INVALID_PAGE_TOKEN', field: 'page_token' },
        );
      }
      return page([entry('e1', 'spiffe://example.org/a')]);
    });
    await renderPage(api, '/entries?state=synced&page=stale');

    // When
    const user = userEvent.setup({ delay: null });
    await user.click(
      await screen.findByRole('button', { name: 'Go to the first page' }),
    );

    // Then
    await screen.findByTestId('entry-e1');
    expect(query().get('state')).toBe('synced');
    expect(query().get('page')).toBeNull();
  });

  it('explains a refusal for lack of a role, and tries again', async () => {
    // Given
    let refuse = true;
    const api = new MockApi(async () => {
      if (refuse) {
        throw serviceError(Code.PermissionDenied, 'caller has no role', {
          reason: 'ROLE_NOT_ALLOWED',
        });
      }
      return page([entry('e1', 'spiffe://example.org/a')]);
    });

    // When
    await renderPage(api);

    // Then
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );
    expect(alert).toHaveTextContent(
      'Listing entries and sites needs the Viewer, Developer (which sees the entries of its namespaces), Operator or Admin role.',
    );

    // When
    refuse = false;
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Try again' }));

    // Then
    expect(await screen.findByTestId('entry-e1')).toBeInTheDocument();
  });

  it('says when no entry matches the filters', async () => {
    // Given
    const api = new MockApi(async () => page([]));

    // When
    await renderPage(api, '/entries?state=failed');

    // Then
    expect(
      await screen.findByText('No entry matches these filters'),
    ).toBeInTheDocument();
  });

  it('follows the sync state of the shown page live, and follows the next page once shown', async () => {
    // Given
    const api = new MockApi(async (_filter, pageToken) =>
      pageToken
        ? page([entry('e3', 'spiffe://example.org/c')])
        : page(
            [
              entry('e1', 'spiffe://example.org/a', SyncState.PENDING),
              entry('e2', 'spiffe://example.org/b'),
            ],
            'tok-2',
          ),
    );
    await renderPage(api);
    await screen.findByTestId('entry-e1');
    await waitFor(() =>
      expect(api.sync.stillOpen.map(s => s.entryIds)).toEqual([['e1', 'e2']]),
    );

    // When
    await api.sync.push(
      create(SyncUpdateSchema, {
        entryId: 'e1',
        siteId: 's1',
        syncState: SyncState.FAILED,
        revision: 1n,
        lastError: 'SPIRE server call failed: UNAVAILABLE',
        cursor: 'c1',
      }),
    );

    // Then
    const row = screen.getByTestId('entry-e1');
    expect(within(row).getByTestId('site-status-s1')).toHaveTextContent(
      'eu-west: failed',
    );
    expect(row).toHaveTextContent('SPIRE server call failed: UNAVAILABLE');

    // When
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Next page' }));

    // Then
    await screen.findByTestId('entry-e3');
    await waitFor(() =>
      expect(api.sync.stillOpen.map(s => s.entryIds)).toEqual([['e3']]),
    );
  });
});
