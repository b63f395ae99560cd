import { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';
import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** One value of a field on one side of a diff; `changed` when the other side does not have it. */
export interface DiffValue {
  text: string;
  changed: boolean;
}

/** A field that differs between two versions: every value on each side, the differing ones marked. */
export interface FieldDiff {
  /** The field's name in the API (proto name), e.g. `spiffe_id`. */
  field: string;
  /** The field for a person, e.g. `SPIFFE ID`. */
  label: string;
  before: DiffValue[];
  after: DiffValue[];
}

/** A point in time as the UI shows it: UTC, to the second. */
export function formatTime(time: Timestamp | undefined): string {
  if (!time) {
    return '';
  }
  return `${timestampDate(time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
}

function formatTtl(seconds: number): string {
  if (seconds === 0) {
    return "the SPIRE server's default";
  }
  const units: Array<[number, string]> = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ];
  const whole = units.find(([size]) => seconds % size === 0);
  return whole
    ? `${seconds} s (${seconds / whole[0]} ${whole[1]})`
    : `${seconds} s`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** Compares the values of one field; the order of a list does not matter, only what is in it. */
export function diffValues(
  field: string,
  label: string,
  before: string[],
  after: string[],
): FieldDiff | undefined {
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  const diff: FieldDiff = {
    field,
    label,
    before: before.map(text => ({ text, changed: !afterSet.has(text) })),
    after: after.map(text => ({ text, changed: !beforeSet.has(text) })),
  };
  return diff.before.some(v => v.changed) || diff.after.some(v => v.changed)
    ? diff
    : undefined;
}

type FieldReader = {
  field: string;
  label: string;
  read: (entry: Entry, siteNames: Map<string, string>) => string[];
};

function scalar(value: string): string[] {
  return value ? [value] : [];
}

// The fields a person decides on, in the order the request form asks for them. Output-only fields (id,
// revision, times, sync state) are not part of a change.
const ENTRY_FIELDS: FieldReader[] = [
  { field: 'spiffe_id', label: 'SPIFFE ID', read: e => scalar(e.spiffeId) },
  { field: 'parent_id', label: 'Parent ID', read: e => scalar(e.parentId) },
  {
    field: 'selectors',
    label: 'Selectors',
    read: e => e.selectors.map(s => `${s.type}:${s.value}`),
  },
  {
    field: 'site_ids',
    label: 'Sites',
    read: (e, names) => e.siteIds.map(id => names.get(id) ?? id),
  },
  { field: 'ttl', label: 'X.509 SVID TTL', read: e => [formatTtl(e.ttl)] },
  {
    field: 'jwt_svid_ttl',
    label: 'JWT SVID TTL',
    read: e => [formatTtl(e.jwtSvidTtl)],
  },
  { field: 'dns_names', label: 'DNS names', read: e => e.dnsNames },
  {
    field: 'federates_with',
    label: 'Federates with',
    read: e => e.federatesWith,
  },
  { field: 'admin', label: 'Admin', read: e => [yesNo(e.admin)] },
  {
    field: 'downstream',
    label: 'Downstream',
    read: e => [yesNo(e.downstream)],
  },
  {
    field: 'store_svid',
    label: 'Store SVID',
    read: e => [yesNo(e.storeSvid)],
  },
  { field: 'hint', label: 'Hint', read: e => scalar(e.hint) },
  {
    field: 'expiry_time',
    label: 'Expires',
    read: e => scalar(formatTime(e.expiryTime)),
  },
];

/**
 * The fields that differ between two versions of an entry, field by field: list fields (selectors, sites,
 * DNS names, federated trust domains) by the items added and removed. A missing version (before a create,
 * after a delete) has no values, so every field set on the other side is shown. Sites are named by the
 * site statuses either version carries, else by `knownSiteNames` (id to name), else by id.
 */
export function diffEntries(
  before?: Entry,
  after?: Entry,
  knownSiteNames?: ReadonlyMap<string, string>,
): FieldDiff[] {
  const siteNames = new Map<string, string>(knownSiteNames);
  for (const status of [
    ...(before?.siteStatuses ?? []),
    ...(after?.siteStatuses ?? []),
  ]) {
    if (status.siteName) {
      siteNames.set(status.siteId, status.siteName);
    }
  }
  return ENTRY_FIELDS.flatMap(({ field, label, read }) => {
    const diff = diffValues(
      field,
      label,
      before ? read(before, siteNames) : [],
      after ? read(after, siteNames) : [],
    );
    return diff ? [diff] : [];
  });
}

function jsonValues(value: JsonValue | undefined): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (Array.isArray(value)) {
    return value.map(v => (typeof v === 'string' ? v : JSON.stringify(v)));
  }
  return [typeof value === 'string' ? value : JSON.stringify(value)];
}

/**
 * The top-level fields that differ between two JSON objects (an audit event's before and after of a
 * resource that is not an entry, e.g. a site or a sync status), arrays by the items added and removed.
 */
export function diffJsonObjects(
  before?: JsonObject,
  after?: JsonObject,
): FieldDiff[] {
  const keys = [
    ...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]),
  ];
  return keys.flatMap(key => {
    const diff = diffValues(
      key,
      key,
      jsonValues(before?.[key]),
      jsonValues(after?.[key]),
    );
    return diff ? [diff] : [];
  });
}
