import {
  EntryRequest,
  EntryRequestState,
  getSpireMgmtErrorDetails,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { describeError, ErrorContext, ErrorDescription } from '../shared';

/** Why an approval or rejection was refused, and what the approver can do about it. */
export function describeDecisionError(
  error: unknown,
  context: ErrorContext,
): ErrorDescription {
  const details = getSpireMgmtErrorDetails(error);
  const said = details?.message ?? '';
  switch (details?.reason) {
    case 'SELF_APPROVAL':
      return {
        title: 'This is your own request',
        message: `${said}. Four eyes: another Admin or Operator must decide it. You may cancel it instead.`,
      };
    case 'ROLE_NOT_ALLOWED':
      return {
        title: 'Your spire-mgmt role cannot decide requests',
        message: `${said}. Only Admins and Operators approve or reject requests. Roles come from your Backstage groups: ask an administrator to map one of your groups to the Operator role (spireMgmt.roles in the app configuration).`,
      };
    case 'REQUEST_NOT_PENDING':
      return {
        title: 'This request is no longer pending',
        message: `${said}. It was decided, cancelled or expired in the meantime: nothing more to do here.`,
      };
    case 'CONCURRENT_UPDATE':
      return {
        title: 'Another decision on this request is being written',
        message: `${said}. Wait a moment: the queue shows the request as it then stands, and you can decide again if it is still pending.`,
      };
    case 'REQUEST_NOT_FOUND':
      return {
        title: 'This request is gone',
        message: `${said}. It does not exist, or it is no longer visible to you.`,
      };
    case 'ENTRY_ALREADY_EXISTS':
      return {
        title: 'A similar entry appeared at the same moment',
        message: `${said}. An entry with the same SPIFFE ID, parent and selectors was created while you approved: the request stays pending and cannot be applied as it is. Reject it with that reason so the requester can change it.`,
      };
    default:
      if (details?.code === 'INVALID_ARGUMENT') {
        return {
          title: 'spire-mgmt refused the decision',
          message: `${said}${
            details.field ? ` (field ${details.field})` : ''
          }.`,
        };
      }
      return describeError(error, context);
  }
}

/** What came of an approval or rejection, as the service answered the request. */
export function describeDecisionOutcome(request: EntryRequest): string {
  const what = request.proposedEntry?.spiffeId || request.entryBefore?.spiffeId;
  const of = what ? ` of ${what}` : '';
  switch (request.state) {
    case EntryRequestState.APPLIED:
      return `Approved and applied: the change${of} is written and on its way to its sites.`;
    case EntryRequestState.PENDING: {
      const missing = request.approvalsRequired - request.approvals.length;
      return `Approved: the request${of} waits for ${missing} more approval${
        missing === 1 ? '' : 's'
      } by another approver.`;
    }
    case EntryRequestState.CONFLICT:
      return `Approved, but the entry${of} changed since the request was made: nothing was written and the request ended in CONFLICT. The requester can submit it again on the current entry.`;
    case EntryRequestState.FAILED:
      return `Approved, but the change${of} no longer validates: ${
        request.decisionMessage || request.failureReason
      }. Nothing was written; the request ended FAILED.`;
    case EntryRequestState.REJECTED:
      return `Rejected: the request${of} is closed and its requester sees your reason.`;
    default:
      return `The request${of} is now ${EntryRequestState[request.state]}.`;
  }
}
