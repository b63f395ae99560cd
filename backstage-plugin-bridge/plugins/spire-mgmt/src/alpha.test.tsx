import { Entity } from '@backstage/catalog-model';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { spireMgmtEntityContent } from './alpha';

function component(annotations: Record<string, string>, kind = 'Component') {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name: 'payments', annotations },
  } as Entity;
}

describe('spireMgmtEntityContent', () => {
  it('is a "SPIFFE identities" tab shown only on components carrying a spire-mgmt annotation', () => {
    // Given
    const tester = createExtensionTester(spireMgmtEntityContent);

    // When
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;

    // Then
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'SPIFFE identities',
    );
    expect(
      filter(
        component({
          'spire-mgmt.io/kubernetes-namespaces': 'payments',
        }),
      ),
    ).toBe(true);
    expect(
      filter(
        component({
          'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments',
        }),
      ),
    ).toBe(true);
    expect(filter(component({}))).toBe(false);
    expect(
      filter(
        component(
          { 'spire-mgmt.io/kubernetes-namespaces': 'payments' },
          'System',
        ),
      ),
    ).toBe(false);
  });
});
