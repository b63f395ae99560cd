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
