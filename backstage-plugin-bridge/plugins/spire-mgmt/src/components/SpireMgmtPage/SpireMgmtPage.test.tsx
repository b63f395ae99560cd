import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import {
  EntrySchema,
  ListEntriesResponseSchema,
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
import { rootRouteRef } from '../../routes';
import { PushStream } from '../../__testUtils__/PushStream';
import { SpireMgmtPage } from './SpireMgmtPage';

jest.setTimeout(30_000);

const api: Partial<SpireMgmtApi> = {
  listSites: async () => [create(SiteSchema, { id: 's1', name: 'eu-west' })],
  getSiteHealth: async () => {
    throw new Error('not asked in these tests');
  },
  listEntries: async () =>
    create(ListEntriesResponseSchema, {
      entries: [
        create(EntrySchema, { id: 'e1', spiffeId: 'spiffe://example.org/a' }),
      ],
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
});
