/**
 * The spire-mgmt frontend plugin for the new frontend system.
 *
 * @packageDocumentation
 */

import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isSpireMgmtAvailable } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtClient, spireMgmtApiRef } from './api';

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
 * The "SPIFFE identities" tab of catalog components that carry a spire-mgmt annotation.
 *
 * @alpha
 */
export const spireMgmtEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/spire-mgmt',
    title: 'SPIFFE identities',
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
 * The spire-mgmt frontend plugin: its API and the catalog entity tab.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'spire-mgmt',
  extensions: [spireMgmtApi, spireMgmtEntityContent],
});
