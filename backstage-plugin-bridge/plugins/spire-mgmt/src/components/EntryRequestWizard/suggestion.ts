import {
  Site,
  SpireMgmtAnnotations,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { EntryForm, selectorRow } from './entryForm';

/** A Kubernetes service account name made from a catalog name: lower case, `[a-z0-9-]`, at most 63. */
export function serviceAccountName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/**
 * The identity a component's workload would usually get, from the component's spire-mgmt annotations:
 * the SPIFFE ID `<prefix>/sa/<name>` (or, without a prefix, `spiffe://<trust domain>/ns/<namespace>/sa/<name>`
 * when every site serves one trust domain) and the selectors `k8s:ns` (its first namespace) and `k8s:sa`
 * (a service account named after the component). Only what can be derived is filled in.
 */
export function suggestForm(
  annotations: SpireMgmtAnnotations,
  componentName: string,
  sites: Site[],
): Partial<EntryForm> {
  const account = serviceAccountName(componentName);
  const namespace = annotations.kubernetesNamespaces[0];
  const trustDomains = [...new Set(sites.map(s => s.trustDomain))];
  let spiffeId: string | undefined;
  if (annotations.spiffeIdPrefix) {
    spiffeId = `${annotations.spiffeIdPrefix}/sa/${account}`;
  } else if (namespace && trustDomains.length === 1) {
    spiffeId = `spiffe://${trustDomains[0]}/ns/${namespace}/sa/${account}`;
  }
  const suggestion: Partial<EntryForm> = {
    selectors: namespace
      ? [selectorRow('k8s:ns', namespace), selectorRow('k8s:sa', account)]
      : [selectorRow('k8s:sa', account)],
  };
  if (spiffeId) {
    suggestion.spiffeId = spiffeId;
  }
  return suggestion;
}
