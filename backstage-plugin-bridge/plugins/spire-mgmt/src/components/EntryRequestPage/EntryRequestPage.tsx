import { Link, Progress } from '@backstage/core-components';
import {
  useApi,
  useRouteRef,
  useRouteRefParams,
} from '@backstage/core-plugin-api';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  Entry,
  EntryRequest,
  EntryRequestKind,
  EntryRequestState,
  EntryRequestUpdate,
  getSpireMgmtErrorDetails,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { entryRequestRouteRef, newEntryRequestRouteRef } from '../../routes';
import { ErrorContext, ErrorPanel, useLiveValue } from '../shared';
import { EntrySummary } from '../EntrySummary/EntrySummary';
import { wizardLink } from '../EntryRequestWizard/RequestLinks';
import { EntrySyncProgress } from './EntrySyncProgress';
import {
  applyRequestUpdate,
  describeState,
  isDecided,
  kindLabel,
} from './requestState';

const PAGE_CONTEXT: ErrorContext = {
  roles:
    'Seeing a request needs the Viewer, Operator or Admin role, or the Developer role for your own requests and those of your namespaces.',
  inputHint: 'Check the link you followed: it should end with the request id.',
};

function when(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toLocaleString() : '';
}

function siteNames(request: EntryRequest): (id: string) => string {
  const entries = [
    request.entryBefore,
    request.entryCurrent,
    request.appliedEntry,
  ].filter((e): e is Entry => e !== undefined);
  return id =>
    entries
      .flatMap(e => e.siteStatuses)
      .find(s => s.siteId === id && s.siteName)?.siteName ?? id;
}

function RequestedEntry(props: { request: EntryRequest }) {
  const { request } = props;
  const siteName = siteNames(request);
  if (request.kind === EntryRequestKind.DELETE) {
    return request.entryBefore ? (
      <EntrySummary
        entry={request.entryBefore}
        label="The entry to delete"
        siteName={siteName}
      />
    ) : null;
  }
  if (!request.proposedEntry) {
    return null;
  }
  return (
    <EntrySummary
      entry={request.proposedEntry}
      before={
        request.kind === EntryRequestKind.UPDATE
          ? request.entryBefore
          : undefined
      }
      changed={request.updateMask?.paths}
      label="The requested entry"
      siteName={siteName}
    />
  );
}

function RequestView(props: {
  request: EntryRequest;
  streamError?: unknown;
  reload: () => void;
}) {
  const { request, streamError, reload } = props;
  const newRequest = useRouteRef(newEntryRequestRouteRef);
  const { headline, detail } = describeState(request);
  const againLink =
    request.kind !== EntryRequestKind.CREATE &&
    (request.state === EntryRequestState.CONFLICT ||
      request.state === EntryRequestState.FAILED)
      ? wizardLink(newRequest(), {
          action:
            request.kind === EntryRequestKind.DELETE ? 'delete' : 'update',
          entryId: request.entryId,
        })
      : undefined;
  return (
    <Box>
      <Typography variant="h5" component="h1" gutterBottom>
        {kindLabel(request.kind)}
      </Typography>
      <Box role="status" aria-live="polite" mb={2} data-testid="request-state">
        <Typography variant="h6" component="p">
          {headline}
        </Typography>
        <Typography variant="body2">{detail}</Typography>
        {againLink && <Link to={againLink}>Request it again</Link>}
      </Box>
      {streamError !== undefined && !isDecided(request) && (
        <Box mb={2}>
          <ErrorPanel
            error={streamError}
            context={PAGE_CONTEXT}
            action={{ label: 'Reload and follow again', onClick: reload }}
          />
        </Box>
      )}
      <Box component="dl" mb={2}>
        <Typography component="dt" variant="subtitle2">
          Requested by
        </Typography>
        <Typography component="dd" variant="body2">
          {request.requesterPerson || request.requester}
          {request.createTime ? `, ${when(request.createTime)}` : ''}
        </Typography>
        <Typography component="dt" variant="subtitle2">
          Justification
        </Typography>
        <Typography component="dd" variant="body2">
          {request.justification}
        </Typography>
        <Typography component="dt" variant="subtitle2">
          Approvals
        </Typography>
        <Typography component="dd" variant="body2">
          {request.approvalsRequired === 0
            ? 'None needed'
            : `${request.approvals.length} of ${request.approvalsRequired}`}
          {request.approvals.map(a => (
            <span key={a.approverPerson || a.approver}>
              {'; '}
              {a.approverPerson || a.approver}
              {a.comment ? `: ${a.comment}` : ''}
            </span>
          ))}
        </Typography>
        {request.approvalReasons.length > 0 && (
          <>
            <Typography component="dt" variant="subtitle2">
              Why approval is needed
            </Typography>
            <Typography component="dd" variant="body2">
              {request.approvalReasons.join('; ')}
            </Typography>
          </>
        )}
        {request.state === EntryRequestState.PENDING && request.expireTime && (
          <>
            <Typography component="dt" variant="subtitle2">
              Expires
            </Typography>
            <Typography component="dd" variant="body2">
              {when(request.expireTime)}
            </Typography>
          </>
        )}
      </Box>
      <Typography variant="h6" component="h2">
        {request.kind === EntryRequestKind.DELETE
          ? 'Entry to delete'
          : 'Requested entry'}
      </Typography>
      <RequestedEntry request={request} />
      {request.state === EntryRequestState.APPLIED && (
        <Box mt={2}>
          <Typography variant="h6" component="h2">
            Sync at the sites
          </Typography>
          <EntrySyncProgress
            entryId={request.entryId}
            deletion={request.kind === EntryRequestKind.DELETE}
          />
        </Box>
      )}
    </Box>
  );
}

/**
 * One entry request's page (the `:requestId` of entryRequestRouteRef): its state, approvals, requester,
 * justification and the requested entry, following its state live with StreamEntryRequestUpdates; once
 * applied, the entry's sync at each site until SYNCED everywhere, or why not.
 *
 * @public
 */
export function EntryRequestPage() {
  const { requestId } = useRouteRefParams(entryRequestRouteRef);
  const api = useApi(spireMgmtApiRef);
  const live = useLiveValue<EntryRequest, EntryRequestUpdate>(requestId, {
    read: () => api.getEntryRequest(requestId),
    follow: signal => api.streamEntryRequestUpdates({ signal }),
    apply: applyRequestUpdate,
    settled: isDecided,
  });
  if (live.error !== undefined) {
    if (getSpireMgmtErrorDetails(live.error)?.code === 'NOT_FOUND') {
      return (
        <Typography role="alert">
          There is no request {requestId}, or it is not one you may see (a
          Developer sees its own requests and those of its namespaces).
        </Typography>
      );
    }
    return (
      <ErrorPanel
        error={live.error}
        context={PAGE_CONTEXT}
        action={{ label: 'Try again', onClick: live.reload }}
      />
    );
  }
  if (live.value === undefined) {
    return <Progress />;
  }
  return (
    <RequestView
      request={live.value}
      streamError={live.streamError}
      reload={live.reload}
    />
  );
}
