import { Entity } from '@backstage/catalog-model';
import {
  coreExtensionData,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { create } from '@bufbuild/protobuf';
import {
  ApprovalPolicySchema,
  EntryRequestUpdate,
  EntrySchema,
  ListEntriesResponseSchema,
  PreviewEntryRequestResponseSchema,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import spireMgmtPlugin, {
  spireMgmtEntityContent,
  spireMgmtPage,
} from './alpha';
import {
  SpireMgmtApi,
  spireMgmtApiRef,
  SpireMgmtSyncUpdatesOptions,
} from './api';
import { entityContentRouteRef, rootRouteRef } from './routes';
import { PushStream } from './__testUtils__/PushStream';
import { EntitySpireMgmtContent } from './components/EntitySpireMgmtContent';

jest.setTimeout(30_000);

function component(annotations: Record<string, string>, kind = 'Component') {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'payments', annotations },
  } as Entity;
}

describe('spireMgmtEntityContent', () => {
  it('is a "SPIFFE identities" tab shown only on components carrying a spire-mgmt annotation', () => {
    // Given
    const tester = createExtensionTester(spireMgmtEntityContent);

    // When
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;

    // Then
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'SPIFFE identities',
    );
    expect(
      filter(
        component({
          'spire-mgmt.io/kubernetes-namespaces': 'payments',
        }),
      ),
    ).toBe(true);
    expect(
      filter(
        component({
          'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments',
        }),
      ),
    ).toBe(true);
    expect(filter(component({}))).toBe(false);
    expect(
      filter(
        component(
          { 'spire-mgmt.io/kubernetes-namespaces': 'payments' },
          'System',
        ),
      ),
    ).toBe(false);
  });

  it('has a route of its own, not the page one', () => {
    // When
    const tester = createExtensionTester(spireMgmtEntityContent);

    // Then
    expect(tester.get(coreExtensionData.routeRef)).toBe(entityContentRouteRef);
    expect(tester.get(coreExtensionData.routeRef)).not.toBe(rootRouteRef);
  });
});

describe('spireMgmtPage', () => {
  it('is the "SPIFFE management" page at /spire-mgmt on the root route', () => {
    // When
    const tester = createExtensionTester(spireMgmtPage);

    // Then
    expect(tester.get(coreExtensionData.routePath)).toBe('/spire-mgmt');
    expect(tester.get(coreExtensionData.routeRef)).toBe(rootRouteRef);
    expect(tester.get(coreExtensionData.title)).toBe('SPIFFE management');
  });

  it('renders in an app, with its entries, and is an item of the app sidebar', async () => {
    // Given
    const api: Partial<SpireMgmtApi> = {
      listSites: async () => [],
      listEntries: async () =>
        create(ListEntriesResponseSchema, {
          entries: [
            create(EntrySchema, {
              id: 'e1',
              spiffeId: 'spiffe://example.org/ns/payments/api',
            }),
          ],
        }),
      streamSyncUpdates: (options: SpireMgmtSyncUpdatesOptions) =>
        new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>().iterate(
          options,
        ),
    };

    // When
    renderTestApp({
      features: [spireMgmtPlugin],
      initialRouteEntries: ['/spire-mgmt'],
      apis: [[spireMgmtApiRef, api]],
    });

    // Then (once the page's code is loaded: the first import is slow in Jest)
    expect(
      await screen.findByText(
        'spiffe://example.org/ns/payments/api',
        {},
        { timeout: 20_000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Entries' })).toHaveAttribute(
      'href',
      '/spire-mgmt/entries',
    );
    const nav = screen.getByRole('navigation', { name: /sidebar/i });
    expect(
      within(nav).getByRole('link', { name: /SPIFFE management/ }),
    ).toHaveAttribute('href', '/spire-mgmt');
  });
});

describe('the request wizard in an app on the new frontend system', () => {
  const entry = create(EntrySchema, {
    id: 'e1',
    spiffeId: 'spiffe://example.org/ns/payments/api',
    parentId: 'spiffe://example.org/agent',
    revision: 1n,
  });
  const api: Partial<SpireMgmtApi> = {
    listSites: async () => [],
    listEntries: async () =>
      create(ListEntriesResponseSchema, { entries: [entry] }),
    listComponentEntries: async () => [entry],
    listPendingEntryRequests: async () => [],
    getEntry: async () => entry,
    getApprovalPolicy: async () => create(ApprovalPolicySchema, {}),
    previewEntryRequest: async () =>
      create(PreviewEntryRequestResponseSchema, { valid: true }),
    streamSyncUpdates: (options: SpireMgmtSyncUpdatesOptions) =>
      new PushStream<SyncUpdate, SpireMgmtSyncUpdatesOptions>().iterate(
        options,
      ),
    streamEntryRequestUpdates: options =>
      new PushStream<EntryRequestUpdate, { signal: AbortSignal }>().iterate(
        options,
      ),
  };

  it("is reached from the page's entries tab", async () => {
    // Given
    renderTestApp({
      features: [spireMgmtPlugin],
      initialRouteEntries: ['/spire-mgmt/entries'],
      apis: [[spireMgmtApiRef, api]],
    });

    // When
    await userEvent.setup({ delay: null }).click(
      // A link styled as a button (Backstage's LinkButton)
      await screen.findByRole(
        'button',
        { name: 'Request an identity' },
        { timeout: 20_000 },
      ),
    );

    // Then
    expect(
      await screen.findByRole('heading', { name: 'Request an identity' }),
    ).toBeInTheDocument();
  });

  it("is reached from the entity tab's links (the sub-route refs resolve in the new system)", async () => {
    // Given an app with the plugin and a page showing a component's entity tab
    const payments = component({
      'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments',
    });
    const componentPage = PageBlueprint.make({
      name: 'payments',
      params: {
        path: '/catalog/payments',
        loader: async () => (
          <EntityProvider entity={payments}>
            <EntitySpireMgmtContent />
          </EntityProvider>
        ),
      },
    });
    renderTestApp({
      features: [spireMgmtPlugin],
      extensions: [componentPage],
      initialRouteEntries: ['/catalog/payments'],
      apis: [[spireMgmtApiRef, api]],
    });

    // When
    const change = await screen.findByRole(
      'link',
      { name: 'Request a change of spiffe://example.org/ns/payments/api' },
      { timeout: 20_000 },
    );
    expect(change).toHaveAttribute(
      'href',
      '/spire-mgmt/requests/new?action=update&entryId=e1',
    );
    await userEvent.setup({ delay: null }).click(change);

    // Then
    expect(
      await screen.findByRole('heading', {
        name: 'Request a change of an entry',
      }),
    ).toBeInTheDocument();
  });
});
