import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

/**
 * The annotation naming the SPIFFE IDs a catalog entity owns: a SPIFFE ID whose path (if any) is the prefix of
 * its workloads' IDs, e.g. `spiffe://example.org/ns/payments`. A trailing `/` is allowed and ignored.
 *
 * @public
 */
export const SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX =
  'spire-mgmt.io/spiffe-id-prefix';

/**
 * The annotation listing the Kubernetes namespaces a catalog entity's workloads run in, comma-separated, e.g.
 * `payments, payments-batch`. A Developer's namespaces are those of the components its groups own.
 *
 * @public
 */
export const SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES =
  'spire-mgmt.io/kubernetes-namespaces';

/**
 * The spire-mgmt annotations of a catalog entity, parsed.
 *
 * @public
 */
export interface SpireMgmtAnnotations {
  /** The SPIFFE ID prefix without a trailing `/`; absent when the entity has no such annotation. */
  spiffeIdPrefix?: string;
  /** The Kubernetes namespaces, in the annotation's order; empty when the entity has no such annotation. */
  kubernetesNamespaces: string[];
}

const MAX_SPIFFE_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function describe(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return cp > 0x20 && cp < 0x7f
    ? `'${ch}'`
    : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `value` is not a SPIFFE ID prefix (the SPIFFE ID rules the service applies: lower-case `spiffe://`, a trust
 * domain of `[a-z0-9._-]`, path segments of `[A-Za-z0-9._-]` that are not empty, `.` or `..`), or undefined.
 */
function spiffeIdPrefixProblem(value: string): string | undefined {
  if (new TextEncoder().encode(value).length > MAX_SPIFFE_ID_BYTES) {
    return `is longer than ${MAX_SPIFFE_ID_BYTES} bytes`;
  }
  if (!value.startsWith('spiffe://')) {
    return "must start with 'spiffe://' (lower case)";
  }
  const rest = value.substring('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.substring(0, slash);
  if (trustDomain.length === 0) {
    return 'has no trust domain';
  }
  if (trustDomain.length > MAX_TRUST_DOMAIN) {
    return `has a trust domain longer than ${MAX_TRUST_DOMAIN} characters`;
  }
  const badTd = [...trustDomain].find(ch => !/[a-z0-9._-]/.test(ch));
  if (badTd !== undefined) {
    return `has the character ${describe(
      badTd,
    )} in its trust domain; only lower-case letters, digits, '.', '-' and '_' are allowed`;
  }
  if (slash < 0) {
    return undefined;
  }
  const segments = rest.substring(slash + 1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.length === 0) {
      return `has an empty path segment ${i + 1} ('//')`;
    }
    if (segment === '.' || segment === '..') {
      return `has the path segment '${segment}', which is not allowed`;
    }
    const bad = [...segment].find(ch => !/[A-Za-z0-9._-]/.test(ch));
    if (bad !== undefined) {
      return `has the character ${describe(bad)} in path segment ${
        i + 1
      }; only letters, digits, '.', '-' and '_' are allowed`;
    }
  }
  return undefined;
}

/**
 * Parses the value of the {@link SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX} annotation: returns the prefix without a
 * trailing `/`, or throws an `InputError` that says which rule the value breaks.
 *
 * @public
 */
export function parseSpiffeIdPrefix(value: string): string {
  const trimmed = value.trim();
  const prefix =
    trimmed.endsWith('/') && trimmed.length > 'spiffe://'.length + 1
      ? trimmed.slice(0, -1)
      : trimmed;
  const problem = spiffeIdPrefixProblem(prefix);
  if (problem) {
    throw new InputError(
      `${SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX} '${value}' ${problem}, e.g. spiffe://example.org/ns/payments`,
    );
  }
  return prefix;
}

/**
 * Whether `spiffeId` is under `prefix` (as returned by {@link parseSpiffeIdPrefix}): equal to it, or below it by
 * whole path segments (`spiffe://td/ns/a` covers `spiffe://td/ns/a/x`, not `spiffe://td/ns/ab`).
 *
 * @public
 */
export function isUnderSpiffeIdPrefix(
  spiffeId: string,
  prefix: string,
): boolean {
  return spiffeId === prefix || spiffeId.startsWith(`${prefix}/`);
}

/**
 * Parses the value of the {@link SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES} annotation: comma-separated
 * Kubernetes namespace names (DNS-1123 labels: at most 63 lower-case letters, digits and '-', starting and ending
 * with a letter or digit), spaces around them ignored. Throws an `InputError` naming every bad item, an empty item
 * or a name listed twice.
 *
 * @public
 */
export function parseKubernetesNamespaces(value: string): string[] {
  const items = value.split(',').map(item => item.trim());
  const problems: string[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.length === 0) {
      problems.push(`item ${i + 1} is empty`);
    } else if (item.length > 63) {
      problems.push(`'${item}' is longer than 63 characters`);
    } else if (!DNS_1123_LABEL.test(item)) {
      problems.push(
        `'${item}' is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
      );
    } else if (seen.has(item)) {
      problems.push(`'${item}' is listed twice`);
    }
    seen.add(item);
  });
  if (problems.length > 0) {
    throw new InputError(
      `${SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES} '${value}': ${problems.join(
        '; ',
      )}`,
    );
  }
  return items;
}

/**
 * The spire-mgmt annotations of a catalog entity, parsed; throws an `InputError` naming the entity, the
 * annotation and the problem when one is malformed.
 *
 * @public
 */
export function getSpireMgmtAnnotations(entity: Entity): SpireMgmtAnnotations {
  const annotations = entity.metadata.annotations ?? {};
  const prefix = annotations[SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX];
  const namespaces = annotations[SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES];
  try {
    return {
      spiffeIdPrefix:
        prefix === undefined ? undefined : parseSpiffeIdPrefix(prefix),
      kubernetesNamespaces:
        namespaces === undefined ? [] : parseKubernetesNamespaces(namespaces),
    };
  } catch (e) {
    throw new InputError(
      `${stringifyEntityRef(entity)}: ${(e as Error).message}`,
    );
  }
}

/**
 * Whether a catalog entity carries any spire-mgmt annotation (for example to show the plugin's tab only then).
 *
 * @public
 */
export function isSpireMgmtAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return (
    SPIRE_MGMT_ANNOTATION_SPIFFE_ID_PREFIX in annotations ||
    SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES in annotations
  );
}
