import { identityApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
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
  ListEntryRequestsResponse,
  ListEntryRequestsResponseSchema,
  SelectorSchema,
  Site,
  SiteSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  SpireMgmtApi,
  SpireMgmtEntryRequestListOptions,
  spireMgmtApiRef,
} from '../../api';
import { PushStream } from '../../__testUtils__/PushStream';
import { serviceError } from '../../__testUtils__/serviceError';
import { ApproverQueue } from './ApproverQueue';

const ME = 'user:default/olivia';

// Dialogs, focus moves and typing take seconds of jsdom work on a busy 2-core machine.
jest.setTimeout(30_000);

/**
 * A fake of the spire-mgmt API speaking the generated types: the requests awaiting the user and the user's
 * own, the requests as GetEntryRequest answers them, decisions recorded and answered as configured, and a
 * request update stream the test pushes into.
 */
class FakeQueueApi implements Partial<SpireMgmtApi> {
  awaiting: EntryRequest[] = [];
  mine: EntryRequest[] = [];
  current: Record<string, Entry | undefined> = {};
  lists: SpireMgmtEntryRequestListOptions[] = [];
  approvals: Array<{ id: string; comment?: string }> = [];
  rejections: Array<{ id: string; reason: string }> = [];
  sites: Site[] = [create(SiteSchema, { id: 's1', name: 'eu-west' })];
  listError: unknown;
  decisionError: unknown;
  readonly updates = new PushStream<
    EntryRequestUpdate,
    { cursor?: string; signal: AbortSignal }
  >();

  async listEntryRequests(
    options: SpireMgmtEntryRequestListOptions,
  ): Promise<ListEntryRequestsResponse> {
    this.lists.push(options);
    if (this.listError) {
      throw this.listError;
    }
    const source = options.mine ? this.mine : this.awaiting;
    return create(ListEntryRequestsResponseSchema, {
      entryRequests: source.filter(
        r => !options.entryId || r.entryId === options.entryId,
      ),
    });
  }

  async listSites(): Promise<Site[]> {
    return this.sites;
  }

  async getEntryRequest(id: string): Promise<EntryRequest> {
    const request = [...this.awaiting, ...this.mine].find(r => r.id === id)!;
    return create(EntryRequestSchema, {
      ...request,
      entryCurrent: this.current[request.entryId],
    });
  }

  async approveEntryRequest(options: { id: string; comment?: string }) {
    this.approvals.push(options);
    if (this.decisionError) {
      throw this.decisionError;
    }
    const request = this.awaiting.find(r => r.id === options.id)!;
    return create(EntryRequestSchema, {
      ...request,
      state: EntryRequestState.APPLIED,
    });
  }

  async rejectEntryRequest(options: { id: string; reason: string }) {
    this.rejections.push(options);
    const request = this.awaiting.find(r => r.id === options.id)!;
    return create(EntryRequestSchema, {
      ...request,
      state: EntryRequestState.REJECTED,
      decisionMessage: options.reason,
    });
  }

  streamEntryRequestUpdates(options: {
    cursor?: string;
    signal: AbortSignal;
  }): AsyncIterable<EntryRequestUpdate> {
    return this.updates.iterate(options);
  }

  send(request: EntryRequest, event: string) {
    return this.updates.push(
      create(EntryRequestUpdateSchema, { entryRequest: request, event }),
    );
  }
}

const entryV3 = create(EntrySchema, {
  id: 'e1',
  spiffeId: 'spiffe://example.org/ns/payments/api',
  parentId: 'spiffe://example.org/node',
  selectors: [
    create(SelectorSchema, { type: 'k8s:ns', value: 'payments' }),
    create(SelectorSchema, { type: 'k8s:sa', value: 'api' }),
  ],
  ttl: 3600,
  siteIds: ['s1'],
  revision: 3n,
});

function changeRequest(
  id: string,
  fields: Omit<Partial<EntryRequest>, '$typeName'> = {},
) {
  return create(EntryRequestSchema, {
    id,
    entryId: 'e1',
    kind: EntryRequestKind.UPDATE,
    state: EntryRequestState.PENDING,
    baseRevision: 3n,
    entryBefore: entryV3,
    proposedEntry: create(EntrySchema, {
      ...entryV3,
      selectors: [
        create(SelectorSchema, { type: 'k8s:ns', value: 'payments' }),
        create(SelectorSchema, { type: 'k8s:sa', value: 'batch' }),
      ],
    }),
    requester: 'user:default/alice',
    requesterPerson: 'user:default/alice',
    justification: 'the batch job needs the identity',
    approvalsRequired: 1,
    approvalReasons: ['site eu-west: changes by Developers need approval'],
    createTime: timestampFromDate(new Date('2026-12-01T10:00:00Z')),
    ...fields,
  });
}

async function renderQueue(api: FakeQueueApi) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [spireMgmtApiRef, api],
        [
          identityApiRef,
          {
            getBackstageIdentity: async () => ({
              type: 'user' as const,
              userEntityRef: ME,
              ownershipEntityRefs: [ME],
            }),
          },
        ],
      ]}
    >
      <ApproverQueue />
    </TestApiProvider>,
  );
}

function refusal(code: Code, reason: string, message: string) {
  return serviceError(code, message, { reason });
}

describe('ApproverQueue', () => {
  it('shows a pending request awaiting the user with the requested change as a diff', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.current = { e1: entryV3 };

    // When
    await renderQueue(api);

    // Then
    const row = await screen.findByTestId('queue-row-r1');
    expect(
      within(row).getByRole('heading', {
        name: 'Change of spiffe://example.org/ns/payments/api',
      }),
    ).toBeInTheDocument();
    expect(row).toHaveTextContent(
      'Requested by user:default/alice on 2026-12-01 10:00:00 UTC. 0 of 1 approval.',
    );
    expect(row).toHaveTextContent(
      'Needs approval: site eu-west: changes by Developers need approval',
    );
    const diff = await within(row).findByRole('table', {
      name: 'Requested change',
    });
    expect(within(diff).getByTestId('diff-selectors')).toHaveTextContent(
      'Selectorsk8s:ns:payments− k8s:sa:apik8s:ns:payments+ k8s:sa:batch',
    );
    expect(within(diff).queryByTestId('diff-ttl')).not.toBeInTheDocument();
    expect(within(row).queryByRole('alert')).not.toBeInTheDocument();
    expect(api.lists).toEqual([
      { awaitingMyDecision: true, pageSize: 50 },
      { mine: true, states: [EntryRequestState.PENDING], pageSize: 50 },
    ]);
  });

  it('names the sites a requested change adds, which the proposed entry carries only as ids', async () => {
    // Given a request that adds site s2 (named by the service's site list)
    const api = new FakeQueueApi();
    api.sites.push(create(SiteSchema, { id: 's2', name: 'us-east' }));
    api.awaiting = [
      changeRequest('r1', {
        proposedEntry: create(EntrySchema, {
          ...entryV3,
          siteIds: ['s1', 's2'],
        }),
      }),
    ];
    api.current = { e1: entryV3 };

    // When
    await renderQueue(api);

    // Then
    const diff = await screen.findByRole('table', { name: 'Requested change' });
    await waitFor(() =>
      expect(within(diff).getByTestId('diff-site_ids')).toHaveTextContent(
        'Siteseu-westeu-west+ us-east',
      ),
    );
  });

  it('warns when the entry moved since the request was made, with what changed', async () => {
    // Given the entry is at revision 4 with a longer TTL; the request is based on revision 3
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.current = {
      e1: create(EntrySchema, { ...entryV3, ttl: 7200, revision: 4n }),
    };

    // When
    await renderQueue(api);

    // Then
    const row = await screen.findByTestId('queue-row-r1');
    const warning = await within(row).findByRole('alert');
    expect(warning).toHaveTextContent(
      'Warning: the entry moved since the request was made',
    );
    expect(warning).toHaveTextContent(
      'based on revision 3, the entry is now at revision 4',
    );
    expect(
      within(
        within(warning).getByRole('table', {
          name: 'Changes to the entry since the request was made',
        }),
      ).getByTestId('diff-ttl'),
    ).toHaveTextContent('X.509 SVID TTL− 3600 s (1 h)+ 7200 s (2 h)');
  });

  it('approves a request with a comment, and the request leaves the queue', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.current = { e1: entryV3 };
    await renderQueue(api);
    const user = userEvent.setup();

    // When
    await user.click(
      await screen.findByRole('button', {
        name: 'Approve the change of spiffe://example.org/ns/payments/api',
      }),
    );
    const dialog = screen.getByRole('dialog', {
      name: 'Approve the change of spiffe://example.org/ns/payments/api',
    });
    await user.click(
      within(dialog).getByRole('textbox', { name: 'Comment (optional)' }),
    );
    await user.paste('looks right');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));

    // Then
    await waitFor(() =>
      expect(screen.queryByTestId('queue-row-r1')).not.toBeInTheDocument(),
    );
    expect(api.approvals).toEqual([{ id: 'r1', comment: 'looks right' }]);
    expect(screen.getByRole('status')).toHaveTextContent(
      'Approved and applied: the change of spiffe://example.org/ns/payments/api is written',
    );
    expect(
      screen.getByText('No request awaits your decision'),
    ).toBeInTheDocument();
  });

  it('requires a reason to reject, from the keyboard, and sends it', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.current = { e1: entryV3 };
    await renderQueue(api);
    const user = userEvent.setup();
    (
      await screen.findByRole('button', {
        name: 'Reject the change of spiffe://example.org/ns/payments/api',
      })
    ).focus();

    // When the user opens the dialog and submits it without a reason
    await user.keyboard('{Enter}');
    const dialog = screen.getByRole('dialog');
    const reason = within(dialog).getByRole('textbox', {
      name: 'Reason (required)',
    });
    await user.tab();
    expect(reason).toHaveFocus();
    await user.tab();
    await user.tab();
    expect(
      within(dialog).getByRole('button', { name: 'Reject' }),
    ).toHaveFocus();
    await user.keyboard('{Enter}');

    // Then nothing is sent and the field says why
    expect(
      within(dialog).getByText(
        'Give a reason: the requester reads it to change the request.',
      ),
    ).toBeInTheDocument();
    expect(reason).toHaveAttribute('aria-invalid', 'true');
    expect(api.rejections).toEqual([]);

    // When the user gives one
    await user.click(reason);
    await user.paste('the batch job has its own entry');
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));

    // Then
    await waitFor(() =>
      expect(screen.queryByTestId('queue-row-r1')).not.toBeInTheDocument(),
    );
    expect(api.rejections).toEqual([
      { id: 'r1', reason: 'the batch job has its own entry' },
    ]);
    expect(screen.getByRole('status')).toHaveTextContent(
      'Rejected: the request of spiffe://example.org/ns/payments/api is closed',
    );
  });

  it('adds a streamed request that awaits the user and removes a decided one, without reading the queue again', async () => {
    // Given a queue with r1
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    await renderQueue(api);
    await screen.findByTestId('queue-row-r1');

    // When another person submits r2, which the service lists as awaiting the user
    const r2 = changeRequest('r2', {
      createTime: timestampFromDate(new Date('2026-12-02T10:00:00Z')),
      justification: 'second',
    });
    api.awaiting = [r2, ...api.awaiting];
    await api.send(r2, 'submit');

    // Then it joins at the top
    await screen.findByTestId('queue-row-r2');
    expect(
      screen.getAllByTestId(/^queue-row-/).map(e => e.dataset.testid),
    ).toEqual(['queue-row-r2', 'queue-row-r1']);

    // When another approver rejects r1
    await api.send(
      changeRequest('r1', { state: EntryRequestState.REJECTED }),
      'reject',
    );

    // Then it leaves
    await waitFor(() =>
      expect(screen.queryByTestId('queue-row-r1')).not.toBeInTheDocument(),
    );
    // and the queue was listed once; the only later list checked the new request
    expect(api.lists.slice(2)).toEqual([
      {
        awaitingMyDecision: true,
        entryId: 'e1',
        states: [EntryRequestState.PENDING],
      },
    ]);
  });

  it('leaves out a streamed request the service does not list as awaiting the user', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    await renderQueue(api);
    await screen.findByTestId('queue-row-r1');

    // When a request the user may not decide (the service does not list it) is submitted
    await api.send(changeRequest('r9', { entryId: 'e9' }), 'submit');

    // Then
    await waitFor(() => expect(api.lists).toHaveLength(3));
    expect(screen.queryByTestId('queue-row-r9')).not.toBeInTheDocument();
  });

  it('removes a request the user approved elsewhere', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1', { approvalsRequired: 2 })];
    await renderQueue(api);
    await screen.findByTestId('queue-row-r1');

    // When the stream says the user approved it (in another tab); it still needs one more
    await api.send(
      changeRequest('r1', {
        approvalsRequired: 2,
        approvals: [
          create(EntryRequestApprovalSchema, {
            approver: ME,
            approverPerson: ME,
          }),
        ],
      }),
      'approve',
    );

    // Then
    await waitFor(() =>
      expect(screen.queryByTestId('queue-row-r1')).not.toBeInTheDocument(),
    );
  });

  it("shows the user's own pending request without an approve or reject button", async () => {
    // Given
    const api = new FakeQueueApi();
    api.mine = [changeRequest('r5', { requester: ME, requesterPerson: ME })];

    // When
    await renderQueue(api);

    // Then
    const row = await screen.findByTestId('queue-row-r5');
    expect(row).toHaveTextContent(
      'This is your request: another approver must decide it (four eyes).',
    );
    expect(within(row).queryByRole('button', { name: /^Approve/ })).toBeNull();
    expect(within(row).queryByRole('button', { name: /^Reject/ })).toBeNull();
  });

  it("adds the user's own streamed request without decision buttons", async () => {
    // Given
    const api = new FakeQueueApi();
    await renderQueue(api);
    await screen.findByText('No request awaits your decision');

    // When the user submits a request (in the wizard)
    await api.send(
      changeRequest('r6', { requester: ME, requesterPerson: ME }),
      'submit',
    );

    // Then
    const row = await screen.findByTestId('queue-row-r6');
    expect(within(row).queryByRole('button', { name: /^Approve/ })).toBeNull();
    expect(api.lists).toHaveLength(2);
  });

  it('says in words why an approval was refused and keeps the dialog open', async () => {
    // Given a decision that races another approver's
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.decisionError = refusal(
      Code.Aborted,
      'CONCURRENT_UPDATE',
      'request r1 is being decided',
    );
    await renderQueue(api);
    const user = userEvent.setup();

    // When
    await user.click(
      await screen.findByRole('button', { name: /^Approve the change/ }),
    );
    const dialog = screen.getByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));

    // Then
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent(
      'Another decision on this request is being written',
    );
    expect(alert).toHaveTextContent(
      'request r1 is being decided. Wait a moment',
    );
    expect(screen.getByTestId('queue-row-r1')).toBeInTheDocument();
  });

  it('explains an approval refused as a self-approval', async () => {
    // Given
    const api = new FakeQueueApi();
    api.awaiting = [changeRequest('r1')];
    api.decisionError = refusal(
      Code.PermissionDenied,
      'SELF_APPROVAL',
      'request r1 is yours (user:default/olivia): another approver must decide it; you may cancel it',
    );
    await renderQueue(api);
    const user = userEvent.setup();

    // When
    await user.click(
      await screen.findByRole('button', { name: /^Approve the change/ }),
    );
    await user.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Approve',
      }),
    );

    // Then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'This is your own requestrequest r1 is yours',
    );
  });

  it('tells a user without a role why the queue cannot be shown, and retries', async () => {
    // Given
    const api = new FakeQueueApi();
    api.listError = refusal(
      Code.PermissionDenied,
      'ROLE_NOT_ALLOWED',
      'caller has no role',
    );

    // When
    await renderQueue(api);

    // Then
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'You have no spire-mgmt role that allows this',
    );
    expect(alert).toHaveTextContent('spireMgmt.roles');

    // When the user gets a role and tries again
    api.listError = undefined;
    await userEvent
      .setup()
      .click(screen.getByRole('button', { name: 'Try again' }));

    // Then
    expect(
      await screen.findByText('No request awaits your decision'),
    ).toBeInTheDocument();
  });
});
