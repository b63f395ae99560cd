import { SyncState } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtEntryFilter } from '../../api';

/**
 * The entries page's view as its URL query holds it, so that a link shares it: `site` (a site id), `selector`
 * (`type:value`, e.g. `k8s:ns:payments`), `prefix` (a SPIFFE ID prefix), `state` (`pending`, `synced`,
 * `failed` or `deleting`) and `page` (the service's page token; absent on the first page).
 */
export interface EntriesQuery {
  site: string;
  selector: string;
  prefix: string;
  state: string;
  page: string;
}

/** The filters of the entries page, by their name in the URL query. */
export type EntriesFilterName = 'site' | 'selector' | 'prefix' | 'state';

const FILTER_NAMES: EntriesFilterName[] = [
  'site',
  'selector',
  'prefix',
  'state',
];

/** The sync states one can filter by, by their name in the URL query. */
export const SYNC_STATE_FILTERS: Record<string, SyncState> = {
  pending: SyncState.PENDING,
  synced: SyncState.SYNCED,
  failed: SyncState.FAILED,
  deleting: SyncState.DELETING,
};

/** Reads the view from the URL query; an absent parameter is empty. */
export function readEntriesQuery(params: URLSearchParams): EntriesQuery {
  const get = (name: string) => params.get(name)?.trim() ?? '';
  return {
    site: get('site'),
    selector: get('selector'),
    prefix: get('prefix'),
    state: get('state'),
    page: get('page'),
  };
}

/** The URL query of a view: only its non-empty parameters, in a fixed order. */
export function toSearchParams(query: EntriesQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of [...FILTER_NAMES, 'page'] as const) {
    if (query[name]) {
      params.set(name, query[name]);
    }
  }
  return params;
}

/** Whether the view filters at all. */
export function hasFilters(query: EntriesQuery): boolean {
  return FILTER_NAMES.some(name => query[name] !== '');
}

/**
 * The filter of the `ListEntries` call for a view. A selector is split at its first `:` (the service's
 * canonical form: `k8s:ns:payments` is `{type: "k8s", value: "ns:payments"}`, the same selector as `{type:
 * "k8s:ns", value: "payments"}`); the service judges the parts. Only a sync state name the page does not know
 * is refused here, since it has no value to send.
 */
export function toEntryFilter(
  query: EntriesQuery,
):
  | { filter: SpireMgmtEntryFilter }
  | { filterName: EntriesFilterName; message: string } {
  const filter: SpireMgmtEntryFilter = {};
  if (query.site) {
    filter.siteId = query.site;
  }
  if (query.selector) {
    const colon = query.selector.indexOf(':');
    filter.selectors = [
      colon < 0
        ? { type: query.selector, value: '' }
        : {
            type: query.selector.substring(0, colon),
            value: query.selector.substring(colon + 1),
          },
    ];
  }
  if (query.prefix) {
    filter.spiffeIdPrefix = query.prefix;
  }
  if (query.state) {
    const state = SYNC_STATE_FILTERS[query.state];
    if (state === undefined) {
      return {
        filterName: 'state',
        message: `'${
          query.state
        }' is not a sync state to filter by: use ${Object.keys(
          SYNC_STATE_FILTERS,
        ).join(', ')}`,
      };
    }
    filter.syncState = state;
  }
  return { filter };
}

/**
 * Which filter a field of the `ListEntries` request belongs to (the `field` of the service's error), or
 * `page` for the page token; undefined for any other field.
 */
export function filterOfField(
  field: string | undefined,
): EntriesFilterName | 'page' | undefined {
  if (!field) {
    return undefined;
  }
  if (field === 'site_id') {
    return 'site';
  }
  if (field.startsWith('selectors') || field === 'selector_match') {
    return 'selector';
  }
  if (field === 'spiffe_id_prefix') {
    return 'prefix';
  }
  if (field === 'sync_state') {
    return 'state';
  }
  if (field === 'page_token') {
    return 'page';
  }
  return undefined;
}
