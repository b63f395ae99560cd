import { useCallback, useEffect, useMemo, useState } from 'react';
import { Entity } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  Entry,
  EntryRequest,
  EntrySiteStatus,
  getSpireMgmtAnnotations,
  SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES,
  SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX,
  SpireMgmtAnnotations,
  SyncState,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { ComponentAuditSection } from '../AuditHistory';
import { ENTRY_REQUEST_KIND_LABELS } from '../entryRequestKind';
import { ErrorPanel } from '../ErrorPanel';
import { describeError } from './errorMessages';
import { syncErrorHint } from './syncErrorHint';

const SYNC_STATE_LABELS: Record<SyncState, string> = {
  [SyncState.UNSPECIFIED]: 'unknown',
  [SyncState.PENDING]: 'pending',
  [SyncState.SYNCED]: 'synced',
  [SyncState.FAILED]: 'failed',
  [SyncState.DELETING]: 'deleting',
  [SyncState.REMOVED]: 'removed',
};

type PendingRequests = { requests: EntryRequest[] } | { error: unknown };

type Loaded = {
  entries: Entry[];
  pending: Map<string, PendingRequests>;
};

type LoadState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'loaded'; data: Loaded };

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

function SiteStatusList(props: { statuses: EntrySiteStatus[] }) {
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

function PendingRequestList(props: { pending?: PendingRequests }) {
  const { pending } = props;
  if (!pending) {
    return null;
  }
  if ('error' in pending) {
    const { title, message } = describeError(pending.error);
    return (
      <Typography variant="body2" color="error">
        Pending requests could not be read: {title}. {message}
      </Typography>
    );
  }
  if (pending.requests.length === 0) {
    return <Typography variant="body2">None</Typography>;
  }
  return (
    <Box component="ul" m={0} pl={2}>
      {pending.requests.map(r => (
        <li key={r.id}>
          <Typography variant="body2">
            {ENTRY_REQUEST_KIND_LABELS[r.kind]} requested by{' '}
            {r.requesterPerson || r.requester}
            {r.approvalsRequired > 0
              ? `, ${r.approvals.length} of ${r.approvalsRequired} approvals`
              : ''}
            {r.justification ? `: ${r.justification}` : ''}
          </Typography>
        </li>
      ))}
    </Box>
  );
}

function MissingAnnotations() {
  return (
    <EmptyState
      missing="field"
      title="No SPIFFE identities are configured for this component"
      description={
        <>
          Add the annotation{' '}
          <code>{SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX}</code> (e.g.{' '}
          <code>spiffe://example.org/ns/payments</code>) or{' '}
          <code>{SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES}</code> (e.g.{' '}
          <code>payments, payments-batch</code>) under{' '}
          <code>metadata.annotations</code> in the component&apos;s{' '}
          <code>catalog-info.yaml</code>.
        </>
      }
    />
  );
}

function EntriesView(props: { annotations: SpireMgmtAnnotations }) {
  const api = useApi(spireMgmtApiRef);
  const { spiffeIdPrefix, kubernetesNamespaces } = props.annotations;
  const [state, setState] = useState<LoadState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [streamError, setStreamError] = useState<unknown>();
  const namespacesKey = kubernetesNamespaces.join(',');

  useEffect(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    setStreamError(undefined);
    (async () => {
      const entries = await api.listComponentEntries({
        spiffeIdPrefix,
        kubernetesNamespaces: namespacesKey ? namespacesKey.split(',') : [],
      });
      const pending = new Map<string, PendingRequests>(
        await Promise.all(
          entries.map(async e => {
            try {
              return [
                e.id,
                { requests: await api.listPendingEntryRequests(e.id) },
              ] as const;
            } catch (error) {
              return [e.id, { error }] as const;
            }
          }),
        ),
      );
      if (!cancelled) {
        setState({ status: 'loaded', data: { entries, pending } });
      }
    })().catch(error => {
      if (!cancelled) {
        setState({ status: 'error', error });
      }
    });
    return () => {
      cancelled = true;
    };
  }, [api, spiffeIdPrefix, namespacesKey, attempt]);

  const entryIdsKey =
    state.status === 'loaded'
      ? state.data.entries.map(e => e.id).join(',')
      : '';

  // Live sync state: one stream for the shown entries, closed on unmount or when they change. The client
  // reopens a broken stream from its last cursor; an error here means the service refused the stream.
  useEffect(() => {
    if (!entryIdsKey) {
      return undefined;
    }
    const controller = new AbortController();
    (async () => {
      for await (const update of api.streamSyncUpdates({
        entryIds: entryIdsKey.split(','),
        signal: controller.signal,
      })) {
        setState(current =>
          current.status === 'loaded'
            ? {
                status: 'loaded',
                data: {
                  ...current.data,
                  entries: applySyncUpdate(current.data.entries, update),
                },
              }
            : current,
        );
      }
    })().catch(error => {
      if (!controller.signal.aborted) {
        setStreamError(error);
      }
    });
    return () => controller.abort();
  }, [api, entryIdsKey]);

  const reload = useCallback(() => setAttempt(a => a + 1), []);

  if (state.status === 'loading') {
    return <Progress />;
  }
  if (state.status === 'error') {
    return (
      <ErrorPanel
        error={state.error}
        action={{ label: 'Try again', onClick: reload }}
      />
    );
  }
  const { entries, pending } = state.data;
  if (entries.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="This component has no workload entries yet"
        description={`No entry matches ${[
          spiffeIdPrefix ? `the SPIFFE ID prefix ${spiffeIdPrefix}` : '',
          kubernetesNamespaces.length > 0
            ? `a k8s:ns selector of ${kubernetesNamespaces.join(', ')}`
            : '',
        ]
          .filter(Boolean)
          .join(' or ')}.`}
      />
    );
  }
  return (
    <Box>
      {streamError ? (
        <ErrorPanel
          error={streamError}
          action={{ label: 'Reload and follow again', onClick: reload }}
        />
      ) : (
        <Typography variant="body2" role="status">
          Sync states update live.
        </Typography>
      )}
      <Table aria-label="Workload entries of this component">
        <TableHead>
          <TableRow>
            <TableCell component="th" scope="col">
              SPIFFE ID
            </TableCell>
            <TableCell component="th" scope="col">
              Selectors
            </TableCell>
            <TableCell component="th" scope="col">
              Sites and sync state
            </TableCell>
            <TableCell component="th" scope="col">
              Pending requests
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {entries.map(entry => (
            <TableRow key={entry.id} data-testid={`entry-${entry.id}`}>
              <TableCell component="th" scope="row">
                <code>{entry.spiffeId}</code>
              </TableCell>
              <TableCell>
                {entry.selectors.map(s => (
                  <div key={`${s.type}:${s.value}`}>
                    <code>
                      {s.type}:{s.value}
                    </code>
                  </div>
                ))}
              </TableCell>
              <TableCell>
                <SiteStatusList statuses={entry.siteStatuses} />
              </TableCell>
              <TableCell>
                <PendingRequestList pending={pending.get(entry.id)} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <ComponentAuditSection scope={{ spiffeIdPrefix, kubernetesNamespaces }} />
    </Box>
  );
}

/**
 * The SPIFFE identities of an entity (props), or of the page's entity.
 */
export function SpireMgmtEntityView(props: { entity: Entity }) {
  const parsed = useMemo(() => {
    try {
      return { annotations: getSpireMgmtAnnotations(props.entity) };
    } catch (error) {
      return { error };
    }
  }, [props.entity]);
  if ('error' in parsed) {
    return <ErrorPanel error={parsed.error} />;
  }
  const { annotations } = parsed;
  if (
    !annotations.spiffeIdPrefix &&
    annotations.kubernetesNamespaces.length === 0
  ) {
    return <MissingAnnotations />;
  }
  return <EntriesView annotations={annotations} />;
}

/**
 * The catalog entity tab: the entity's workload entries with their live sync state per site and the pending
 * requests touching them.
 *
 * @public
 */
export function EntitySpireMgmtContent() {
  const { entity } = useEntity();
  return <SpireMgmtEntityView entity={entity} />;
}
