import { Entry } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { useSiteNames } from '../shared';
import { DiffTable } from './DiffTable';
import { diffEntries } from './diffEntries';

/** Props of {@link EntryDiff}. */
export interface EntryDiffProps {
  /** The entry before the change; absent for a create. */
  before?: Entry;
  /** The entry after the change; absent for a delete. */
  after?: Entry;
  /** What the table shows, for assistive technology, e.g. `Requested change`. */
  label: string;
  /** The heading of the before column (default `Before`). */
  beforeTitle?: string;
  /** The heading of the after column (default `After`). */
  afterTitle?: string;
}

/**
 * Two versions of an entry field by field: SPIFFE ID, parent, selectors, sites, TTLs, DNS names, federated
 * trust domains, flags, hint and expiry, showing only the fields that differ, list items added and removed.
 */
export function EntryDiff(props: EntryDiffProps) {
  const siteNames = useSiteNames();
  return (
    <DiffTable
      diffs={diffEntries(props.before, props.after, siteNames)}
      label={props.label}
      beforeTitle={props.beforeTitle}
      afterTitle={props.afterTitle}
    />
  );
}
