import { create } from '@bufbuild/protobuf';
import {
  EntryRequestProblemSchema,
  EntrySchema,
  SelectorSchema,
  SiteSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import {
  buildChange,
  emptyForm,
  formFromEntry,
  localProblems,
  parseSeconds,
} from './entryForm';
import { formFieldOf, sortProblems } from './fieldProblems';
import { serviceAccountName, suggestForm } from './suggestion';

const entry = create(EntrySchema, {
  id: 'e1',
  revision: 3n,
  spiffeId: 'spiffe://td/a',
  parentId: 'spiffe://td/agent',
  selectors: [
    create(SelectorSchema, { type: 'k8s:ns', value: 'pay' }),
    create(SelectorSchema, { type: 'k8s:sa', value: 'api' }),
  ],
  siteIds: ['s1', 's2'],
  dnsNames: ['api.pay.svc'],
});

describe('entry form', () => {
  it('reads seconds as whole numbers, empty as the default, and refuses anything else', () => {
    expect(parseSeconds('')).toEqual({ seconds: 0 });
    expect(parseSeconds(' 3600 ')).toEqual({ seconds: 3600 });
    expect(parseSeconds('1.5')).toHaveProperty('problem');
    expect(parseSeconds('-5')).toHaveProperty('problem');
    expect(parseSeconds('99999999999')).toHaveProperty('problem');
    expect(localProblems({ ...emptyForm(), jwtSvidTtl: 'soon' })).toEqual({
      jwt_svid_ttl:
        "'soon' is not a whole number of seconds (leave it empty for the SPIRE server's default)",
    });
  });

  it('asks to update only the fields that differ, ignoring selector and site order', () => {
    // Given the entry's form with reordered selectors and sites and one more DNS name
    const form = formFromEntry(entry);
    form.selectors.reverse();
    form.siteIds = ['s2', 's1'];
    form.dnsNames = 'api.pay.svc\nweb.pay.svc';

    // When
    const change = buildChange('update', form, entry);

    // Then
    expect(change?.change.case).toBe('update');
    if (change?.change.case !== 'update') throw new Error('not an update');
    expect(change.change.value.updateMask?.paths).toEqual(['dns_names']);
    expect(change.change.value.entry?.revision).toBe(3n);
    expect(change.change.value.entry?.dnsNames).toEqual([
      'api.pay.svc',
      'web.pay.svc',
    ]);
  });

  it('has no update when nothing changed, and deletes at the revision read', () => {
    expect(buildChange('update', formFromEntry(entry), entry)).toBeUndefined();
    const deletion = buildChange('delete', emptyForm(), entry);
    expect(deletion?.change).toMatchObject({
      case: 'delete',
      value: { id: 'e1', revision: 3n },
    });
  });
});

describe('field problems', () => {
  it("maps the API's field names onto the wizard's fields", () => {
    expect(formFieldOf('change.create.spiffe_id')).toEqual({
      key: 'spiffe_id',
      field: 'spiffe_id',
    });
    expect(formFieldOf('change.update.entry.selectors[2].value')).toEqual({
      key: 'selectors[2].value',
      field: 'selectors',
      index: 2,
    });
    expect(formFieldOf('entry.dns_names[1]')).toEqual({
      key: 'dns_names',
      field: 'dns_names',
      index: 1,
    });
    expect(formFieldOf('justification')?.key).toBe('justification');
    expect(formFieldOf('change.create.hint')).toBeUndefined();
    expect(formFieldOf('change.delete.revision')).toBeUndefined();
  });

  it("shows a problem on its field without the API field name the service's message starts with", () => {
    // When
    const sorted = sortProblems(
      [
        create(EntryRequestProblemSchema, {
          field: 'change.create.spiffe_id',
          message:
            "change.create.spiffe_id: invalid SPIFFE ID: path segment 3 is empty ('//')",
        }),
        create(EntryRequestProblemSchema, {
          field: 'change.create.parent_id',
          message: 'must be in the trust domain of the SPIFFE ID',
        }),
      ],
      () => undefined,
    );

    // Then
    expect(sorted.byField).toEqual({
      spiffe_id: ["invalid SPIFFE ID: path segment 3 is empty ('//')"],
      parent_id: ['must be in the trust domain of the SPIFFE ID'],
    });
  });

  it('labels an item of a list field and keeps problems of no wizard field apart', () => {
    // Given
    const problems = [
      create(EntryRequestProblemSchema, {
        field: 'change.create.site_ids[1]',
        message: 'site is INACTIVE',
      }),
      create(EntryRequestProblemSchema, {
        field: 'change.create',
        message: 'the entry is too large',
      }),
    ];

    // When
    const sorted = sortProblems(problems, (field, index) =>
      field === 'site_ids' ? `site #${index + 1}` : undefined,
    );

    // Then
    expect(sorted.byField).toEqual({ site_ids: ['site #2: site is INACTIVE'] });
    expect(sorted.general.map(p => p.message)).toEqual([
      'the entry is too large',
    ]);
  });
});

describe('suggestion', () => {
  it('suggests the ID under the prefix, or from the namespace and the one trust domain of the sites', () => {
    const sites = [
      create(SiteSchema, { id: 's1', trustDomain: 'example.org' }),
    ];
    expect(
      suggestForm(
        { spiffeIdPrefix: 'spiffe://td/ns/pay', kubernetesNamespaces: [] },
        'Payments_API',
        sites,
      ).spiffeId,
    ).toBe('spiffe://td/ns/pay/sa/payments-api');
    const fromNamespace = suggestForm(
      { kubernetesNamespaces: ['pay'] },
      'api',
      sites,
    );
    expect(fromNamespace.spiffeId).toBe('spiffe://example.org/ns/pay/sa/api');
    expect(fromNamespace.selectors?.map(s => `${s.type}:${s.value}`)).toEqual([
      'k8s:ns:pay',
      'k8s:sa:api',
    ]);
    expect(
      suggestForm({ kubernetesNamespaces: ['pay'] }, 'api', [
        ...sites,
        create(SiteSchema, { id: 's2', trustDomain: 'other.org' }),
      ]).spiffeId,
    ).toBeUndefined();
    expect(serviceAccountName('--My.Service--')).toBe('my-service');
  });
});
