import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import spireMgmtPlugin from '@spire-mgmt/backstage-plugin-spire-mgmt/alpha';
import { demoSignInModule } from './demoSignIn';
import { accessibleThemeModule } from './theme/accessibleLightTheme';

/**
 * The features of the demo app: the catalog, the spire-mgmt plugin, sign-in as a demo user, and a light theme
 * whose text colours meet WCAG AA.
 */
export const features = [
  catalogPlugin,
  spireMgmtPlugin,
  demoSignInModule,
  accessibleThemeModule,
];

export default createApp({ features });
