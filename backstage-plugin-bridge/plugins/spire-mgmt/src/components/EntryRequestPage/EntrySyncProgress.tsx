import { useApi } from '@backstage/core-plugin-api';
import { Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  Entry,
  getSpireMgmtErrorDetails,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import {
  applySyncUpdate,
  ErrorContext,
  ErrorPanel,
  SiteStatusList,
  useLiveValue,
} from '../shared';

const SYNC_CONTEXT: ErrorContext = {
  roles:
    "Following an entry's sync needs the Viewer, Developer (for the entry's namespaces), Operator or Admin role.",
  inputHint: 'Reload the page.',
};

/** Whether the entry has reached its end state at every site: SYNCED, or for a deletion gone. */
function arrived(entry: Entry | null, deletion: boolean): boolean {
  if (entry === null) {
    return true;
  }
  return deletion
    ? entry.siteStatuses.length === 0
    : entry.siteStatuses.every(s => s.syncState === SyncState.SYNCED);
}

function summary(entry: Entry | null, deletion: boolean): string {
  if (entry === null) {
    return deletion
      ? 'Removed from every site.'
      : 'The entry no longer exists: it was deleted since.';
  }
  const statuses = entry.siteStatuses;
  if (statuses.length === 0) {
    return deletion
      ? 'Removed from every site.'
      : 'The entry is kept centrally only: no site holds it.';
  }
  const failing = statuses.filter(s => s.syncState === SyncState.FAILED);
  if (deletion) {
    return `Being removed: ${statuses.length} site${
      statuses.length === 1 ? '' : 's'
    } still to confirm${failing.length ? `, ${failing.length} failing` : ''}.`;
  }
  const synced = statuses.filter(s => s.syncState === SyncState.SYNCED);
  if (synced.length === statuses.length) {
    return `Active at every site: SYNCED at ${synced.length} of ${statuses.length}.`;
  }
  return `Syncing: SYNCED at ${synced.length} of ${statuses.length} sites${
    failing.length
      ? `; ${failing.length} failing (see below for why and what to do)`
      : ''
  }.`;
}

/**
 * An applied request's entry at its sites, live from StreamSyncUpdates until it is SYNCED everywhere (or,
 * for a deletion, gone everywhere); a failing site shows its error and what to do about it.
 */
export function EntrySyncProgress(props: {
  entryId: string;
  deletion: boolean;
}) {
  const { entryId, deletion } = props;
  const api = useApi(spireMgmtApiRef);
  const live = useLiveValue<Entry | null, SyncUpdate>(entryId, {
    read: () =>
      api.getEntry(entryId).catch(error => {
        if (getSpireMgmtErrorDetails(error)?.code === 'NOT_FOUND') {
          return null;
        }
        throw error;
      }),
    follow: signal => api.streamSyncUpdates({ entryIds: [entryId], signal }),
    apply: (entry, update) =>
      entry === null ? entry : applySyncUpdate([entry], update)[0],
    settled: entry => arrived(entry, deletion),
  });
  if (live.error !== undefined) {
    return (
      <ErrorPanel
        error={live.error}
        context={SYNC_CONTEXT}
        action={{ label: 'Try again', onClick: live.reload }}
      />
    );
  }
  if (live.value === undefined) {
    return <Progress />;
  }
  const entry = live.value;
  return (
    <Box>
      <Typography role="status" aria-live="polite">
        {summary(entry, deletion)}
      </Typography>
      {live.streamError !== undefined && !arrived(entry, deletion) && (
        <ErrorPanel
          error={live.streamError}
          context={SYNC_CONTEXT}
          action={{ label: 'Reload and follow again', onClick: live.reload }}
        />
      )}
      {entry && entry.siteStatuses.length > 0 && (
        <SiteStatusList statuses={entry.siteStatuses} />
      )}
    </Box>
  );
}
