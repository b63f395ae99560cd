import {
  EntryRequest,
  EntryRequestState,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** A request in the queue: one awaiting the user's decision, or the user's own (which others decide). */
export interface QueueRow {
  request: EntryRequest;
  own: boolean;
}

/** What a streamed change of a request does to the queue. */
export type QueueChange =
  /** The request leaves the queue (decided, or approved by the user already). */
  | { type: 'remove'; id: string }
  /** The request is in the queue and stays, as it now stands. */
  | { type: 'replace'; row: QueueRow }
  /** The user's own new request: it joins, without decision buttons. */
  | { type: 'add'; row: QueueRow }
  /**
   * Someone else's PENDING request that is not in the queue: it joins only if the service lists it as
   * awaiting the user's decision (which depends on the user's role, known to the service alone).
   */
  | { type: 'check'; request: EntryRequest };

/**
 * How a change of `request` (as the request update stream carries it) affects the queue of `me` (the user
 * as the service names a person: its Backstage entity ref). Pure: the queue applies it.
 */
export function queueChangeFor(
  rows: QueueRow[],
  request: EntryRequest,
  me: string,
): QueueChange {
  const present = rows.find(r => r.request.id === request.id);
  const own = request.requesterPerson === me;
  if (
    request.state !== EntryRequestState.PENDING ||
    (!own && request.approvals.some(a => a.approverPerson === me))
  ) {
    return { type: 'remove', id: request.id };
  }
  if (present) {
    return { type: 'replace', row: { request, own: present.own } };
  }
  if (own) {
    return { type: 'add', row: { request, own: true } };
  }
  return { type: 'check', request };
}

function newestFirst(a: QueueRow, b: QueueRow): number {
  const at = a.request.createTime;
  const bt = b.request.createTime;
  const diff =
    (bt?.seconds ?? 0n) - (at?.seconds ?? 0n) ||
    BigInt((bt?.nanos ?? 0) - (at?.nanos ?? 0));
  if (diff !== 0n) {
    return diff > 0n ? 1 : -1;
  }
  return a.request.id.localeCompare(b.request.id);
}

/** The queue with `row` in it (replacing the request's row if present), newest request first. */
export function withRow(rows: QueueRow[], row: QueueRow): QueueRow[] {
  return [...rows.filter(r => r.request.id !== row.request.id), row].sort(
    newestFirst,
  );
}

/** The queue without the request `id`. */
export function withoutRow(rows: QueueRow[], id: string): QueueRow[] {
  return rows.filter(r => r.request.id !== id);
}
