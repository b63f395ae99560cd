import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  EntryRequest,
  EntryRequestKind,
  EntryRequestState,
  EntryRequestUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtNotificationsConfig } from '../config';

/** The topic of every notification the plugin sends (users can mute it in their notification settings). */
export const ENTRY_REQUEST_TOPIC = 'SPIFFE entry requests';

/** Longest justification or reason quoted in a notification; the request page has the whole text. */
const MAX_QUOTE = 300;

const VERBS: Record<EntryRequestKind, string> = {
  [EntryRequestKind.UNSPECIFIED]: 'change',
  [EntryRequestKind.CREATE]: 'create',
  [EntryRequestKind.UPDATE]: 'change',
  [EntryRequestKind.DELETE]: 'delete',
};

/**
 * The Backstage user a spire-mgmt principal is, when it is one: the plugin puts the user's entity ref in the
 * tokens it mints (`upn`), so a request made through Backstage names it as its requester person. Other
 * principals (API keys of CI, SPIFFE IDs) are no Backstage user: undefined.
 */
export function backstageUserOf(principal: string): string | undefined {
  if (!/^user:/i.test(principal)) {
    return undefined;
  }
  try {
    return stringifyEntityRef(parseEntityRef(principal));
  } catch {
    return undefined;
  }
}

/** A principal for people: a user of the default namespace by name, anything else as it is. */
function displayName(principal: string): string {
  const user = backstageUserOf(principal);
  if (!user) {
    return principal || 'someone';
  }
  const { namespace, name } = parseEntityRef(user);
  return namespace === 'default' ? name : `${namespace}/${name}`;
}

function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_QUOTE
    ? `${oneLine.slice(0, MAX_QUOTE - 1)}…`
    : oneLine;
}

/** What the request asks, e.g. `create the entry spiffe://example.org/ns/payments/sa/api`. */
function change(request: EntryRequest): string {
  const entry = request.proposedEntry ?? request.entryBefore;
  return `${VERBS[request.kind]} the entry ${
    entry?.spiffeId || request.entryId
  }`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The requester's notification about how its request ended, or undefined for an ending it caused itself. */
function decision(
  update: EntryRequestUpdate,
  request: EntryRequest,
):
  | { title: string; description: string; severity: 'normal' | 'high' }
  | undefined {
  const by = displayName(request.decidedBy || update.actor);
  const what = change(request);
  switch (update.event) {
    case 'apply':
      // Applied at once on submit (no approval needed): the requester did it and knows.
      if (request.approvalsRequired === 0) {
        return undefined;
      }
      return {
        title: `Approved and applied: ${what}`,
        description: `${by} gave the last approval your request needed, and the change was applied. The sites now sync it.`,
        severity: 'normal',
      };
    case 'reject':
      return {
        title: `Rejected: ${what}`,
        description: `${by} rejected your request: ${quote(
          request.decisionMessage,
        )}`,
        severity: 'high',
      };
    case 'conflict':
      return {
        title: `Not applied, the entry changed: ${what}`,
        description: `On ${by}'s approval the entry had changed since your request was based on it, so nothing was written: ${quote(
          request.decisionMessage,
        )}`,
        severity: 'high',
      };
    case 'fail':
      return {
        title: `Not applied, the change no longer validates: ${what}`,
        description: `On ${by}'s approval the change was refused${
          request.failureReason ? ` (${request.failureReason})` : ''
        }, so nothing was written: ${quote(request.decisionMessage)}`,
        severity: 'high',
      };
    case 'expire':
      return {
        title: `Expired: ${what}`,
        description: `Nobody decided your request in time, so it expired without a change. Submit it again if it is still needed.`,
        severity: 'normal',
      };
    default:
      return undefined;
  }
}

/**
 * The notifications one update of the entry request stream calls for:
 *
 * - `submit` of a request that waits for approval: one to the approvers (`settings.approvers`, without the
 *   requester, who may not approve its own request) saying who asks for what, why, and why it needs approval;
 * - `apply` after approval, `reject` (with the reason), `conflict`, `fail` (with what went wrong) and `expire`:
 *   one to the requester, when it is a Backstage user.
 *
 * Nothing for the other events: `approve` is an approval that leaves the request PENDING (the last approval
 * arrives as `apply`, `conflict` or `fail`), `cancel` is the requester's own doing. Each notification links
 * to the request's page and carries a scope per request and audience, so sending it again (after a restart)
 * updates the notification the user has instead of adding a second one.
 */
export function entryRequestNotifications(
  update: EntryRequestUpdate,
  settings: SpireMgmtNotificationsConfig,
): NotificationSendOptions[] {
  const request = update.entryRequest;
  if (!request?.id) {
    return [];
  }
  const link = `${settings.requestPagePath}/${encodeURIComponent(request.id)}`;
  const requester = backstageUserOf(request.requesterPerson);
  if (update.event === 'submit') {
    if (
      request.state !== EntryRequestState.PENDING ||
      request.approvalsRequired === 0
    ) {
      return [];
    }
    const reasons = request.approvalReasons.length
      ? ` (${request.approvalReasons.join('; ')})`
      : '';
    return [
      {
        recipients: {
          type: 'entity',
          entityRef: settings.approvers,
          ...(requester ? { excludeEntityRef: requester } : {}),
        },
        payload: {
          title: `Awaits your approval: ${change(request)}`,
          description: `${displayName(
            request.requesterPerson,
          )} asks for it: ${quote(request.justification)}. It needs ${plural(
            request.approvalsRequired,
            'approval',
          )}${reasons}.`,
          link,
          severity: 'normal',
          topic: ENTRY_REQUEST_TOPIC,
          scope: `spire-mgmt/entry-request/${request.id}/approval`,
          metadata: { spireMgmtEntryRequestId: request.id },
        },
      },
    ];
  }
  const outcome = decision(update, request);
  if (!outcome || !requester) {
    return [];
  }
  return [
    {
      recipients: { type: 'entity', entityRef: requester },
      payload: {
        ...outcome,
        link,
        topic: ENTRY_REQUEST_TOPIC,
        scope: `spire-mgmt/entry-request/${request.id}/decision`,
        metadata: { spireMgmtEntryRequestId: request.id },
      },
    },
  ];
}
