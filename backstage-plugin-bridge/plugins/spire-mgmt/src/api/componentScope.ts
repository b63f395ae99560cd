import { create } from '@bufbuild/protobuf';
import {
  isUnderSpiffeIdPrefix,
  Selector,
  SelectorSchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtComponentScope } from './SpireMgmtApi';

const NAMESPACE_SELECTOR_TYPE = 'k8s:ns';

/** The selector that places a workload in a Kubernetes namespace. */
export function namespaceSelector(namespace: string): Selector {
  return create(SelectorSchema, {
    type: NAMESPACE_SELECTOR_TYPE,
    value: namespace,
  });
}

/**
 * Whether an entry belongs to a component: its SPIFFE ID is under the component's prefix (by whole path
 * segments), or one of its selectors names one of the component's namespaces. The rule
 * `SpireMgmtClient.listComponentEntries` lists by.
 */
export function isInComponentScope(
  entry: { spiffeId: string; selectors: Selector[] },
  scope: SpireMgmtComponentScope,
): boolean {
  const { spiffeIdPrefix, kubernetesNamespaces } = scope;
  return (
    (!!spiffeIdPrefix &&
      isUnderSpiffeIdPrefix(entry.spiffeId, spiffeIdPrefix)) ||
    entry.selectors.some(
      s =>
        s.type === NAMESPACE_SELECTOR_TYPE &&
        kubernetesNamespaces.includes(s.value),
    )
  );
}
