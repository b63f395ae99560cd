import { useCallback, useEffect, useRef, useState } from 'react';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  SpireMgmtApi,
  SpireMgmtComponentScope,
  spireMgmtApiRef,
} from '../../api';
import { DiffTable, formatTime } from '../EntryDiff';
import { ErrorPanel, AUDIT_HISTORY } from '../shared';
import { auditActionLabel, auditEventDiff } from './auditEventDiff';
import { AuditPager, AuditSource, SourcedAuditEvent } from './auditPager';

/** Props of {@link AuditHistory}: one entry's history, or that of a component's entries. */
export type AuditHistoryProps = (
  | { entryId: string; scope?: never }
  | { scope: SpireMgmtComponentScope; entryId?: never }
) & {
  /** Events per page (default 20). */
  pageSize?: number;
};

async function sourcesOf(
  api: SpireMgmtApi,
  props: AuditHistoryProps,
): Promise<AuditSource[]> {
  if (props.entryId !== undefined) {
    return [
      { targetType: 'entry', targetId: props.entryId, label: props.entryId },
    ];
  }
  const entries = await api.listComponentEntries(props.scope);
  return entries.map(e => ({
    targetType: 'entry',
    targetId: e.id,
    label: e.spiffeId,
  }));
}

type State =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'loaded'; events: SourcedAuditEvent[]; hasMore: boolean };

/**
 * The audit history of an entry, or of a component's entries merged: newest first, a page at a time, each
 * event with its actor, action, time and its before and after as a field-by-field diff.
 */
export function AuditHistory(props: AuditHistoryProps) {
  const api = useApi(spireMgmtApiRef);
  const pageSize = props.pageSize ?? 20;
  const [state, setState] = useState<State>({ status: 'loading' });
  const [moreError, setMoreError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const pager = useRef<AuditPager>();
  const byComponent = props.scope !== undefined;
  const key =
    props.entryId ??
    `${props.scope?.spiffeIdPrefix}|${props.scope?.kubernetesNamespaces.join(
      ',',
    )}`;

  useEffect(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    setMoreError(undefined);
    (async () => {
      const sources = await sourcesOf(api, props);
      const next = new AuditPager(sources, pageSize, options =>
        api.listAuditEvents(options),
      );
      const events = await next.next();
      if (!cancelled) {
        pager.current = next;
        setState({ status: 'loaded', events, hasMore: next.hasMore() });
      }
    })().catch(error => {
      if (!cancelled) {
        setState({ status: 'error', error });
      }
    });
    return () => {
      cancelled = true;
    };
    // The props are read through `key`, which names what they select.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, pageSize, attempt]);

  const loadOlder = useCallback(async () => {
    if (!pager.current || state.status !== 'loaded') {
      return;
    }
    setBusy(true);
    setMoreError(undefined);
    try {
      const older = await pager.current.next();
      setState({
        status: 'loaded',
        events: [...state.events, ...older],
        hasMore: pager.current.hasMore(),
      });
    } catch (error) {
      setMoreError(error);
    } finally {
      setBusy(false);
    }
  }, [state]);

  if (state.status === 'loading') {
    return <Progress />;
  }
  if (state.status === 'error') {
    return (
      <ErrorPanel
        error={state.error}
        context={AUDIT_HISTORY}
        action={{ label: 'Try again', onClick: () => setAttempt(a => a + 1) }}
      />
    );
  }
  if (state.events.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No recorded change"
        description={
          byComponent
            ? "The audit trail holds no change of this component's entries."
            : 'The audit trail holds no change of this entry.'
        }
      />
    );
  }
  return (
    <Box>
      <Table
        size="small"
        aria-label={
          byComponent
            ? "Change history of this component's entries, newest first"
            : 'Change history of this entry, newest first'
        }
      >
        <TableHead>
          <TableRow>
            <TableCell component="th" scope="col">
              Time
            </TableCell>
            <TableCell component="th" scope="col">
              Actor
            </TableCell>
            <TableCell component="th" scope="col">
              Action
            </TableCell>
            {byComponent && (
              <TableCell component="th" scope="col">
                Entry
              </TableCell>
            )}
            <TableCell component="th" scope="col">
              Before and after
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {state.events.map(({ event, source }) => (
            <TableRow
              key={String(event.id)}
              data-testid={`audit-event-${event.id}`}
            >
              <TableCell>{formatTime(event.occurTime)}</TableCell>
              <TableCell>
                <code>{event.actor}</code>
              </TableCell>
              <TableCell>
                {auditActionLabel(event.action)}{' '}
                <Typography variant="caption" component="span">
                  ({event.action})
                </Typography>
              </TableCell>
              {byComponent && (
                <TableCell>
                  <code>{source.label}</code>
                </TableCell>
              )}
              <TableCell>
                <DiffTable
                  diffs={auditEventDiff(event)}
                  label={`Before and after of event ${event.id}`}
                />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {moreError !== undefined && (
        <ErrorPanel error={moreError} context={AUDIT_HISTORY} />
      )}
      {state.hasMore && (
        <Box mt={1}>
          <Button variant="outlined" onClick={loadOlder} disabled={busy}>
            Show older events
          </Button>
        </Box>
      )}
    </Box>
  );
}
