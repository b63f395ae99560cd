import {
  EntryRequest,
  EntryRequestKind,
  EntryRequestState,
  EntryRequestUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

// A request only moves forward: PENDING gathers approvals, then leaves PENDING once and for all.
function progress(request: EntryRequest): [number, number] {
  return [
    request.state === EntryRequestState.PENDING ? 0 : 1,
    request.approvals.length,
  ];
}

/** Whether `a` is a later version of the same request than `b`. */
function isLater(a: EntryRequest, b: EntryRequest): boolean {
  const [stateA, approvalsA] = progress(a);
  const [stateB, approvalsB] = progress(b);
  return stateA > stateB || (stateA === stateB && approvalsA > approvalsB);
}

/**
 * The request after a streamed update: the update's version when it is about this request and later than
 * the one shown (the stream may repeat what the read already had), keeping `entry_current`, which only
 * GetEntryRequest fills in; else `request` itself.
 */
export function applyRequestUpdate(
  request: EntryRequest,
  update: EntryRequestUpdate,
): EntryRequest {
  const next = update.entryRequest;
  if (!next || next.id !== request.id || !isLater(next, request)) {
    return request;
  }
  return { ...next, entryCurrent: request.entryCurrent };
}

/** Whether the request is decided (it never changes again). */
export function isDecided(request: EntryRequest): boolean {
  return request.state !== EntryRequestState.PENDING;
}

/** What the request asks for, in words. */
export function kindLabel(kind: EntryRequestKind): string {
  switch (kind) {
    case EntryRequestKind.CREATE:
      return 'Request to create an entry';
    case EntryRequestKind.DELETE:
      return 'Request to delete an entry';
    default:
      return 'Request to change an entry';
  }
}

/** Where the request stands, in words: a headline and what it means for the requester. */
export function describeState(request: EntryRequest): {
  headline: string;
  detail: string;
} {
  const decidedBy = request.decidedBy || 'an approver';
  switch (request.state) {
    case EntryRequestState.PENDING:
      return {
        headline: `Waiting for approval: ${request.approvals.length} of ${request.approvalsRequired}`,
        detail:
          'An Admin or Operator other than you decides; this page follows the decision live.',
      };
    case EntryRequestState.APPLIED:
      return {
        headline: 'Applied',
        detail:
          request.kind === EntryRequestKind.DELETE
            ? 'The entry is deleted centrally; the sites remove it from their SPIRE servers.'
            : 'The entry is stored; the sites apply it to their SPIRE servers.',
      };
    case EntryRequestState.REJECTED:
      return {
        headline: `Rejected by ${decidedBy}`,
        detail: `Reason: ${request.decisionMessage || 'none given'}`,
      };
    case EntryRequestState.CANCELLED:
      return {
        headline: 'Cancelled',
        detail: `Withdrawn by ${decidedBy}; nothing was changed.`,
      };
    case EntryRequestState.EXPIRED:
      return {
        headline: 'Expired',
        detail:
          'Nobody decided in time; nothing was changed. Submit the request again if it is still needed.',
      };
    case EntryRequestState.CONFLICT:
      return {
        headline: 'Not applied: the entry changed in the meantime',
        detail: `${
          request.decisionMessage ||
          'The entry moved on since the request was based on it.'
        } Nothing was written: request the change again from the entry as it is now.`,
      };
    case EntryRequestState.FAILED:
      return {
        headline: 'Not applied: the change no longer validates',
        detail: `${request.decisionMessage || 'The change was refused.'}${
          request.failureReason ? ` (${request.failureReason})` : ''
        } Nothing was written.`,
      };
    default:
      return { headline: 'Unknown state', detail: '' };
  }
}
