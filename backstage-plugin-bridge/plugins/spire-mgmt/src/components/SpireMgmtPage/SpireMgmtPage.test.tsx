import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import {
  ApprovalPolicySchema,
  AuditEventSchema,
  EntryRequestSchema,
  EntryRequestState,
  EntryRequestUpdate,
  EntrySchema,
  ListAuditEventsResponseSchema,
  ListEntriesResponseSchema,
  ListEntryRequestsResponseSchema,
  PreviewEntryRequestResponseSchema,
  SiteSchema,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import {
  SpireMgmtApi,
  spireMgmtApiRef,
  SpireMgmtSyncUpdatesOptions,
} from '../../api';
import { EntitySpireMgmtContent } from '../EntitySpireMgmtContent';
import { rootRouteRef } from '../../routes';
import { PushStream } from '../../__testUtils__/PushStream';
import { SpireMgmtPage } from './SpireMgmtPage';

jest.setTimeout(30_000);

const entry = create(EntrySchema, {
  id: 'e1',
  spiffeId: 'spiffe://example.org/a',
  parentId: 'spiffe://example.org/agent',
  revision: 1n,
});

const api: Partial<SpireMgmtApi> = {
  listEntryRequests: async () => create(ListEntryRequestsResponseSchema, {}),
  listAuditEvents: async options =>
    create(ListAuditEventsResponseSchema, {
      auditEvents:
        options.targetId === 'e1'
          ? [
              create(AuditEventSchema, {
                id: 5n,
                action: 'entry.create',
                actor: 'user:default/olivia',
                targetType: 'entry',
                targetId: 'e1',
              }),
            ]
          : [],
    }),
  listComponentEntries: async () => [entry],
  listPendingEntryRequests: async () => [],
  getEntry: async () => entry,
  getApprovalPolicy: async () => create(ApprovalPolicySchema, {}),
  previewEntryRequest: async () =>
    create(PreviewEntryRequestResponseSchema, { valid: true }),
  getEntryRequest: async id =>
    create(EntryRequestSchema, {
      id,
      entryId: 'e1',
      state: EntryRequestState.PENDING,
      approvalsRequired: 1,
    }),
  streamEntryRequestUpdates: options =>
    new PushStream<EntryRequestUpdate, { signal: AbortSignal }>().iterate(
      options,
    ),
  listSites: async () => [create(SiteSchema, { id: 's1', name: 'eu-west' })],
  getSiteHealth: async () => {
    throw new Error('not asked in these tests');
  },
  listEntries: async () =>
    create(ListEntriesResponseSchema, {
      entries: [entry],
    }),
  streamSyncUpdates: (options: SpireMgmtSyncUpdatesOptions) =>
    new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>().iterate(options),
};

async function renderAt(path: string) {
  await renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <Routes>
        <Route path="/spire-mgmt/*" element={<SpireMgmtPage />} />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: [path],
      mountedRoutes: { '/spire-mgmt': rootRouteRef },
    },
  );
}

describe('SpireMgmtPage', () => {
  it('opens on the entries tab, and the sites tab is a keyboard-usable link', async () => {
    // When
    await renderAt('/spire-mgmt');

    // Then
    expect(
      screen.getByRole('heading', { name: 'SPIFFE management' }),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('entry-e1')).toBeInTheDocument();
    const tabs = screen.getByRole('tablist', {
      name: 'SPIFFE management sections',
    });
    expect(tabs).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Entries' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    const sites = screen.getByRole('tab', { name: 'Sites' });
    expect(sites).toHaveAttribute('href', '/spire-mgmt/sites');

    // When the user focuses the sites tab and presses Enter
    sites.focus();
    await userEvent.setup({ delay: null }).keyboard('{Enter}');

    // Then
    expect(
      await screen.findByRole('table', { name: 'Sites and their health' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Sites' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
  });

  it('says so when the path names no section', async () => {
    // When
    await renderAt('/spire-mgmt/nothing-here');

    // Then
    expect(
      await screen.findByText('There is no such page in SPIFFE management'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Go to the entries' }),
    ).toHaveAttribute('href', '/spire-mgmt/entries');
  });

  it("opens the request wizard and a request's page below it, without a tab of their own", async () => {
    // When
    await renderAt('/spire-mgmt/requests/new');

    // Then
    expect(
      await screen.findByRole('heading', { name: 'Request an identity' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Entries' })).toHaveAttribute(
      'aria-selected',
      'false',
    );

    // When
    await renderAt('/spire-mgmt/requests/r7');

    // Then
    expect(
      await screen.findByText('Waiting for approval: 0 of 1'),
    ).toBeInTheDocument();
  });

  it("goes from the entity tab's and the entries tab's links to the wizard on the page", async () => {
    // Given an app with the page at /spire-mgmt and a component's page with the entity tab
    const payments: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'payments',
        annotations: {
          'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org',
        },
      },
    };
    await renderInTestApp(
      <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
        <Routes>
          <Route path="/spire-mgmt/*" element={<SpireMgmtPage />} />
          <Route
            path="/catalog/payments"
            element={
              <EntityProvider entity={payments}>
                <EntitySpireMgmtContent />
              </EntityProvider>
            }
          />
        </Routes>
      </TestApiProvider>,
      {
        routeEntries: ['/catalog/payments'],
        mountedRoutes: { '/spire-mgmt': rootRouteRef },
      },
    );
    const user = userEvent.setup({ delay: null });

    // When the user follows the tab's link to change the entry
    await user.click(
      await screen.findByRole('link', {
        name: 'Request a change of spiffe://example.org/a',
      }),
    );

    // Then the wizard opens on the page, starting from that entry
    expect(
      await screen.findByRole('heading', {
        name: 'Request a change of an entry',
      }),
    ).toBeInTheDocument();

    // When the user goes to the entries tab and asks for a new identity there
    await user.click(screen.getByRole('tab', { name: 'Entries' }));
    await screen.findByTestId('entry-e1');
    await user.click(
      // A link styled as a button (Backstage's LinkButton)
      screen.getByRole('button', { name: 'Request an identity' }),
    );

    // Then
    expect(
      await screen.findByRole('heading', { name: 'Request an identity' }),
    ).toBeInTheDocument();
  });

  it("has Approvals and Audit tabs, and an entry's History link opens its audit history", async () => {
    // Given
    await renderAt('/spire-mgmt/approvals');
    const user = userEvent.setup({ delay: null });

    // Then
    expect(
      await screen.findByText('No request awaits your decision'),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Approvals' })).toHaveAttribute(
      'aria-selected',
      'true',
    );

    // When the user opens the entries tab and follows an entry's History link
    await user.click(screen.getByRole('tab', { name: 'Entries' }));
    await user.click(
      await screen.findByRole('link', {
        name: 'History of spiffe://example.org/a',
      }),
    );

    // Then the audit tab shows that entry's events
    expect(screen.getByRole('tab', { name: 'Audit' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(await screen.findByText('user:default/olivia')).toBeInTheDocument();
    expect(screen.getByLabelText('Entry ID')).toHaveValue('e1');
  });
});
