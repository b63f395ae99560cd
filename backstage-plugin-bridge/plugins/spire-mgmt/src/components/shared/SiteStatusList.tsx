import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  EntrySiteStatus,
  SyncState,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SYNC_STATE_LABELS } from './syncState';
import { syncErrorHint } from './syncErrorHint';

/** An entry's sync state at each of its sites; a failing site with its last error and what to do about it. */
export function SiteStatusList(props: { statuses: EntrySiteStatus[] }) {
  if (props.statuses.length === 0) {
    return (
      <Typography variant="body2">No site (kept centrally only)</Typography>
    );
  }
  return (
    <Box component="ul" m={0} pl={2}>
      {props.statuses.map(s => (
        <li key={s.siteId} data-testid={`site-status-${s.siteId}`}>
          <Typography variant="body2" component="span">
            {s.siteName || s.siteId}:{' '}
            <strong>{SYNC_STATE_LABELS[s.syncState]}</strong>
          </Typography>
          {s.syncState === SyncState.FAILED && (
            <Box color="error.main">
              <Typography variant="body2">
                Failing
                {s.failedAttempts > 0
                  ? ` (${s.failedAttempts} attempt${
                      s.failedAttempts === 1 ? '' : 's'
                    } in a row)`
                  : ''}
                : {s.lastError || 'the site agent gave no reason'}
              </Typography>
              <Typography variant="body2">
                {syncErrorHint(s.lastError)}
              </Typography>
            </Box>
          )}
        </li>
      ))}
    </Box>
  );
}
