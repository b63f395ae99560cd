import { useEffect, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  EntryRequest,
  EntryRequestKind,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { EntryDiff } from '../EntryDiff';
import { ErrorPanel, ENTRY_REQUESTS } from '../shared';

/**
 * Whether the entry moved since the request was based on it, in words; undefined when it did not (or for a
 * create, which is based on no entry).
 */
export function movedSinceRequest(request: EntryRequest): string | undefined {
  if (request.kind === EntryRequestKind.CREATE) {
    return undefined;
  }
  const current = request.entryCurrent;
  if (!current) {
    return 'The entry no longer exists: approving this request cannot apply it (it ends in CONFLICT and writes nothing).';
  }
  if (current.revision !== request.baseRevision) {
    return `The entry changed since this request was made (it was based on revision ${request.baseRevision}, the entry is now at revision ${current.revision}): approving it writes nothing and ends it in CONFLICT. The changes made since are shown below; reject it so the requester can submit it again on the current entry.`;
  }
  return undefined;
}

/**
 * A request's change as a reviewer needs it: read again with `GetEntryRequest` for the entry as it is now,
 * the requested change field by field, and a warning (with what changed) when the entry moved since.
 */
export function RequestReview(props: { request: EntryRequest }) {
  const api = useApi(spireMgmtApiRef);
  const { id, updateTime } = props.request;
  const [state, setState] = useState<
    { request: EntryRequest } | { error: unknown } | undefined
  >();
  const [attempt, setAttempt] = useState(0);
  const updated = `${updateTime?.seconds}.${updateTime?.nanos}`;

  useEffect(() => {
    let cancelled = false;
    setState(undefined);
    api.getEntryRequest(id).then(
      request => !cancelled && setState({ request }),
      error => !cancelled && setState({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, id, updated, attempt]);

  if (!state) {
    return <Progress />;
  }
  if ('error' in state) {
    return (
      <ErrorPanel
        error={state.error}
        context={ENTRY_REQUESTS}
        action={{
          label: 'Read the change again',
          onClick: () => setAttempt(a => a + 1),
        }}
      />
    );
  }
  const { request } = state;
  const moved = movedSinceRequest(request);
  return (
    <Box>
      {moved && (
        <Box
          role="alert"
          border={1}
          borderColor="warning.main"
          borderRadius={4}
          p={1}
          mb={1}
        >
          <Typography variant="subtitle2" component="p">
            Warning: the entry moved since the request was made
          </Typography>
          <Typography variant="body2">{moved}</Typography>
          {request.entryCurrent && (
            <EntryDiff
              label="Changes to the entry since the request was made"
              before={request.entryBefore}
              after={request.entryCurrent}
              beforeTitle="When requested"
              afterTitle="Now"
            />
          )}
        </Box>
      )}
      <EntryDiff
        label="Requested change"
        before={request.entryBefore}
        after={request.proposedEntry}
        beforeTitle={request.entryBefore ? 'Entry when requested' : 'Before'}
        afterTitle={request.proposedEntry ? 'Requested' : 'After (deleted)'}
      />
    </Box>
  );
}
