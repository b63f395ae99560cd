import { SyncState } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  filterOfField,
  readEntriesQuery,
  toEntryFilter,
  toSearchParams,
} from './entriesQuery';

describe('entriesQuery', () => {
  it('reads every filter and the page token from the URL query, and writes them back', () => {
    // Given
    const params = new URLSearchParams(
      'state=failed&prefix=spiffe%3A%2F%2Fexample.org%2Fns%2F&site=s1&selector=k8s%3Ans%3Apay&page=tok&other=x',
    );

    // When
    const query = readEntriesQuery(params);

    // Then
    expect(query).toEqual({
      site: 's1',
      selector: 'k8s:ns:pay',
      prefix: 'spiffe://example.org/ns/',
      state: 'failed',
      page: 'tok',
    });
    expect(toSearchParams(query).toString()).toBe(
      'site=s1&selector=k8s%3Ans%3Apay&prefix=spiffe%3A%2F%2Fexample.org%2Fns%2F&state=failed&page=tok',
    );
  });

  it('maps a view to the ListEntries filter, splitting the selector at its first colon', () => {
    // When
    const result = toEntryFilter({
      site: 's1',
      selector: 'k8s:ns:payments',
      prefix: 'spiffe://example.org/ns/payments/',
      state: 'deleting',
      page: '',
    });

    // Then
    expect(result).toEqual({
      filter: {
        siteId: 's1',
        selectors: [{ type: 'k8s', value: 'ns:payments' }],
        spiffeIdPrefix: 'spiffe://example.org/ns/payments/',
        syncState: SyncState.DELETING,
      },
    });
  });

  it('leaves out the filters that are empty, and sends a selector without a colon for the service to judge', () => {
    // When
    const empty = toEntryFilter(readEntriesQuery(new URLSearchParams()));
    const bare = toEntryFilter(
      readEntriesQuery(new URLSearchParams('selector=unix')),
    );

    // Then
    expect(empty).toEqual({ filter: {} });
    expect(bare).toEqual({
      filter: { selectors: [{ type: 'unix', value: '' }] },
    });
  });

  it('refuses a sync state it has no value for, naming the states it knows', () => {
    // When
    const result = toEntryFilter(
      readEntriesQuery(new URLSearchParams('state=removed')),
    );

    // Then
    expect(result).toEqual({
      filterName: 'state',
      message:
        "'removed' is not a sync state to filter by: use pending, synced, failed, deleting",
    });
  });

  it('finds the filter of each field the service names in its errors', () => {
    expect(filterOfField('site_id')).toBe('site');
    expect(filterOfField('selectors[0].type')).toBe('selector');
    expect(filterOfField('selectors')).toBe('selector');
    expect(filterOfField('spiffe_id_prefix')).toBe('prefix');
    expect(filterOfField('sync_state')).toBe('state');
    expect(filterOfField('page_token')).toBe('page');
    expect(filterOfField('page_size')).toBeUndefined();
    expect(filterOfField(undefined)).toBeUndefined();
  });
});
