import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  Entry,
  EntryRequest,
  EntryRequestApprovalSchema,
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
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import {
  SpireMgmtApi,
  SpireMgmtSyncUpdatesOptions,
  spireMgmtApiRef,
} from '../../api';
import { rootRouteRef } from '../../routes';
import { PushStream } from '../../__testUtils__/PushStream';
import { serviceError } from '../../__testUtils__/serviceError';
import { EntryRequestPage } from './EntryRequestPage';

const proposed = create(EntrySchema, {
  id: 'e1',
  spiffeId: 'spiffe://example.org/ns/payments/sa/api',
  parentId: 'spiffe://example.org/spire/agent/k8s_psat/c1',
  selectors: [create(SelectorSchema, { type: 'k8s:ns', value: 'payments' })],
  siteIds: ['s1', 's2'],
});

const pending = create(EntryRequestSchema, {
  id: 'r1',
  state: EntryRequestState.PENDING,
  kind: EntryRequestKind.CREATE,
  entryId: 'e1',
  proposedEntry: proposed,
  justification: 'the payments API needs mTLS',
  requester: 'user:default/alice',
  requesterPerson: 'user:default/alice',
  approvalsRequired: 1,
  approvalReasons: ['site eu-west: every change needs approval'],
  siteIds: ['s1', 's2'],
});

function update(request: EntryRequest, event: string): EntryRequestUpdate {
  return create(EntryRequestUpdateSchema, {
    entryRequest: request,
    event,
    cursor: `c-${event}`,
  });
}

function status(siteId: string, siteName: string, syncState: SyncState) {
  return create(EntrySiteStatusSchema, { siteId, siteName, syncState });
}

function sync(
  siteId: string,
  syncState: SyncState,
  lastError = '',
): SyncUpdate {
  return create(SyncUpdateSchema, {
    entryId: 'e1',
    siteId,
    syncState,
    revision: 1n,
    lastError,
    cursor: `s-${siteId}-${syncState}`,
  });
}

/** A mock of the spire-mgmt API speaking the generated types, with streams the test pushes into. */
class MockSpireMgmtApi implements Partial<SpireMgmtApi> {
  requests = new PushStream<
    EntryRequestUpdate,
    { cursor?: string; signal: AbortSignal }
  >();
  syncs = new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>();
  request: () => Promise<EntryRequest> = async () => pending;
  entry: () => Promise<Entry> = async () =>
    create(EntrySchema, {
      ...proposed,
      revision: 1n,
      siteStatuses: [
        status('s1', 'eu-west', SyncState.PENDING),
        status('s2', 'us-east', SyncState.PENDING),
      ],
    });

  getEntryRequest = () => this.request();
  streamEntryRequestUpdates = (options: {
    cursor?: string;
    signal: AbortSignal;
  }) => this.requests.iterate(options);
  getEntry = () => this.entry();
  streamSyncUpdates = (options: SpireMgmtSyncUpdatesOptions) =>
    this.syncs.iterate(options);
}

async function renderPage(api: MockSpireMgmtApi, requestId = 'r1') {
  return renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <Routes>
        <Route
          path="/spire-mgmt/requests/:requestId"
          element={<EntryRequestPage />}
        />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: [`/spire-mgmt/requests/${requestId}`],
      mountedRoutes: { '/spire-mgmt': rootRouteRef },
    },
  );
}

describe('EntryRequestPage', () => {
  it('shows the request, then follows it to APPLIED and the entry to SYNCED at every site', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderPage(api);

    // Then the pending request with its requester, justification and entry
    expect(
      await screen.findByText('Waiting for approval: 0 of 1'),
    ).toBeInTheDocument();
    expect(screen.getByText(/user:default\/alice/)).toBeInTheDocument();
    expect(screen.getByText('the payments API needs mTLS')).toBeInTheDocument();
    expect(
      within(
        screen.getByRole('table', { name: 'The requested entry' }),
      ).getByText(proposed.spiffeId),
    ).toBeInTheDocument();

    // When another request's update arrives, then this one's approval and apply
    await api.requests.push(
      update(create(EntryRequestSchema, { ...pending, id: 'other' }), 'submit'),
    );
    const approval = create(EntryRequestApprovalSchema, {
      approver: 'user:default/olivia',
      approverPerson: 'user:default/olivia',
      comment: 'fine',
    });
    await api.requests.push(
      update(
        create(EntryRequestSchema, {
          ...pending,
          state: EntryRequestState.APPLIED,
          approvals: [approval],
          decidedBy: 'user:default/olivia',
        }),
        'apply',
      ),
    );

    // Then the request is applied, its stream closed, and the entry's sync is followed
    expect(await screen.findByText('Applied')).toBeInTheDocument();
    expect(screen.getByText(/user:default\/olivia: fine/)).toBeInTheDocument();
    expect(api.requests.open).toBe(false);
    expect(
      await screen.findByText('Syncing: SYNCED at 0 of 2 sites.'),
    ).toBeInTheDocument();
    expect(api.syncs.opened[0].entryIds).toEqual(['e1']);

    // When both sites report SYNCED
    await api.syncs.push(sync('s1', SyncState.SYNCED));
    expect(
      await screen.findByText('Syncing: SYNCED at 1 of 2 sites.'),
    ).toBeInTheDocument();
    await api.syncs.push(sync('s2', SyncState.SYNCED));

    // Then
    expect(
      await screen.findByText('Active at every site: SYNCED at 2 of 2.'),
    ).toBeInTheDocument();
    await waitFor(() => expect(api.syncs.open).toBe(false));
  });

  it("shows a failing site's error and what to do while the entry syncs", async () => {
    // Given an applied request
    const api = new MockSpireMgmtApi();
    api.request = async () =>
      create(EntryRequestSchema, {
        ...pending,
        state: EntryRequestState.APPLIED,
      });
    await renderPage(api);
    await screen.findByText('Syncing: SYNCED at 0 of 2 sites.');

    // When
    await api.syncs.push(
      sync(
        's1',
        SyncState.FAILED,
        'SPIRE server call failed: UNAVAILABLE: connection refused',
      ),
    );

    // Then
    expect(
      await screen.findByText(
        'Syncing: SYNCED at 0 of 2 sites; 1 failing (see below for why and what to do).',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /Failing \(1 attempt in a row\): SPIRE server call failed/,
      ),
    ).toBeInTheDocument();
    expect(api.syncs.open).toBe(true);
  });

  it('shows a rejection with its reason', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderPage(api);
    await screen.findByText('Waiting for approval: 0 of 1');

    // When
    await api.requests.push(
      update(
        create(EntryRequestSchema, {
          ...pending,
          state: EntryRequestState.REJECTED,
          decidedBy: 'user:default/olivia',
          decisionMessage: 'use the shared payments identity instead',
        }),
        'reject',
      ),
    );

    // Then
    const state = await screen.findByTestId('request-state');
    await waitFor(() =>
      expect(state).toHaveTextContent('Rejected by user:default/olivia'),
    );
    expect(state).toHaveTextContent(
      'Reason: use the shared payments identity instead',
    );
    expect(screen.queryByText('Sync at the sites')).not.toBeInTheDocument();
  });

  it('says why a conflicting request was not applied and offers to request it again', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.request = async () =>
      create(EntryRequestSchema, {
        ...pending,
        kind: EntryRequestKind.UPDATE,
        entryBefore: proposed,
        state: EntryRequestState.CONFLICT,
        decisionMessage:
          'the entry is at revision 5, the request was based on 4.',
      });

    // When
    await renderPage(api);

    // Then
    expect(
      await screen.findByText('Not applied: the entry changed in the meantime'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Request it again' }),
    ).toHaveAttribute(
      'href',
      '/spire-mgmt/requests/new?action=update&entryId=e1',
    );
    await waitFor(() => expect(api.requests.open).toBe(false));
  });

  it('ignores a streamed version older than the one read', async () => {
    // Given a request read with one approval of two
    const api = new MockSpireMgmtApi();
    const approval = create(EntryRequestApprovalSchema, { approver: 'u:o' });
    api.request = async () =>
      create(EntryRequestSchema, {
        ...pending,
        approvalsRequired: 2,
        approvals: [approval],
      });
    await renderPage(api);
    await screen.findByText('Waiting for approval: 1 of 2');

    // When the stream repeats the submit
    await api.requests.push(
      update(
        create(EntryRequestSchema, { ...pending, approvalsRequired: 2 }),
        'submit',
      ),
    );

    // Then
    expect(
      screen.getByText('Waiting for approval: 1 of 2'),
    ).toBeInTheDocument();
  });

  it('says so when the request does not exist or may not be seen', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.request = async () => {
      throw serviceError(Code.NotFound, 'no such request', {
        reason: 'REQUEST_NOT_FOUND',
      });
    };

    // When
    await renderPage(api, 'r9');

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'There is no request r9, or it is not one you may see',
    );
  });

  it('tells a user without a role why', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    api.request = async () => {
      throw serviceError(Code.PermissionDenied, 'caller has no role', {
        reason: 'ROLE_NOT_ALLOWED',
      });
    };

    // When
    await renderPage(api);

    // Then
    expect(
      await screen.findByText('You have no spire-mgmt role that allows this'),
    ).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Seeing a request needs the Viewer, Operator or Admin role',
    );
  });

  it('shows a refused request stream and offers to follow again', async () => {
    // Given
    const api = new MockSpireMgmtApi();
    await renderPage(api);
    await screen.findByText('Waiting for approval: 0 of 1');

    // When
    await api.requests.fail(
      serviceError(Code.OutOfRange, 'cursor expired', {
        reason: 'CURSOR_EXPIRED',
      }),
    );

    // Then
    expect(
      await screen.findByRole('button', { name: 'Reload and follow again' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'spire-mgmt failed (OUT_OF_RANGE)',
    );
  });
});
