import { InputError, isError, NotFoundError } from '@backstage/errors';
import {
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** The request header naming the demo user to sign in as (a catalog User's `metadata.name`). */
export const DEMO_USER_HEADER = 'x-spire-mgmt-demo-user';

/** A catalog entity name (https://backstage.io/docs/features/software-catalog/descriptor-format#name-required). */
const ENTITY_NAME = /^[a-z0-9A-Z](?:[-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/;

/** What the demo authenticator found in the request: the user the browser asks to be. */
export interface DemoSignInResult {
  userName: string;
}

/**
 * Takes the user to sign in as from {@link DEMO_USER_HEADER}: no password, so for development only. A missing or
 * malformed name is an `InputError` (HTTP 400) and signs nobody in.
 */
export const demoUserAuthenticator = createProxyAuthenticator<
  void,
  DemoSignInResult,
  undefined
>({
  defaultProfileTransform: async result => ({
    profile: { displayName: result.userName },
  }),
  initialize() {},
  async authenticate({ req }) {
    const userName = req.header(DEMO_USER_HEADER);
    if (!userName) {
      throw new InputError(
        `demo sign-in: the ${DEMO_USER_HEADER} header must name a demo user`,
      );
    }
    if (!ENTITY_NAME.test(userName)) {
      throw new InputError(
        `demo sign-in: '${userName}' in ${DEMO_USER_HEADER} is not a catalog entity name`,
      );
    }
    return { result: { userName } };
  },
});

/**
 * The demo provider: signs the browser in as the catalog User `user:default/<name>` it names; a name with no such
 * User in the catalog is refused (NotFoundError from the catalog lookup), so only the demo catalog's users exist.
 */
export const demoSignInProviderFactory = createProxyAuthProviderFactory({
  authenticator: demoUserAuthenticator,
  async signInResolver({ result }, ctx) {
    try {
      return await ctx.signInWithCatalogUser({
        entityRef: {
          kind: 'User',
          namespace: 'default',
          name: result.userName,
        },
      });
    } catch (e) {
      if (isError(e) && e.name === 'NotFoundError') {
        throw new NotFoundError(
          `demo sign-in: no User '${result.userName}' in the catalog`,
        );
      }
      throw e;
    }
  },
});
