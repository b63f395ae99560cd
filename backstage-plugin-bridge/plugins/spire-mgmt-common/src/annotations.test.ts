import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  getSpireMgmtAnnotations,
  isSpireMgmtAvailable,
  isUnderSpiffeIdPrefix,
  parseKubernetesNamespaces,
  parseSpiffeIdPrefix,
} from './annotations';
import { isSpireMgmtErrorReason } from './errorReasons';

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments', namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:team-a', lifecycle: 'production' },
  };
}

describe('spire-mgmt annotations', () => {
  it.each([
    ['spiffe://example.org/ns/payments', 'spiffe://example.org/ns/payments'],
    ['spiffe://example.org/ns/payments/', 'spiffe://example.org/ns/payments'],
    ['  spiffe://example.org  ', 'spiffe://example.org'],
    [
      'spiffe://prod.example-1.org/A_b/c.d',
      'spiffe://prod.example-1.org/A_b/c.d',
    ],
  ])('accepts the SPIFFE ID prefix %j as %j', (value, expected) => {
    // When
    const prefix = parseSpiffeIdPrefix(value);

    // Then
    expect(prefix).toBe(expected);
  });

  it.each([
    ['example.org/ns/a', "must start with 'spiffe://' (lower case)"],
    ['SPIFFE://example.org', "must start with 'spiffe://' (lower case)"],
    ['spiffe://', 'has no trust domain'],
    ['spiffe:///ns/a', 'has no trust domain'],
    ['spiffe://Example.org/ns/a', "has the character 'E' in its trust domain"],
    [
      'spiffe://example.org:8443/ns',
      "has the character ':' in its trust domain",
    ],
    ['spiffe://example.org/ns//a', "has an empty path segment 2 ('//')"],
    [
      'spiffe://example.org/ns/../a',
      "has the path segment '..', which is not allowed",
    ],
    [
      'spiffe://example.org/ns/a b',
      'has the character U+0020 in path segment 2',
    ],
    [
      'spiffe://example.org/ns/a?x=1',
      "has the character '?' in path segment 2",
    ],
  ])('refuses the SPIFFE ID prefix %j saying it %s', (value, problem) => {
    // When
    const parse = () => parseSpiffeIdPrefix(value);

    // Then
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(
      `spire-mgmt.io/spiffe-id-prefix '${value}' ${problem}`,
    );
  });

  it('matches SPIFFE IDs under a prefix by whole path segments', () => {
    // Given
    const prefix = parseSpiffeIdPrefix('spiffe://example.org/ns/a/');

    // Then
    expect(isUnderSpiffeIdPrefix('spiffe://example.org/ns/a', prefix)).toBe(
      true,
    );
    expect(
      isUnderSpiffeIdPrefix('spiffe://example.org/ns/a/sa/x', prefix),
    ).toBe(true);
    expect(isUnderSpiffeIdPrefix('spiffe://example.org/ns/ab', prefix)).toBe(
      false,
    );
    expect(isUnderSpiffeIdPrefix('spiffe://example.org/ns', prefix)).toBe(
      false,
    );
  });

  it('parses comma-separated namespaces, ignoring spaces around them', () => {
    // When
    const namespaces = parseKubernetesNamespaces(
      ' payments ,payments-batch,a1',
    );

    // Then
    expect(namespaces).toEqual(['payments', 'payments-batch', 'a1']);
  });

  it('names every bad namespace item at once', () => {
    // When
    const parse = () =>
      parseKubernetesNamespaces(`Payments,,-a,ok,ok,${'x'.repeat(64)}`);

    // Then
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(
      `spire-mgmt.io/kubernetes-namespaces 'Payments,,-a,ok,ok,${'x'.repeat(
        64,
      )}': ` +
        "'Payments' is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit); " +
        'item 2 is empty; ' +
        "'-a' is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit); " +
        "'ok' is listed twice; " +
        `'${'x'.repeat(64)}' is longer than 63 characters`,
    );
  });

  it('refuses an empty namespaces annotation', () => {
    // Then
    expect(() => parseKubernetesNamespaces('')).toThrow(
      "spire-mgmt.io/kubernetes-namespaces '': item 1 is empty",
    );
  });

  it('reads both annotations of an entity', () => {
    // Given
    const entity = component({
      'spire-mgmt.io/spiffe-id-prefix': 'spiffe://example.org/ns/payments/',
      'spire-mgmt.io/kubernetes-namespaces': 'payments, payments-batch',
    });

    // When
    const annotations = getSpireMgmtAnnotations(entity);

    // Then
    expect(annotations).toEqual({
      spiffeIdPrefix: 'spiffe://example.org/ns/payments',
      kubernetesNamespaces: ['payments', 'payments-batch'],
    });
    expect(isSpireMgmtAvailable(entity)).toBe(true);
  });

  it('reads an entity without annotations as having none', () => {
    // Given
    const entity = component({});

    // Then
    expect(getSpireMgmtAnnotations(entity)).toEqual({
      spiffeIdPrefix: undefined,
      kubernetesNamespaces: [],
    });
    expect(isSpireMgmtAvailable(entity)).toBe(false);
  });

  it('names the entity whose annotation is malformed', () => {
    // Given
    const entity = component({
      'spire-mgmt.io/kubernetes-namespaces': 'payments_1',
    });

    // Then
    expect(() => getSpireMgmtAnnotations(entity)).toThrow(
      "component:default/payments: spire-mgmt.io/kubernetes-namespaces 'payments_1': 'payments_1' is not a namespace name",
    );
  });

  it('knows the reasons generated from the backend and no others', () => {
    // Then
    expect(isSpireMgmtErrorReason('STALE_REVISION')).toBe(true);
    expect(isSpireMgmtErrorReason('APPROVAL_REQUIRED')).toBe(true);
    expect(isSpireMgmtErrorReason('toString')).toBe(false);
    expect(isSpireMgmtErrorReason('NO_SUCH_REASON')).toBe(false);
    expect(isSpireMgmtErrorReason(undefined)).toBe(false);
  });
});
