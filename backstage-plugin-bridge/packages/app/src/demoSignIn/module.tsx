import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

/** The demo sign-in page (a choice of demo users) in place of the app's default one. */
export const demoSignInPage = SignInPageBlueprint.make({
  params: {
    loader: () => import('./DemoSignInPage').then(m => m.DemoSignInPage),
  },
});

/** App module installing {@link demoSignInPage}. */
export const demoSignInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [demoSignInPage],
});
