import { create, MessageInitShape } from '@bufbuild/protobuf';
import {
  EntryRequestKind,
  EntryRequestSchema,
  EntryRequestState,
  EntryRequestUpdateSchema,
  EntrySchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  backstageUserOf,
  ENTRY_REQUEST_TOPIC,
  entryRequestNotifications,
} from './entryRequestNotifications';

const ID = '0193a1b2-0000-7000-8000-000000000001';
const SPIFFE_ID = 'spiffe://example.org/ns/payments/sa/api';
const settings = {
  approvers: ['group:default/platform', 'user:default/jane'],
  requestPagePath: '/spire-mgmt/requests',
};

function update(
  event: string,
  request: MessageInitShape<typeof EntryRequestSchema>,
) {
  return create(EntryRequestUpdateSchema, {
    event,
    actor: 'user:default/carol',
    cursor: 'c-1',
    entryRequest: create(EntryRequestSchema, {
      id: ID,
      kind: EntryRequestKind.CREATE,
      state: EntryRequestState.PENDING,
      proposedEntry: create(EntrySchema, { spiffeId: SPIFFE_ID }),
      justification: 'The payments API needs an identity',
      requester: 'user:default/alice',
      requesterPerson: 'user:default/alice',
      approvalsRequired: 1,
      approvalReasons: ['site eu-prod: changes by Developers need approval'],
      ...request,
    }),
  });
}

describe('entryRequestNotifications', () => {
  it('tellsTheApproversButNotTheRequesterOfARequestAwaitingApproval', () => {
    // Given alice's request to create an entry, waiting for one approval
    // When its submit arrives
    const sent = entryRequestNotifications(update('submit', {}), settings);

    // Then one notification goes to the approvers, without alice, saying who asks what and why, linking the page
    expect(sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['group:default/platform', 'user:default/jane'],
          excludeEntityRef: 'user:default/alice',
        },
        payload: {
          title: `Awaits your approval: create the entry ${SPIFFE_ID}`,
          description:
            'alice asks for it: The payments API needs an identity. It needs 1 approval (site eu-prod: changes by Developers need approval).',
          link: `/spire-mgmt/requests/${ID}`,
          severity: 'normal',
          topic: ENTRY_REQUEST_TOPIC,
          scope: `spire-mgmt/entry-request/${ID}/approval`,
          metadata: { spireMgmtEntryRequestId: ID },
        },
      },
    ]);
  });

  it('tellsTheRequesterWhyItsRequestWasRejected', () => {
    // Given carol rejected alice's request to delete an entry, with a reason
    const rejected = update('reject', {
      kind: EntryRequestKind.DELETE,
      state: EntryRequestState.REJECTED,
      proposedEntry: undefined,
      entryBefore: create(EntrySchema, { spiffeId: SPIFFE_ID }),
      decidedBy: 'user:default/carol',
      decisionMessage: 'Still used by the batch jobs',
    });

    // When it arrives
    const [sent, ...more] = entryRequestNotifications(rejected, settings);

    // Then alice alone hears it, with the reason, at high severity, linking the request
    expect(more).toEqual([]);
    expect(sent.recipients).toEqual({
      type: 'entity',
      entityRef: 'user:default/alice',
    });
    expect(sent.payload).toMatchObject({
      title: `Rejected: delete the entry ${SPIFFE_ID}`,
      description: 'carol rejected your request: Still used by the batch jobs',
      severity: 'high',
      link: `/spire-mgmt/requests/${ID}`,
      scope: `spire-mgmt/entry-request/${ID}/decision`,
    });
  });

  it('tellsTheRequesterOfEachEndingItDidNotCause', () => {
    // Given the endings of a request that needed approval
    const endings = {
      apply: EntryRequestState.APPLIED,
      conflict: EntryRequestState.CONFLICT,
      fail: EntryRequestState.FAILED,
      expire: EntryRequestState.EXPIRED,
    };

    // When each arrives
    const titles = Object.entries(endings).map(([event, state]) => {
      const sent = entryRequestNotifications(
        update(event, {
          state,
          decidedBy: event === 'expire' ? '' : 'user:default/carol',
          decisionMessage:
            {
              conflict: 'the entry moved past revision 3',
              fail: 'site eu-prod was deleted',
            }[event] ?? '',
          failureReason: event === 'fail' ? 'SITE_NOT_FOUND' : '',
        }),
        settings,
      );
      expect(sent).toHaveLength(1);
      expect(sent[0].recipients).toEqual({
        type: 'entity',
        entityRef: 'user:default/alice',
      });
      return [sent[0].payload.title, sent[0].payload.description];
    });

    // Then each says what happened to the change
    expect(titles).toEqual([
      [
        `Approved and applied: create the entry ${SPIFFE_ID}`,
        'carol gave the last approval your request needed, and the change was applied. The sites now sync it.',
      ],
      [
        `Not applied, the entry changed: create the entry ${SPIFFE_ID}`,
        "On carol's approval the entry had changed since your request was based on it, so nothing was written: the entry moved past revision 3",
      ],
      [
        `Not applied, the change no longer validates: create the entry ${SPIFFE_ID}`,
        "On carol's approval the change was refused (SITE_NOT_FOUND), so nothing was written: site eu-prod was deleted",
      ],
      [
        `Expired: create the entry ${SPIFFE_ID}`,
        'Nobody decided your request in time, so it expired without a change. Submit it again if it is still needed.',
      ],
    ]);
  });

  it('sendsNothingForWhatTheRequesterDidOrForAnIntermediateApproval', () => {
    // Given a change applied at once (no approval needed), a cancellation, and the first of two approvals
    const appliedAtOnce = update('apply', {
      state: EntryRequestState.APPLIED,
      approvalsRequired: 0,
      approvalReasons: [],
    });
    const cancelled = update('cancel', { state: EntryRequestState.CANCELLED });
    const firstOfTwo = update('approve', { approvalsRequired: 2 });

    // When they arrive
    // Then no notification is sent
    expect(entryRequestNotifications(appliedAtOnce, settings)).toEqual([]);
    expect(entryRequestNotifications(cancelled, settings)).toEqual([]);
    expect(entryRequestNotifications(firstOfTwo, settings)).toEqual([]);
  });

  it('tellsNoRequesterThatIsNoBackstageUserButStillTheApprovers', () => {
    // Given requests made with a CI API key and by an mTLS workload
    const byApiKey = { requester: 'apikey:ci', requesterPerson: 'apikey:ci' };
    const bySpiffeId = {
      requester: 'spiffe://example.org/ci',
      requesterPerson: 'spiffe://example.org/ci',
    };

    // When they are submitted and rejected
    const submitted = entryRequestNotifications(
      update('submit', byApiKey),
      settings,
    );
    const rejected = [byApiKey, bySpiffeId].flatMap(by =>
      entryRequestNotifications(
        update('reject', { ...by, state: EntryRequestState.REJECTED }),
        settings,
      ),
    );

    // Then the approvers hear of the submit (nobody excluded) and nobody of the rejections
    expect(submitted).toHaveLength(1);
    expect(submitted[0].recipients).toEqual({
      type: 'entity',
      entityRef: settings.approvers,
    });
    expect(submitted[0].payload.description).toMatch(/^apikey:ci asks for it/);
    expect(rejected).toEqual([]);
  });

  it('shortensALongJustificationToOneLine', () => {
    // Given a justification of 2000 characters over several lines
    const justification = `first line\n${'x'.repeat(1990)}`;

    // When the request is submitted
    const [sent] = entryRequestNotifications(
      update('submit', { justification }),
      settings,
    );

    // Then the description quotes its start on one line, cut with an ellipsis
    const quoted = sent.payload.description!.split(' asks for it: ')[1];
    expect(quoted.startsWith('first line xxx')).toBe(true);
    expect(quoted.indexOf('…')).toBe(299);
  });
});

describe('backstageUserOf', () => {
  it('takesOnlyUserEntityRefs', () => {
    expect(backstageUserOf('user:default/alice')).toBe('user:default/alice');
    expect(backstageUserOf('User:team-a/Bob')).toBe('user:team-a/bob');
    expect(backstageUserOf('apikey:ci')).toBeUndefined();
    expect(backstageUserOf('spiffe://example.org/ci')).toBeUndefined();
    expect(backstageUserOf('plugin:spire-mgmt/notifications')).toBeUndefined();
    expect(backstageUserOf('user:')).toBeUndefined();
    expect(backstageUserOf('')).toBeUndefined();
  });
});
