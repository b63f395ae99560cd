import { useMemo } from 'react';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  getSpireMgmtAnnotations,
  SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES,
  SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX,
  SpireMgmtAnnotations,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { ComponentAuditSection } from '../AuditHistory';
import { ENTRY_REQUEST_KIND_LABELS } from '../entryRequestKind';
import {
  EntryRequestLinks,
  NewIdentityLink,
} from '../EntryRequestWizard/RequestLinks';
import {
  ColumnHeaders,
  COMPONENT_IDENTITIES,
  describeError,
  ErrorPanel,
  LiveSyncStatus,
  SelectorList,
  SiteStatusList,
} from '../shared';
import {
  PendingRequests,
  useLiveComponentEntries,
} from './useLiveComponentEntries';

function PendingRequestList(props: { pending?: PendingRequests }) {
  const { pending } = props;
  if (!pending) {
    return null;
  }
  if ('error' in pending) {
    const { title, message } = describeError(
      pending.error,
      COMPONENT_IDENTITIES,
    );
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

function EntriesView(props: {
  annotations: SpireMgmtAnnotations;
  entityRef: string;
}) {
  const { spiffeIdPrefix, kubernetesNamespaces } = props.annotations;
  const live = useLiveComponentEntries(props.annotations);

  if (live.error !== undefined) {
    return (
      <ErrorPanel
        error={live.error}
        context={COMPONENT_IDENTITIES}
        action={{ label: 'Try again', onClick: live.reload }}
      />
    );
  }
  if (live.value === undefined) {
    return <Progress />;
  }
  const { entries, pending } = live.value;
  const status = (
    <LiveSyncStatus
      streamError={live.followError}
      context={COMPONENT_IDENTITIES}
      following="Entries, their sync states and pending requests update live."
      onReload={live.reload}
    />
  );
  if (entries.length === 0) {
    return (
      <Box>
        {status}
        <EmptyState
          missing="data"
          action={<NewIdentityLink entityRef={props.entityRef} />}
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
      </Box>
    );
  }
  return (
    <Box>
      <NewIdentityLink entityRef={props.entityRef} />
      {status}
      <Table aria-label="Workload entries of this component">
        <ColumnHeaders
          titles={[
            'SPIFFE ID',
            'Selectors',
            'Sites and sync state',
            'Pending requests',
          ]}
        />
        <TableBody>
          {entries.map(entry => (
            <TableRow key={entry.id} data-testid={`entry-${entry.id}`}>
              <TableCell component="th" scope="row">
                <code>{entry.spiffeId}</code>
              </TableCell>
              <TableCell>
                <SelectorList selectors={entry.selectors} />
              </TableCell>
              <TableCell>
                <SiteStatusList statuses={entry.siteStatuses} />
              </TableCell>
              <TableCell>
                <PendingRequestList pending={pending.get(entry.id)} />
                <EntryRequestLinks entry={entry} />
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
    return <ErrorPanel error={parsed.error} context={COMPONENT_IDENTITIES} />;
  }
  const { annotations } = parsed;
  if (
    !annotations.spiffeIdPrefix &&
    annotations.kubernetesNamespaces.length === 0
  ) {
    return <MissingAnnotations />;
  }
  return (
    <EntriesView
      annotations={annotations}
      entityRef={stringifyEntityRef(props.entity)}
    />
  );
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
