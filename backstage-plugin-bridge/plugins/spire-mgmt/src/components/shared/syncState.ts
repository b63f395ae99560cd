import {
  Entry,
  EntrySiteStatus,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** A sync state in words. */
export const SYNC_STATE_LABELS: Record<SyncState, string> = {
  [SyncState.UNSPECIFIED]: 'unknown',
  [SyncState.PENDING]: 'pending',
  [SyncState.SYNCED]: 'synced',
  [SyncState.FAILED]: 'failed',
  [SyncState.DELETING]: 'deleting',
  [SyncState.REMOVED]: 'removed',
};

// The stream reports changes of state or error, not every retry that fails the same way: a run of failures
// counts from its first report, and the count read with the entries stands until they are read again.
function failedAttemptsAfter(
  state: SyncState,
  previous: EntrySiteStatus | undefined,
): number {
  if (state !== SyncState.FAILED) {
    return 0;
  }
  return previous?.syncState === SyncState.FAILED
    ? Math.max(previous.failedAttempts, 1)
    : 1;
}

/** Applies one sync update to the entries: the site's row changes, or goes when the entry left the site. */
export function applySyncUpdate(entries: Entry[], update: SyncUpdate): Entry[] {
  return entries.map(entry => {
    // An update about an older revision than the one shown says nothing about the current one.
    if (entry.id !== update.entryId || update.revision < entry.revision) {
      return entry;
    }
    const others = entry.siteStatuses.filter(s => s.siteId !== update.siteId);
    if (update.syncState === SyncState.REMOVED) {
      return { ...entry, siteStatuses: others };
    }
    const previous = entry.siteStatuses.find(s => s.siteId === update.siteId);
    const status: EntrySiteStatus = {
      ...(previous ?? {
        $typeName: 'spire.mgmt.v1.EntrySiteStatus',
        siteId: update.siteId,
        siteName: update.siteId,
        spireEntryId: '',
        failedAttempts: 0,
      }),
      syncState: update.syncState,
      lastError: update.lastError,
      lastSyncTime:
        update.syncState === SyncState.SYNCED
          ? update.changeTime
          : previous?.lastSyncTime,
      failedAttempts: failedAttemptsAfter(update.syncState, previous),
    };
    const siteStatuses = previous
      ? entry.siteStatuses.map(s => (s.siteId === update.siteId ? status : s))
      : [...entry.siteStatuses, status];
    return { ...entry, siteStatuses };
  });
}
