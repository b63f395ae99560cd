import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create, JsonObject } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  AuditEvent,
  AuditEventSchema,
  Entry,
  EntrySchema,
  ListAuditEventsResponse,
  ListAuditEventsResponseSchema,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  SpireMgmtApi,
  SpireMgmtAuditEventListOptions,
  SpireMgmtComponentScope,
  spireMgmtApiRef,
} from '../../api';
import { AuditHistory } from './AuditHistory';

/**
 * A fake of the spire-mgmt API speaking the generated types: a component's entries, and each entry's audit
 * trail served newest first in keyset pages (the token is the offset), failing when told to.
 */
class FakeAuditApi implements Partial<SpireMgmtApi> {
  calls: SpireMgmtAuditEventListOptions[] = [];
  failNext: unknown;

  constructor(
    private readonly trails: Record<string, AuditEvent[]>,
    private readonly entries: Entry[] = [],
  ) {}

  async listComponentEntries(_scope: SpireMgmtComponentScope) {
    return this.entries;
  }

  async listAuditEvents(
    options: SpireMgmtAuditEventListOptions,
  ): Promise<ListAuditEventsResponse> {
    this.calls.push(options);
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const events = this.trails[options.targetId!] ?? [];
    const from = Number(options.pageToken || '0');
    const to = from + (options.pageSize || 100);
    return create(ListAuditEventsResponseSchema, {
      auditEvents: events.slice(from, to),
      nextPageToken: to < events.length ? String(to) : '',
    });
  }
}

const entryJson = (fields: JsonObject): JsonObject => ({
  id: 'e1',
  spiffe_id: 'spiffe://example.org/ns/payments/api',
  parent_id: 'spiffe://example.org/node',
  selectors: [{ type: 'k8s:ns', value: 'payments' }],
  ttl: 3600,
  revision: '3',
  ...fields,
});

function event(
  id: number,
  action: string,
  fields: Omit<Partial<AuditEvent>, '$typeName'> = {},
): AuditEvent {
  return create(AuditEventSchema, {
    id: BigInt(id),
    action,
    actor: 'user:default/olivia',
    targetType: 'entry',
    targetId: 'e1',
    occurTime: timestampFromDate(new Date(`2026-12-0${id}T08:00:00Z`)),
    ...fields,
  });
}

const update = event(3, 'entry.update', {
  before: entryJson({}),
  after: entryJson({
    ttl: 7200,
    selectors: [
      { type: 'k8s:ns', value: 'payments' },
      { type: 'k8s:sa', value: 'api' },
    ],
    revision: '4',
  }),
  requestId: 'req-1',
});
const sync = event(2, 'entry.sync', {
  actor: 'spiffe://example.org/site-agent/eu-west',
  before: { site_id: 's1', sync_state: 'SYNC_STATE_PENDING' },
  after: { site_id: 's1', sync_state: 'SYNC_STATE_SYNCED' },
});
const created = event(1, 'entry.create', { after: entryJson({}) });

async function renderHistory(
  api: FakeAuditApi,
  props: Parameters<typeof AuditHistory>[0],
) {
  return renderInTestApp(
    <TestApiProvider apis={[[spireMgmtApiRef, api]]}>
      <AuditHistory {...props} />
    </TestApiProvider>,
  );
}

describe('AuditHistory', () => {
  it("shows an entry's events newest first with actor, action, time and before/after as a diff", async () => {
    // Given
    const api = new FakeAuditApi({ e1: [update, sync, created] });

    // When
    await renderHistory(api, { entryId: 'e1' });

    // Then
    const rows = await screen.findAllByTestId(/^audit-event-/);
    expect(rows.map(r => r.dataset.testid)).toEqual([
      'audit-event-3',
      'audit-event-2',
      'audit-event-1',
    ]);
    const first = rows[0];
    expect(first).toHaveTextContent('2026-12-03 08:00:00 UTC');
    expect(first).toHaveTextContent('user:default/olivia');
    expect(first).toHaveTextContent('changed the entry (entry.update)');
    const diff = within(first).getByRole('table', {
      name: 'Before and after of event 3',
    });
    expect(within(diff).getByTestId('diff-selectors')).toHaveTextContent(
      'Selectorsk8s:ns:paymentsk8s:ns:payments+ k8s:sa:api',
    );
    expect(within(diff).getByTestId('diff-ttl')).toHaveTextContent(
      '− 3600 s (1 h)+ 7200 s (2 h)',
    );
    expect(within(rows[1]).getByTestId('diff-sync_state')).toHaveTextContent(
      '− SYNC_STATE_PENDING+ SYNC_STATE_SYNCED',
    );
    expect(within(rows[2]).getByTestId('diff-spiffe_id')).toHaveTextContent(
      '(none)+ spiffe://example.org/ns/payments/api',
    );
    expect(api.calls).toEqual([
      { targetType: 'entry', targetId: 'e1', pageSize: 20, pageToken: '' },
    ]);
  });

  it('pages to older events with the page token', async () => {
    // Given
    const api = new FakeAuditApi({ e1: [update, sync, created] });
    await renderHistory(api, { entryId: 'e1', pageSize: 2 });
    expect(await screen.findAllByTestId(/^audit-event-/)).toHaveLength(2);

    // When
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Show older events' }));

    // Then
    await waitFor(() =>
      expect(screen.getAllByTestId(/^audit-event-/)).toHaveLength(3),
    );
    expect(
      screen.queryByRole('button', { name: 'Show older events' }),
    ).not.toBeInTheDocument();
    expect(api.calls.map(c => c.pageToken)).toEqual(['', '2']);
  });

  it("merges the histories of a component's entries, naming each event's entry", async () => {
    // Given
    const other = event(4, 'entry.delete', {
      targetId: 'e2',
      before: entryJson({
        id: 'e2',
        spiffe_id: 'spiffe://example.org/ns/payments/batch',
      }),
    });
    const api = new FakeAuditApi({ e1: [update], e2: [other] }, [
      create(EntrySchema, {
        id: 'e1',
        spiffeId: 'spiffe://example.org/ns/payments/api',
      }),
      create(EntrySchema, {
        id: 'e2',
        spiffeId: 'spiffe://example.org/ns/payments/batch',
      }),
    ]);

    // When
    await renderHistory(api, {
      scope: { kubernetesNamespaces: ['payments'] },
    });

    // Then
    const rows = await screen.findAllByTestId(/^audit-event-/);
    expect(rows.map(r => r.dataset.testid)).toEqual([
      'audit-event-4',
      'audit-event-3',
    ]);
    expect(rows[0]).toHaveTextContent(
      'deleted the entry (entry.delete)spiffe://example.org/ns/payments/batch',
    );
    expect(within(rows[0]).getByTestId('diff-spiffe_id')).toHaveTextContent(
      '− spiffe://example.org/ns/payments/batch(none)',
    );
    expect(
      screen.getByRole('table', {
        name: "Change history of this component's entries, newest first",
      }),
    ).toBeInTheDocument();
  });

  it('says so when nothing was recorded', async () => {
    // When
    await renderHistory(new FakeAuditApi({}), { entryId: 'e1' });

    // Then
    expect(await screen.findByText('No recorded change')).toBeInTheDocument();
  });

  it('explains a refusal and tries again', async () => {
    // Given
    const api = new FakeAuditApi({ e1: [update] });
    api.failNext = toSpireMgmtError(
      new ConnectError('caller has no role', Code.PermissionDenied),
    );

    // When
    await renderHistory(api, { entryId: 'e1' });

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );

    // When
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Try again' }));

    // Then
    expect(await screen.findByTestId('audit-event-3')).toBeInTheDocument();
  });

  it('keeps the events shown when an older page fails, and says why', async () => {
    // Given
    const api = new FakeAuditApi({ e1: [update, sync, created] });
    await renderHistory(api, { entryId: 'e1', pageSize: 2 });
    await screen.findByTestId('audit-event-3');
    api.failNext = toSpireMgmtError(
      new ConnectError('no healthy upstream', Code.Unavailable),
    );

    // When
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Show older events' }));

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'spire-mgmt cannot be reached',
    );
    expect(screen.getAllByTestId(/^audit-event-/)).toHaveLength(2);
    expect(
      screen.getByRole('button', { name: 'Show older events' }),
    ).toBeEnabled();
  });
});
