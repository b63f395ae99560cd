import { useCallback, useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Entry,
  EntryRequest,
  SyncUpdate,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  SpireMgmtApi,
  SpireMgmtComponentScope,
  spireMgmtApiRef,
} from '../../api';
import { isInComponentScope } from '../../api/componentScope';
import { applySyncUpdate } from '../shared';

/** The pending requests of an entry, or why they could not be read. */
export type PendingRequests = { requests: EntryRequest[] } | { error: unknown };

/** A component's entries, each with its pending requests (by entry id). */
export interface ComponentEntries {
  entries: Entry[];
  pending: Map<string, PendingRequests>;
}

/** A component's entries, read and kept live by {@link useLiveComponentEntries}. */
export interface LiveComponentEntries {
  /** As last read, with the sync updates since; undefined until the first read answers. */
  value?: ComponentEntries;
  /** The first read failed: there is no value. */
  error?: unknown;
  /**
   * Why the value stopped following: a stream was refused, or a read after a request's change failed. The
   * value stands as last updated.
   */
  followError?: unknown;
  /** Reads and follows again from the start. */
  reload: () => void;
}

async function readComponentEntries(
  api: SpireMgmtApi,
  scope: SpireMgmtComponentScope,
): Promise<ComponentEntries> {
  const entries = await api.listComponentEntries(scope);
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
  return { entries, pending };
}

/** Whether a request is about one of `entryIds`, or its entry belongs to the component before, as proposed or as applied. */
function concerns(
  request: EntryRequest,
  scope: SpireMgmtComponentScope,
  entryIds: ReadonlySet<string>,
): boolean {
  return (
    entryIds.has(request.entryId) ||
    [request.entryBefore, request.proposedEntry, request.appliedEntry].some(
      entry => entry !== undefined && isInComponentScope(entry, scope),
    )
  );
}

/** The key of a set of entry ids, whatever their order. */
function idsKey(entries: Entry[]): string {
  return entries
    .map(e => e.id)
    .sort()
    .join(',');
}

/**
 * A component's entries and their pending requests, kept live. The request stream (`StreamEntryRequestUpdates`)
 * opens before the first read; a change of a request concerning the component reads everything again while
 * the current value stays shown. Whenever a read brings another set of entries, the sync stream
 * (`StreamSyncUpdates`) is opened for the new set and the entries are read once more; the sync updates arriving
 * during a read are applied over its answer. So no change committed between a read and a stream's opening is
 * lost. The first error stops following; so do unmounting and a new scope.
 */
export function useLiveComponentEntries(
  scope: SpireMgmtComponentScope,
): LiveComponentEntries {
  const api = useApi(spireMgmtApiRef);
  const { spiffeIdPrefix } = scope;
  const namespacesKey = scope.kubernetesNamespaces.join(',');
  const [state, setState] = useState<Omit<LiveComponentEntries, 'reload'>>({});
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const current: SpireMgmtComponentScope = {
      spiffeIdPrefix,
      kubernetesNamespaces: namespacesKey ? namespacesKey.split(',') : [],
    };
    const controller = new AbortController();
    const { signal } = controller;
    let shown: ComponentEntries | undefined;
    let followed = { key: '', controller: new AbortController() };
    // Set while a read is under way: what the streams bring meanwhile, looked at once it answers.
    let during: { syncs: SyncUpdate[]; requests: EntryRequest[] } | undefined;
    setState({});
    signal.addEventListener('abort', () => followed.controller.abort());

    const stop = (error: unknown) => {
      if (!signal.aborted) {
        controller.abort();
        setState(s => (s.value ? { ...s, followError: error } : { error }));
      }
    };
    const show = (value: ComponentEntries) => {
      shown = value;
      setState(s => ({ ...s, value }));
    };

    const followSync = (entries: Entry[]) => {
      followed.controller.abort();
      followed = { key: idsKey(entries), controller: new AbortController() };
      if (entries.length === 0) {
        // Without entry ids the stream would bring the changes of every entry.
        return;
      }
      const own = followed.controller.signal;
      (async () => {
        for await (const update of api.streamSyncUpdates({
          entryIds: entries.map(e => e.id),
          signal: own,
        })) {
          if (during) {
            during.syncs.push(update);
          } else if (shown) {
            show({ ...shown, entries: applySyncUpdate(shown.entries, update) });
          }
        }
      })().catch(error => {
        if (!own.aborted) {
          stop(error);
        }
      });
    };

    const read = async () => {
      let again: boolean;
      do {
        during = { syncs: [], requests: [] };
        const value = await readComponentEntries(api, current);
        if (signal.aborted) {
          return;
        }
        const { syncs, requests } = during;
        during = undefined;
        show({
          ...value,
          entries: syncs.reduce(applySyncUpdate, value.entries),
        });
        const ids = new Set(value.entries.map(e => e.id));
        const moved = idsKey(value.entries) !== followed.key;
        if (moved) {
          followSync(value.entries);
        }
        again =
          (moved && ids.size > 0) ||
          requests.some(r => concerns(r, current, ids));
      } while (again);
    };

    (async () => {
      for await (const update of api.streamEntryRequestUpdates({ signal })) {
        const request = update.entryRequest;
        if (!request) {
          continue;
        }
        if (during) {
          during.requests.push(request);
        } else if (
          concerns(
            request,
            current,
            new Set(shown?.entries.map(e => e.id) ?? []),
          )
        ) {
          read().catch(stop);
        }
      }
    })().catch(stop);
    read().catch(stop);
    return () => controller.abort();
  }, [api, spiffeIdPrefix, namespacesKey, attempt]);

  const reload = useCallback(() => setAttempt(a => a + 1), []);
  return { ...state, reload };
}
