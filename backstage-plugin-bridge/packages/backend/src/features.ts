import authPlugin from '@backstage/plugin-auth-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import spireMgmtPlugin from '@spire-mgmt/backstage-plugin-spire-mgmt-backend';
import demoSignIn from './demoSignIn';

/**
 * The demo backend's plugins and modules, as `index.ts` adds them (its tests start the same list): sign-in as one
 * of the demo catalog's users (development only, refused at start otherwise), the catalog, and spire-mgmt.
 */
export const demoBackendFeatures = [
  authPlugin,
  demoSignIn,
  catalogPlugin,
  spireMgmtPlugin,
];
