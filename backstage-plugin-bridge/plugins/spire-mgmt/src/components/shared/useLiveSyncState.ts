import { Dispatch, SetStateAction, useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { applySyncUpdate } from './syncState';

/**
 * Keeps the sync states of shown entries live: one `StreamSyncUpdates` stream for their ids, each update
 * applied through `setEntries`, closed on unmount or when the ids change. The client reopens a broken stream
 * from its last cursor; the returned error means the service refused the stream (undefined while it runs).
 */
export function useLiveSyncState(
  entryIds: string[],
  setEntries: Dispatch<SetStateAction<Entry[]>>,
): unknown {
  const api = useApi(spireMgmtApiRef);
  const [error, setError] = useState<unknown>();
  const entryIdsKey = entryIds.join(',');

  useEffect(() => {
    setError(undefined);
    if (!entryIdsKey) {
      return undefined;
    }
    const controller = new AbortController();
    (async () => {
      for await (const update of api.streamSyncUpdates({
        entryIds: entryIdsKey.split(','),
        signal: controller.signal,
      })) {
        setEntries(current => applySyncUpdate(current, update));
      }
    })().catch(e => {
      if (!controller.signal.aborted) {
        setError(e);
      }
    });
    return () => controller.abort();
  }, [api, entryIdsKey, setEntries]);

  return error;
}
