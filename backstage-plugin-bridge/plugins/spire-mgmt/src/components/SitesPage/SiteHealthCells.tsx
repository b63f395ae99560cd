import { ReactNode } from 'react';
import { Link } from '@backstage/core-components';
import TableCell from '@material-ui/core/TableCell';
import Typography from '@material-ui/core/Typography';
import { SiteHealth } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { formatDuration, formatTime } from '../shared';

function Line(props: { children: ReactNode; color?: 'error' }) {
  return (
    <Typography variant="body2" color={props.color}>
      {props.children}
    </Typography>
  );
}

/** A site's health in the sites table's cells: agent, lag, entries, failing pairs, unmanaged entries. */
export function SiteHealthCells(props: {
  siteName: string;
  health: SiteHealth;
  failingEntriesLink: string;
}) {
  const { siteName, health, failingEntriesLink } = props;
  const { agent } = health;
  const failing = Number(health.failedCount);
  return (
    <>
      <TableCell>
        {!agent && <Line>No agent has taken the site yet</Line>}
        {agent && (
          <>
            <Line color={agent.connected ? undefined : 'error'}>
              <strong>{agent.connected ? 'Connected' : 'Not connected'}</strong>
              {agent.agentId
                ? ` (${[agent.agentId, agent.agentVersion]
                    .filter(Boolean)
                    .join(', ')})`
                : ''}
            </Line>
            <Line>Last poll: {formatTime(agent.lastPollTime)}</Line>
            {agent.spireReachable ? (
              <Line>SPIRE server reachable</Line>
            ) : (
              <Line color="error">
                SPIRE server unreachable
                {agent.spireError ? `: ${agent.spireError}` : ''}
              </Line>
            )}
          </>
        )}
      </TableCell>
      <TableCell>
        <Line>{agent ? formatDuration(agent.lag) : 'unknown'}</Line>
        {health.oldestPendingTime && (
          <Line>
            Oldest waiting change since {formatTime(health.oldestPendingTime)}
          </Line>
        )}
        <Line>Last sync: {formatTime(health.lastSyncTime)}</Line>
      </TableCell>
      <TableCell>
        <Line>{String(health.entriesTotal)} in all</Line>
        <Line>
          {String(health.syncedCount)} synced, {String(health.pendingCount)}{' '}
          pending, {String(health.deletingCount)} deleting
        </Line>
      </TableCell>
      <TableCell>
        {failing > 0 ? (
          <Line color="error">
            <Link
              to={failingEntriesLink}
              aria-label={`${failing} failing at ${siteName}: show these entries`}
            >
              {failing} failing
            </Link>
          </Line>
        ) : (
          <Line>none</Line>
        )}
      </TableCell>
      <TableCell>
        {health.namespaceScoped ? (
          <Line>Not shown to your role (it sees its namespaces only)</Line>
        ) : (
          <>
            <Line>{agent ? String(agent.unmanagedCount) : 'unknown'}</Line>
            {agent && (
              <Line>
                Last full reconcile: {formatTime(agent.lastFullReconcileTime)}
              </Line>
            )}
          </>
        )}
      </TableCell>
    </>
  );
}
