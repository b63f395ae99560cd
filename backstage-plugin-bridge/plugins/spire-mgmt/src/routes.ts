import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The "SPIFFE management" page (`SpireMgmtPage`), mounted at `/spire-mgmt` by default. */
export const rootRouteRef = createRouteRef({
  id: 'spire-mgmt',
});

/** The "SPIFFE identities" tab of catalog components (`EntitySpireMgmtContent`). */
export const entityContentRouteRef = createRouteRef({
  id: 'spire-mgmt:entity-content',
});

/** The page's entries section: every entry, filtered and paged by the service. */
export const entriesRouteRef = createSubRouteRef({
  id: 'spire-mgmt:entries',
  parent: rootRouteRef,
  path: '/entries',
});

/** The page's sites section: each site's health. */
export const sitesRouteRef = createSubRouteRef({
  id: 'spire-mgmt:sites',
  parent: rootRouteRef,
  path: '/sites',
});

/** The page's approvals section: the requests awaiting the user's decision, and the user's own. */
export const approvalsRouteRef = createSubRouteRef({
  id: 'spire-mgmt:approvals',
  parent: rootRouteRef,
  path: '/approvals',
});

/** The page's audit section: an entry's audit history (`?entryId=<entry id>`). */
export const auditRouteRef = createSubRouteRef({
  id: 'spire-mgmt:audit',
  parent: rootRouteRef,
  path: '/audit',
});

/**
 * The request wizard, under the plugin's page: `?action=create` (the default, optionally with
 * `&entity=component:default/name` to suggest the identity from that component), or `?action=update` /
 * `?action=delete` with `&entryId=<entry id>`.
 */
export const newEntryRequestRouteRef = createSubRouteRef({
  id: 'spire-mgmt:new-entry-request',
  parent: rootRouteRef,
  path: '/requests/new',
});

/** One entry request's page, following its state and, once applied, the entry's sync. */
export const entryRequestRouteRef = createSubRouteRef({
  id: 'spire-mgmt:entry-request',
  parent: rootRouteRef,
  path: '/requests/:requestId',
});

/** Every route ref of the plugin by name, as both frontend systems' plugins register them. */
export const spireMgmtRouteRefs = {
  root: rootRouteRef,
  entityContent: entityContentRouteRef,
  entries: entriesRouteRef,
  sites: sitesRouteRef,
  approvals: approvalsRouteRef,
  audit: auditRouteRef,
  newEntryRequest: newEntryRequestRouteRef,
  entryRequest: entryRequestRouteRef,
};
