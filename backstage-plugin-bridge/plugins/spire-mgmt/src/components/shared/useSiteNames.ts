import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { SpireMgmtApi, spireMgmtApiRef } from '../../api';

/** How long one read of the sites serves every view that names sites (a queue renders many diffs at once). */
const SITE_NAMES_TTL_MS = 60_000;

const reads = new WeakMap<
  SpireMgmtApi,
  { at: number; names: Promise<Map<string, string>> }
>();

function readSiteNames(api: SpireMgmtApi): Promise<Map<string, string>> {
  const cached = reads.get(api);
  if (cached && Date.now() - cached.at < SITE_NAMES_TTL_MS) {
    return cached.names;
  }
  const names = api
    .listSites()
    .then(sites => new Map(sites.map(s => [s.id, s.name])));
  reads.set(api, { at: Date.now(), names });
  // A failed read is not kept: the next view asks again.
  names.catch(() => reads.delete(api));
  return names;
}

/**
 * The sites' names by id, for views that show an entry's site ids (a proposed entry carries no site statuses to
 * name them). Empty until the sites are read, and when they cannot be: the ids are shown then.
 */
export function useSiteNames(): ReadonlyMap<string, string> {
  const api = useApi(spireMgmtApiRef);
  const [names, setNames] = useState<ReadonlyMap<string, string>>(
    () => new Map(),
  );
  useEffect(() => {
    let cancelled = false;
    readSiteNames(api).then(
      read => !cancelled && setNames(read),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api]);
  return names;
}
