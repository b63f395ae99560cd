import { createBackendModule } from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint } from '@backstage/plugin-auth-node';
import { demoSignInProviderFactory } from './demoSignInProvider';

/** The auth provider id: the frontend signs in at `/api/auth/demo/refresh`. */
export const DEMO_PROVIDER_ID = 'demo';

/**
 * Refuses to run anywhere but in development (`NODE_ENV=development`, as `backstage-cli package start` sets it):
 * the provider signs anyone in as any catalog user without a password.
 */
export function assertDevelopment(nodeEnv: string | undefined): void {
  if (nodeEnv !== 'development') {
    throw new Error(
      `the demo sign-in provider signs anyone in as any catalog user and runs only in development ` +
        `(NODE_ENV=development, as 'yarn start' sets it); NODE_ENV is ${
          nodeEnv ? `'${nodeEnv}'` : 'unset'
        }: remove it from this backend`,
    );
  }
}

/**
 * Auth backend module registering the `demo` provider (development only; the backend refuses to start with it
 * otherwise). Enabled by `auth.providers.demo: {}` in the app config.
 */
export const authModuleDemoSignIn = createBackendModule({
  pluginId: 'auth',
  moduleId: 'spire-mgmt-demo-sign-in',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        assertDevelopment(process.env.NODE_ENV);
        providers.registerProvider({
          providerId: DEMO_PROVIDER_ID,
          factory: demoSignInProviderFactory,
        });
      },
    });
  },
});
