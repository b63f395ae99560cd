import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import spireMgmtPlugin from '@spire-mgmt/backstage-plugin-spire-mgmt/alpha';
import { demoSignInModule } from './demoSignIn';

/** The features of the demo app: the catalog, the spire-mgmt plugin, and sign-in as a demo user. */
export const features = [catalogPlugin, spireMgmtPlugin, demoSignInModule];

export default createApp({ features });
