import { create } from '@bufbuild/protobuf';
import {
  EntrySchema,
  SelectorSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { isInComponentScope, namespaceSelector } from './componentScope';

const payments = {
  spiffeIdPrefix: 'spiffe://example.org/ns/payments',
  kubernetesNamespaces: ['payments', 'payments-batch'],
};

function entry(spiffeId: string, ...selectors: [string, string][]) {
  return create(EntrySchema, {
    spiffeId,
    selectors: selectors.map(([type, value]) =>
      create(SelectorSchema, { type, value }),
    ),
  });
}

describe('isInComponentScope', () => {
  it('takes an entry whose SPIFFE ID is the prefix or below it by whole path segments', () => {
    expect(
      isInComponentScope(entry('spiffe://example.org/ns/payments'), payments),
    ).toBe(true);
    expect(
      isInComponentScope(
        entry('spiffe://example.org/ns/payments/api'),
        payments,
      ),
    ).toBe(true);
    expect(
      isInComponentScope(
        entry('spiffe://example.org/ns/payments-v2/api'),
        payments,
      ),
    ).toBe(false);
  });

  it("takes an entry selecting one of the component's namespaces, whatever its SPIFFE ID", () => {
    expect(
      isInComponentScope(
        entry(
          'spiffe://example.org/batch',
          ['k8s:sa', 'worker'],
          ['k8s:ns', 'payments-batch'],
        ),
        payments,
      ),
    ).toBe(true);
    expect(
      isInComponentScope(
        entry('spiffe://example.org/batch', ['k8s:ns', 'billing']),
        payments,
      ),
    ).toBe(false);
    // Another selector type naming the namespace does not place the workload in it.
    expect(
      isInComponentScope(
        entry('spiffe://example.org/batch', ['k8s:sa', 'payments']),
        payments,
      ),
    ).toBe(false);
  });

  it('matches nothing by prefix for a component with namespaces only', () => {
    expect(
      isInComponentScope(entry('spiffe://example.org/ns/payments/api'), {
        kubernetesNamespaces: ['payments'],
      }),
    ).toBe(false);
  });
});

describe('namespaceSelector', () => {
  it('is the k8s:ns selector of the namespace', () => {
    const selector = namespaceSelector('payments');
    expect([selector.type, selector.value]).toEqual(['k8s:ns', 'payments']);
  });
});
