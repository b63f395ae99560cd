import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  EntrySchema,
  EntrySiteStatusSchema,
  SelectorSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { diffEntries, diffJsonObjects, FieldDiff } from './diffEntries';

const before = create(EntrySchema, {
  id: 'e1',
  spiffeId: 'spiffe://example.org/ns/pay/api',
  parentId: 'spiffe://example.org/node',
  selectors: [
    create(SelectorSchema, { type: 'k8s:ns', value: 'pay' }),
    create(SelectorSchema, { type: 'k8s:sa', value: 'api' }),
  ],
  ttl: 3600,
  dnsNames: ['api.pay.svc'],
  siteIds: ['s1'],
  siteStatuses: [
    create(EntrySiteStatusSchema, { siteId: 's1', siteName: 'eu-west' }),
    create(EntrySiteStatusSchema, { siteId: 's2', siteName: 'us-east' }),
  ],
  revision: 3n,
});

function summary(diffs: FieldDiff[]) {
  return diffs.map(d => ({
    field: d.field,
    removed: d.before.filter(v => v.changed).map(v => v.text),
    added: d.after.filter(v => v.changed).map(v => v.text),
  }));
}

describe('diffEntries', () => {
  it('shows only the fields that differ, list fields by the items added and removed', () => {
    // Given an update that swaps a selector, adds a site and a DNS name, and doubles the TTL
    const after = create(EntrySchema, {
      ...before,
      selectors: [
        create(SelectorSchema, { type: 'k8s:ns', value: 'pay' }),
        create(SelectorSchema, { type: 'k8s:sa', value: 'batch' }),
      ],
      ttl: 7200,
      dnsNames: ['api.pay.svc', 'api.pay'],
      siteIds: ['s1', 's2'],
      revision: 4n,
    });

    // When
    const diffs = diffEntries(before, after);

    // Then the revision (output only) and the unchanged fields are left out; sites are named
    expect(summary(diffs)).toEqual([
      { field: 'selectors', removed: ['k8s:sa:api'], added: ['k8s:sa:batch'] },
      { field: 'site_ids', removed: [], added: ['us-east'] },
      { field: 'ttl', removed: ['3600 s (1 h)'], added: ['7200 s (2 h)'] },
      { field: 'dns_names', removed: [], added: ['api.pay'] },
    ]);
    // and the unchanged items of a list stay visible, unmarked
    expect(diffs[0].after).toEqual([
      { text: 'k8s:ns:pay', changed: false },
      { text: 'k8s:sa:batch', changed: true },
    ]);
  });

  it('names the sites of a proposed entry, which has no site statuses, by the known names, else by id', () => {
    // Given a requested create: site ids only
    const proposed = create(EntrySchema, {
      spiffeId: 'spiffe://example.org/ns/pay/api',
      siteIds: ['s1', 's9'],
    });

    // When
    const diffs = diffEntries(
      undefined,
      proposed,
      new Map([['s1', 'eu-west']]),
    );

    // Then
    expect(diffs.find(d => d.field === 'site_ids')?.after).toEqual([
      { text: 'eu-west', changed: true },
      { text: 's9', changed: true },
    ]);
  });

  it('shows every field of a created entry and of a deleted one', () => {
    // When
    const created = summary(diffEntries(undefined, before));
    const deleted = summary(diffEntries(before, undefined));

    // Then
    expect(created.map(d => d.field)).toEqual([
      'spiffe_id',
      'parent_id',
      'selectors',
      'site_ids',
      'ttl',
      'jwt_svid_ttl',
      'dns_names',
      'admin',
      'downstream',
      'store_svid',
    ]);
    expect(created[0]).toEqual({
      field: 'spiffe_id',
      removed: [],
      added: ['spiffe://example.org/ns/pay/api'],
    });
    expect(deleted[2]).toEqual({
      field: 'selectors',
      removed: ['k8s:ns:pay', 'k8s:sa:api'],
      added: [],
    });
  });

  it('says nothing differs when only output fields changed', () => {
    // When
    const diffs = diffEntries(
      before,
      create(EntrySchema, { ...before, revision: 9n }),
    );

    // Then
    expect(diffs).toEqual([]);
  });

  it('shows flags, the hint and the expiry time', () => {
    // Given
    const after = create(EntrySchema, {
      ...before,
      admin: true,
      hint: 'payments',
      expiryTime: timestampFromDate(new Date('2027-01-02T03:04:05Z')),
    });

    // When
    const diffs = summary(diffEntries(before, after));

    // Then
    expect(diffs).toEqual([
      { field: 'admin', removed: ['no'], added: ['yes'] },
      { field: 'hint', removed: [], added: ['payments'] },
      { field: 'expiry_time', removed: [], added: ['2027-01-02 03:04:05 UTC'] },
    ]);
  });
});

describe('diffJsonObjects', () => {
  it('compares the top-level fields of two JSON objects', () => {
    // When
    const diffs = diffJsonObjects(
      { site_id: 's1', sync_state: 'SYNC_STATE_PENDING', tags: ['a'] },
      { site_id: 's1', sync_state: 'SYNC_STATE_SYNCED', tags: ['a', 'b'] },
    );

    // Then
    expect(summary(diffs)).toEqual([
      {
        field: 'sync_state',
        removed: ['SYNC_STATE_PENDING'],
        added: ['SYNC_STATE_SYNCED'],
      },
      { field: 'tags', removed: [], added: ['b'] },
    ]);
  });
});
