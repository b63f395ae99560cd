import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({
  id: 'spire-mgmt',
});

/**
 * The request wizard, under the plugin's page: `?action=create` (the default, optionally with
 * `&entity=component:default/name` to suggest the identity from that component), or `?action=update` /
 * `?action=delete` with `&entryId=<entry id>`.
 */
export const newEntryRequestRouteRef = createSubRouteRef({
  id: 'spire-mgmt/new-entry-request',
  parent: rootRouteRef,
  path: '/requests/new',
});

/** One entry request's page, following its state and, once applied, the entry's sync. */
export const entryRequestRouteRef = createSubRouteRef({
  id: 'spire-mgmt/entry-request',
  parent: rootRouteRef,
  path: '/requests/:requestId',
});
