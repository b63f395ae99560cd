import {
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import authPlugin from '@backstage/plugin-auth-backend';
import { until } from '@internal/spire-mgmt-test-stack';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import demoSignIn, { DEMO_USER_HEADER } from './demoSignIn';
import { demoBackendFeatures } from './features';

/**
 * The workspace's app-config.yaml, as `yarn start` reads it, but with the catalog's file locations made absolute:
 * they are relative to this package (where `yarn start` runs the backend), and Jest may run from the workspace root.
 */
const appConfig = parse(
  readFileSync(join(__dirname, '../../../app-config.yaml'), 'utf8'),
);
for (const location of appConfig.catalog.locations) {
  location.target = resolve(__dirname, '..', location.target);
}

// The catalog reads the demo files after start: slower when the machine is busy.
jest.setTimeout(120_000);

describe('the demo backend', () => {
  const nodeEnv = process.env.NODE_ENV;
  let backend: TestBackend;

  beforeAll(async () => {
    // As `yarn start` runs it: the demo sign-in refuses any other environment.
    process.env.NODE_ENV = 'development';
    backend = await startTestBackend({
      features: [
        ...demoBackendFeatures,
        mockServices.rootConfig.factory({ data: appConfig }),
        // The real token services, so that the tokens the auth backend issues are the ones the plugins accept.
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    process.env.NODE_ENV = nodeEnv;
  });

  function signIn(user?: string) {
    const req = request(backend.server)
      .get('/api/auth/demo/refresh')
      .set('x-requested-with', 'XMLHttpRequest');
    return user === undefined ? req : req.set(DEMO_USER_HEADER, user);
  }

  it('signsInAsADemoUserOfTheDemoCatalog', async () => {
    // Given the catalog has read catalog/demo-org.yaml (it processes locations after start)
    // When the browser signs in as dana
    const res = await until('dana in the catalog', 60_000, async () => {
      const r = await signIn('dana');
      return r.status === 200 ? r : undefined;
    });

    // Then dana is signed in with her group's ownership
    expect(res.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/dana',
    );
    expect(res.body.backstageIdentity.identity.ownershipEntityRefs).toEqual(
      expect.arrayContaining(['user:default/dana', 'group:default/payments']),
    );
    expect(res.body.backstageIdentity.token).toMatch(/^ey/);
  });

  it('refusesAUserThatIsNotInTheCatalog', async () => {
    // When
    const res = await signIn('mallory');

    // Then
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      "demo sign-in: no User 'mallory' in the catalog",
    );
  });

  it('refusesASignInWithoutOrWithAMalformedUserName', async () => {
    // When
    const missing = await signIn();
    const malformed = await signIn('../admin');

    // Then both are bad requests naming the header
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain(DEMO_USER_HEADER);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain(
      "'../admin' in x-spire-mgmt-demo-user is not a catalog entity name",
    );
  });

  it('forwardsASignedInUsersCallToEnvoyWithTheSpireMgmtPlugin', async () => {
    // Given dana's Backstage token
    const token = await until('dana in the catalog', 60_000, async () => {
      const r = await signIn('dana');
      return r.status === 200
        ? (r.body.backstageIdentity.token as string)
        : undefined;
    });

    // When she calls the spire-mgmt route (app-config.yaml's Envoy is not running here), and nobody does
    const call = (auth?: string) => {
      const req = request(backend.server)
        .post('/api/spire-mgmt/grpc/spire.mgmt.v1.SiteService/ListSites')
        .set('content-type', 'application/grpc-web+proto')
        .send(Buffer.from([0, 0, 0, 0, 0]));
      return auth ? req.set('authorization', `Bearer ${auth}`) : req;
    };
    const signedIn = await call(token);
    const anonymous = await call();

    // Then her call got past the plugin's authentication to the (unreachable) Envoy; the anonymous one did not
    expect(signedIn.status).toBe(503);
    expect(anonymous.status).toBe(401);
    // and the plugin publishes the keys the spire-mgmt backend trusts
    const jwks = await request(backend.server).get(
      '/api/spire-mgmt/.well-known/jwks.json',
    );
    expect(jwks.body.keys.length).toBeGreaterThan(0);
  });
});

describe('the demo sign-in outside development', () => {
  it('refusesToStart', async () => {
    // Given a production environment
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      // When the backend starts with the demo sign-in
      const started = startTestBackend({
        features: [
          authPlugin,
          demoSignIn,
          mockServices.rootConfig.factory({ data: appConfig }),
        ],
      });

      // Then it refuses, saying why
      await expect(started).rejects.toThrow(
        /demo sign-in provider .* runs only in development .* NODE_ENV is 'production'/,
      );
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });
});
