/**
 * The spire-mgmt frontend plugin for the new frontend system.
 *
 * @packageDocumentation
 */

import {
  convertLegacyRouteRef,
  convertLegacyRouteRefs,
  compatWrapper,
} from '@backstage/core-compat-api';
import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import VpnKeyIcon from '@material-ui/icons/VpnKey';
import { isSpireMgmtAvailable } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtClient, spireMgmtApiRef } from './api';
import {
  entityContentRouteRef,
  rootRouteRef,
  spireMgmtRouteRefs,
} from './routes';

/**
 * The `SpireMgmtApi` over the backend plugin's gRPC-Web route.
 *
 * @alpha
 */
export const spireMgmtApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: spireMgmtApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new SpireMgmtClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The "SPIFFE management" page at `/spire-mgmt`: the entries (filtered and paged, sync state live), the sites
 * with their health, the approver queue and an entry's audit history, as tabs; below it the entry request wizard (`/requests/new`) and each request's page
 * (`/requests/:requestId`). With its title, icon and route it is also the app's sidebar item (in
 * `@backstage/frontend-plugin-api` 0.18 the nav lists the pages; there is no `NavItemBlueprint` any more).
 *
 * @alpha
 */
export const spireMgmtPage = PageBlueprint.make({
  params: {
    path: '/spire-mgmt',
    title: 'SPIFFE management',
    icon: <VpnKeyIcon />,
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () =>
      import('./components/SpireMgmtPage').then(m =>
        compatWrapper(<m.SpireMgmtSections />),
      ),
  },
});

/**
 * The "SPIFFE identities" tab of catalog components that carry a spire-mgmt annotation.
 *
 * @alpha
 */
export const spireMgmtEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/spire-mgmt',
    title: 'SPIFFE identities',
    routeRef: convertLegacyRouteRef(entityContentRouteRef),
    filter: entity =>
      entity.kind.toLocaleLowerCase('en-US') === 'component' &&
      isSpireMgmtAvailable(entity),
    loader: () =>
      import('./components/EntitySpireMgmtContent').then(m => (
        <m.EntitySpireMgmtContent />
      )),
  },
});

/**
 * The spire-mgmt frontend plugin: its API, the "SPIFFE management" page and the catalog entity tab.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'spire-mgmt',
  title: 'SPIFFE management',
  icon: <VpnKeyIcon />,
  routes: convertLegacyRouteRefs(spireMgmtRouteRefs),
  extensions: [spireMgmtApi, spireMgmtPage, spireMgmtEntityContent],
});
