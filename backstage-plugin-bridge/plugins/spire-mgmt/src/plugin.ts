import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { SpireMgmtClient, spireMgmtApiRef } from './api';
import {
  entityContentRouteRef,
  rootRouteRef,
  spireMgmtRouteRefs,
} from './routes';

/**
 * The spire-mgmt frontend plugin, for apps on the legacy frontend system (the new one: the `/alpha` export).
 *
 * @public
 */
export const spireMgmtPlugin = createPlugin({
  id: 'spire-mgmt',
  apis: [
    createApiFactory({
      api: spireMgmtApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new SpireMgmtClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: spireMgmtRouteRefs,
});

/**
 * The "SPIFFE management" page, for a `Route` of the legacy frontend system's app (e.g. at `/spire-mgmt`):
 * the entries (filtered and paged, sync state live), the sites with their health, the approver queue and an
 * entry's audit history, as tabs; below it the
 * entry request wizard (`/requests/new`) and each request's page (`/requests/:requestId`).
 *
 * @public
 */
export const SpireMgmtPage: () => JSX.Element = spireMgmtPlugin.provide(
  createRoutableExtension({
    name: 'SpireMgmtPage',
    component: () =>
      import('./components/SpireMgmtPage').then(m => m.SpireMgmtPage),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The catalog entity tab, for `EntityLayout.Route` on the legacy frontend system: the entity's workload
 * entries, their live sync state per site and the pending requests touching them.
 *
 * @public
 */
export const EntitySpireMgmtContent: () => JSX.Element =
  spireMgmtPlugin.provide(
    createRoutableExtension({
      name: 'EntitySpireMgmtContent',
      component: () =>
        import('./components/EntitySpireMgmtContent').then(
          m => m.EntitySpireMgmtContent,
        ),
      mountPoint: entityContentRouteRef,
    }),
  );
