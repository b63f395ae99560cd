import { useCallback, useEffect, useRef, useState } from 'react';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  EntryRequest,
  EntryRequestKind,
  EntryRequestState,
  EntryRequestUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { formatTime } from '../EntryDiff';
import { ENTRY_REQUEST_KIND_LABELS } from '../entryRequestKind';
import { ErrorPanel, ENTRY_REQUESTS } from '../shared';
import { Decision, DecisionDialog } from './DecisionDialog';
import { describeDecisionOutcome } from './decisionMessages';
import { QueueRow, queueChangeFor, withoutRow, withRow } from './queueState';
import { RequestReview } from './RequestReview';

/** A request's kind as a heading starts it, e.g. `Change`. */
function kindHeading(kind: EntryRequestKind): string {
  const label = ENTRY_REQUEST_KIND_LABELS[kind];
  return label.charAt(0).toLocaleUpperCase('en-US') + label.slice(1);
}

/** What a request is about, in a few words: its kind and the entry's SPIFFE ID. */
function subjectOf(request: EntryRequest): string {
  const spiffeId =
    request.proposedEntry?.spiffeId ||
    request.entryBefore?.spiffeId ||
    request.entryId;
  return `${ENTRY_REQUEST_KIND_LABELS[request.kind]} of ${spiffeId}`;
}

type Loaded = {
  me: string;
  rows: QueueRow[];
  nextPageToken: string;
};

type LoadState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'loaded'; data: Loaded };

function RequestItem(props: {
  row: QueueRow;
  onDecide: (request: EntryRequest, decision: Decision) => void;
}) {
  const { request, own } = props.row;
  const headingId = `request-${request.id}`;
  const subject = subjectOf(request);
  return (
    <Box
      component="li"
      mb={2}
      p={2}
      border={1}
      borderColor="divider"
      borderRadius={4}
      aria-labelledby={headingId}
      data-testid={`queue-row-${request.id}`}
    >
      <Typography variant="h6" component="h3" id={headingId}>
        {kindHeading(request.kind)} of{' '}
        <code>
          {request.proposedEntry?.spiffeId ||
            request.entryBefore?.spiffeId ||
            request.entryId}
        </code>
      </Typography>
      <Typography variant="body2">
        Requested by {request.requesterPerson || request.requester} on{' '}
        {formatTime(request.createTime)}
        {request.expireTime
          ? `, expires ${formatTime(request.expireTime)}`
          : ''}
        . {request.approvals.length} of {request.approvalsRequired} approval
        {request.approvalsRequired === 1 ? '' : 's'}
        {request.approvals.length > 0
          ? ` (by ${request.approvals.map(a => a.approverPerson).join(', ')})`
          : ''}
        .
      </Typography>
      <Typography variant="body2">
        Justification: {request.justification}
      </Typography>
      {request.approvalReasons.length > 0 && (
        <Box component="ul" my={1} pl={2}>
          {request.approvalReasons.map(reason => (
            <li key={reason}>
              <Typography variant="body2">Needs approval: {reason}</Typography>
            </li>
          ))}
        </Box>
      )}
      <RequestReview request={request} />
      <Box mt={1} display="flex" style={{ gap: 8 }}>
        {own ? (
          <Typography variant="body2" role="note">
            This is your request: another approver must decide it (four eyes).
          </Typography>
        ) : (
          <>
            <Button
              variant="contained"
              color="primary"
              aria-label={`Approve the ${subject}`}
              onClick={() => props.onDecide(request, 'approve')}
            >
              Approve
            </Button>
            <Button
              variant="outlined"
              color="secondary"
              aria-label={`Reject the ${subject}`}
              onClick={() => props.onDecide(request, 'reject')}
            >
              Reject
            </Button>
          </>
        )}
      </Box>
    </Box>
  );
}

/**
 * The approver queue: the PENDING requests awaiting the user's decision (and the user's own pending
 * requests, which others decide), each with its change as a diff; approve or reject with a reason; kept
 * current by `StreamEntryRequestUpdates` (new requests join, decided ones leave).
 */
export function ApproverQueue(props: { pageSize?: number }) {
  const pageSize = props.pageSize ?? 50;
  const api = useApi(spireMgmtApiRef);
  const identityApi = useApi(identityApiRef);
  const [state, setState] = useState<LoadState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [streamError, setStreamError] = useState<unknown>();
  const [moreError, setMoreError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [deciding, setDeciding] = useState<{
    request: EntryRequest;
    decision: Decision;
  }>();
  // Requests seen leaving PENDING: a check that raced with their decision does not bring them back.
  const decided = useRef(new Set<string>());

  // The loaded queue as last set: stream updates are judged against it, outside React's state updaters
  // (which may run twice), so each update triggers at most one check.
  const loaded = useRef<Loaded>();
  const setLoaded = useCallback((data: Loaded) => {
    loaded.current = data;
    setState({ status: 'loaded', data });
  }, []);
  const changeRows = useCallback(
    (change: (rows: QueueRow[]) => QueueRow[]) => {
      if (loaded.current) {
        setLoaded({ ...loaded.current, rows: change(loaded.current.rows) });
      }
    },
    [setLoaded],
  );

  useEffect(() => {
    let cancelled = false;
    const controller = new AbortController();
    loaded.current = undefined;
    setState({ status: 'loading' });
    setStreamError(undefined);
    setNotice(undefined);
    decided.current = new Set();
    // Updates that arrive while the queue is read are applied after it: the stream opens first, so no
    // change between the read and the stream is lost.
    let buffered: EntryRequestUpdate[] | undefined = [];
    let me = '';

    const check = async (request: EntryRequest) => {
      const page = await api.listEntryRequests({
        awaitingMyDecision: true,
        entryId: request.entryId,
        states: [EntryRequestState.PENDING],
      });
      const found = page.entryRequests.find(r => r.id === request.id);
      if (found && !cancelled && !decided.current.has(found.id)) {
        changeRows(rows => withRow(rows, { request: found, own: false }));
      }
    };

    const apply = (update: EntryRequestUpdate) => {
      const request = update.entryRequest;
      if (!request || !loaded.current) {
        return;
      }
      if (request.state !== EntryRequestState.PENDING) {
        decided.current.add(request.id);
      }
      const change = queueChangeFor(loaded.current.rows, request, me);
      if (change.type === 'remove') {
        changeRows(rows => withoutRow(rows, change.id));
      } else if (change.type === 'check') {
        check(change.request).catch(error => {
          if (!cancelled) {
            setStreamError(error);
          }
        });
      } else {
        changeRows(rows => withRow(rows, change.row));
      }
    };

    (async () => {
      for await (const update of api.streamEntryRequestUpdates({
        signal: controller.signal,
      })) {
        if (buffered) {
          buffered.push(update);
        } else {
          apply(update);
        }
      }
    })().catch(error => {
      if (!controller.signal.aborted) {
        setStreamError(error);
      }
    });

    (async () => {
      const identity = await identityApi.getBackstageIdentity();
      // The service names a Backstage user by its entity ref, as the backend plugin puts it in the token.
      me = stringifyEntityRef(parseEntityRef(identity.userEntityRef));
      const [awaiting, mine] = await Promise.all([
        api.listEntryRequests({ awaitingMyDecision: true, pageSize }),
        api.listEntryRequests({
          mine: true,
          states: [EntryRequestState.PENDING],
          pageSize,
        }),
      ]);
      if (cancelled) {
        return;
      }
      let rows: QueueRow[] = [];
      for (const request of awaiting.entryRequests) {
        rows = withRow(rows, { request, own: false });
      }
      for (const request of mine.entryRequests) {
        rows = withRow(rows, { request, own: true });
      }
      setLoaded({ me, rows, nextPageToken: awaiting.nextPageToken });
      const pending = buffered ?? [];
      buffered = undefined;
      pending.forEach(apply);
    })().catch(error => {
      if (!cancelled) {
        setState({ status: 'error', error });
      }
    });

    return () => {
      cancelled = true;
      controller.abort();
    };
  }, [api, identityApi, pageSize, attempt, setLoaded, changeRows]);

  const reload = useCallback(() => setAttempt(a => a + 1), []);

  const loadMore = async (token: string) => {
    setMoreError(undefined);
    try {
      const page = await api.listEntryRequests({
        awaitingMyDecision: true,
        pageSize,
        pageToken: token,
      });
      if (!loaded.current) {
        return;
      }
      let rows = loaded.current.rows;
      for (const request of page.entryRequests) {
        if (!decided.current.has(request.id)) {
          rows = withRow(rows, { request, own: false });
        }
      }
      setLoaded({ ...loaded.current, rows, nextPageToken: page.nextPageToken });
    } catch (error) {
      setMoreError(error);
    }
  };

  if (state.status === 'loading') {
    return <Progress />;
  }
  if (state.status === 'error') {
    return (
      <ErrorPanel
        error={state.error}
        context={ENTRY_REQUESTS}
        action={{ label: 'Try again', onClick: reload }}
      />
    );
  }
  const { rows, nextPageToken } = state.data;
  return (
    <Box>
      {streamError ? (
        <ErrorPanel
          error={streamError}
          context={ENTRY_REQUESTS}
          action={{ label: 'Reload and follow again', onClick: reload }}
        />
      ) : (
        <Typography variant="body2">
          New requests appear and decided ones leave as it happens.
        </Typography>
      )}
      <Box role="status" mt={1}>
        {notice && <Typography variant="body2">{notice}</Typography>}
      </Box>
      {rows.length === 0 ? (
        <EmptyState
          missing="data"
          title="No request awaits your decision"
          description="Requests that need approval appear here as they are submitted. Only Admins and Operators decide requests: with the Developer or Viewer role nothing ever awaits you."
        />
      ) : (
        <Box component="ul" p={0} mt={2} style={{ listStyle: 'none' }}>
          {rows.map(row => (
            <RequestItem
              key={row.request.id}
              row={row}
              onDecide={(request, decision) =>
                setDeciding({ request, decision })
              }
            />
          ))}
        </Box>
      )}
      {moreError !== undefined && (
        <ErrorPanel error={moreError} context={ENTRY_REQUESTS} />
      )}
      {nextPageToken && (
        <Button variant="outlined" onClick={() => loadMore(nextPageToken)}>
          Show more requests
        </Button>
      )}
      {deciding && (
        <DecisionDialog
          decision={deciding.decision}
          subject={subjectOf(deciding.request)}
          onDecide={text =>
            deciding.decision === 'approve'
              ? api.approveEntryRequest({
                  id: deciding.request.id,
                  comment: text,
                })
              : api.rejectEntryRequest({
                  id: deciding.request.id,
                  reason: text,
                })
          }
          onDone={answer => {
            setDeciding(undefined);
            setNotice(describeDecisionOutcome(answer));
            if (answer.state !== EntryRequestState.PENDING) {
              decided.current.add(answer.id);
            }
            // Approved or rejected by the user: it no longer awaits the user's decision.
            changeRows(current => withoutRow(current, answer.id));
          }}
          onClose={() => setDeciding(undefined)}
        />
      )}
    </Box>
  );
}
