import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import http from 'node:http';
import request from 'supertest';
import { spireMgmtPlugin } from './plugin';
import { component, group, user } from './testing/catalog';
import { RecordingEnvoyDouble } from './testing/RecordingEnvoyDouble';

jest.setTimeout(60_000);

const ISSUER = 'https://backstage.test/api/spire-mgmt';
const LIST_ENTRIES =
  '/api/spire-mgmt/grpc/spire.mgmt.v1.WorkloadEntryService/ListEntries';

const entities = [
  group('payments'),
  group('billing'),
  group('viewers'),
  group('platform'),
  user('alice', ['payments']),
  user('bob', ['viewers']),
  user('carol', ['platform', 'payments']),
  user('dave', []),
  component('payments-api', 'payments', 'payments, payments-batch'),
  component('payments-docs', 'payments'),
  component('billing-api', 'billing', 'billing'),
];

function spireMgmtConfig(envoyUrl: string, extra: object = {}) {
  return {
    spireMgmt: {
      envoyUrl,
      issuer: ISSUER,
      tokenLifetime: '5m',
      roles: {
        Developer: ['group:default/payments'],
        Viewer: ['viewers'],
        Operator: ['group:default/platform'],
      },
      ...extra,
    },
  };
}

async function startPlugin(envoyUrl: string): Promise<TestBackend> {
  return startTestBackend({
    features: [
      spireMgmtPlugin,
      mockServices.rootConfig.factory({ data: spireMgmtConfig(envoyUrl) }),
      catalogServiceMock.factory({ entities }),
      // A request without credentials is unauthenticated, as with the real auth services.
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
    ],
  });
}

/** A gRPC-Web frame: flag byte, 4-byte big-endian length, payload. */
function frame(flag: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(flag, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

describe('spireMgmtPlugin', () => {
  let envoy: RecordingEnvoyDouble;
  let backend: TestBackend;

  beforeEach(async () => {
    envoy = await RecordingEnvoyDouble.start();
    backend = await startPlugin(envoy.url);
  });

  afterEach(async () => {
    await backend.stop();
    await envoy.stop();
  });

  async function forwardedTokenFor(userRef: string): Promise<string> {
    const res = await request(backend.server)
      .post(LIST_ENTRIES)
      .set('authorization', mockCredentials.user.header(userRef))
      .set('content-type', 'application/grpc-web+proto')
      .send(frame(0, Buffer.alloc(0)));
    expect(res.status).toBe(200);
    const auth =
      envoy.requests[envoy.requests.length - 1].headers.authorization;
    expect(auth).toMatch(/^Bearer /);
    return auth!.substring('Bearer '.length);
  }

  it('mintsADevelopersTokenWithTheNamespacesOfTheComponentsItsGroupsOwn', async () => {
    // Given alice, in group payments (Developer), whose group owns payments-api (two namespaces) and payments-docs (none)
    // When she calls the API through the plugin
    const token = await forwardedTokenFor('user:default/alice');

    // Then Envoy gets a token that verifies against the plugin's published JWKS and names her, her role and namespaces
    const jwks = createRemoteJWKSet(
      new URL(
        `http://localhost:${backend.server.port()}/api/spire-mgmt/.well-known/jwks.json`,
      ),
    );
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: 'spire-mgmt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: 'user:default/alice',
      upn: 'user:default/alice',
      groups: ['Developer'],
      namespaces: ['payments', 'payments-batch'],
    });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('givesEachUserTheRolesOfItsGroupsAndNamespacesOnlyToDevelopers', async () => {
    // Given bob (viewers: Viewer), carol (platform and payments: Operator and Developer), dave (no group)
    // When each calls the API
    const bob = decodeJwt(await forwardedTokenFor('user:default/bob'));
    const carol = decodeJwt(await forwardedTokenFor('user:default/carol'));
    const dave = decodeJwt(await forwardedTokenFor('user:default/dave'));
    const nobody = decodeJwt(
      await forwardedTokenFor('user:default/not-in-catalog'),
    );

    // Then each token carries exactly the mapped roles, and namespaces only for a Developer
    expect(bob.groups).toEqual(['Viewer']);
    expect(bob).not.toHaveProperty('namespaces');
    expect(carol.groups).toEqual(['Operator', 'Developer']);
    expect(carol.namespaces).toEqual(['payments', 'payments-batch']);
    expect(dave.groups).toEqual([]);
    expect(nobody.groups).toEqual([]);
    expect(nobody.sub).toBe('user:default/not-in-catalog');
  });

  it('replacesTheBrowsersCredentialsAndForwardsTheGrpcWebRequestAsSent', async () => {
    // Given a browser request that carries its own API key and cookie besides its Backstage token
    const body = frame(0, Buffer.from('request-bytes'));

    // When it goes through the plugin
    await request(backend.server)
      .post(LIST_ENTRIES)
      .set('authorization', mockCredentials.user.header('user:default/alice'))
      .set('x-api-key', 'smuggled-key')
      .set('cookie', 'session=1')
      .set('content-type', 'application/grpc-web+proto')
      .set('x-grpc-web', '1')
      .send(body)
      .expect(200);

    // Then Envoy gets the same path, body and gRPC-Web headers, the minted token only, and no key or cookie
    expect(envoy.requests).toHaveLength(1);
    const forwarded = envoy.requests[0];
    expect(forwarded.path).toBe(
      '/spire.mgmt.v1.WorkloadEntryService/ListEntries',
    );
    expect(forwarded.body.equals(body)).toBe(true);
    expect(forwarded.headers['content-type']).toBe(
      'application/grpc-web+proto',
    );
    expect(forwarded.headers['x-grpc-web']).toBe('1');
    expect(forwarded.headers['x-api-key']).toBeUndefined();
    expect(forwarded.headers.cookie).toBeUndefined();
    expect(decodeJwt(forwarded.headers.authorization!.substring(7)).iss).toBe(
      ISSUER,
    );
  });

  it('refusesUnauthenticatedAndServiceCallersWith401BeforeEnvoy', async () => {
    // Given no credentials, and a service principal's credentials
    // When each calls the gRPC route
    const anonymous = await request(backend.server)
      .post(LIST_ENTRIES)
      .set('content-type', 'application/grpc-web+proto')
      .send(frame(0, Buffer.alloc(0)));
    const service = await request(backend.server)
      .post(LIST_ENTRIES)
      .set('authorization', mockCredentials.service.header())
      .set('content-type', 'application/grpc-web+proto')
      .send(frame(0, Buffer.alloc(0)));

    // Then both get 401 and nothing reached Envoy
    expect(anonymous.status).toBe(401);
    expect(service.status).toBe(401);
    expect(service.headers['grpc-status']).toBe('16');
    expect(envoy.requests).toHaveLength(0);
  });

  it('forwardsOnlyTheSpireMgmtApi', async () => {
    // Given a signed-in user
    // When they call a path outside spire.mgmt.v1
    const res = await request(backend.server)
      .post('/api/spire-mgmt/grpc/grpc.health.v1.Health/Check')
      .set('authorization', mockCredentials.user.header('user:default/alice'))
      .send(frame(0, Buffer.alloc(0)));

    // Then it is refused as unimplemented and never forwarded
    expect(res.status).toBe(404);
    expect(res.headers['grpc-status']).toBe('12');
    expect(envoy.requests).toHaveLength(0);
  });

  it('servesTheJwksWithoutCredentialsAndWithoutPrivateParts', async () => {
    // Given the plugin started
    // When anyone fetches the JWKS
    const res = await request(backend.server)
      .get('/api/spire-mgmt/.well-known/jwks.json')
      .expect(200);

    // Then it holds the current and the next RSA public keys, with ids, and no private key material
    expect(res.body.keys).toHaveLength(2);
    for (const key of res.body.keys) {
      expect(key).toEqual({
        kty: 'RSA',
        kid: expect.any(String),
        alg: 'RS256',
        use: 'sig',
        n: expect.any(String),
        e: 'AQAB',
      });
    }
  });

  it('passesAServerStreamThroughUnbufferedAndAbortsUpstreamWhenTheBrowserLeaves', async () => {
    // Given Envoy sends the first message of a stream and holds the stream open
    const first = frame(0, Buffer.from('first-update'));
    let upstreamClosed!: () => void;
    const upstreamClosedPromise = new Promise<void>(resolve => {
      upstreamClosed = resolve;
    });
    envoy.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/grpc-web+proto' });
      res.write(first);
      res.on('close', () => upstreamClosed());
    };

    // When a browser calls the stream through the plugin
    const received = await new Promise<{
      chunk: Buffer;
      req: http.ClientRequest;
    }>((resolve, reject) => {
      const req = http.request(
        `http://localhost:${backend.server.port()}/api/spire-mgmt/grpc/spire.mgmt.v1.SyncService/StreamSyncUpdates`,
        {
          method: 'POST',
          headers: {
            authorization: mockCredentials.user.header('user:default/alice'),
            'content-type': 'application/grpc-web+proto',
            'accept-encoding': 'gzip',
          },
        },
        res => res.once('data', (chunk: Buffer) => resolve({ chunk, req })),
      );
      req.on('error', reject);
      req.end(frame(0, Buffer.alloc(0)));
    });

    // Then the first message arrives while the upstream stream is still open
    expect(received.chunk.equals(first)).toBe(true);
    expect(envoy.closed).toHaveLength(0);

    // When the browser goes away
    received.req.destroy();

    // Then the plugin closes the upstream stream
    await upstreamClosedPromise;
    expect(envoy.closed).toHaveLength(1);
  });

  it('answersUnavailableWhenEnvoyCannotBeReached', async () => {
    // Given Envoy is down
    await envoy.stop();

    // When a user calls
    const res = await request(backend.server)
      .post(LIST_ENTRIES)
      .set('authorization', mockCredentials.user.header('user:default/alice'))
      .send(frame(0, Buffer.alloc(0)));

    // Then the browser gets gRPC UNAVAILABLE
    expect(res.status).toBe(503);
    expect(res.headers['grpc-status']).toBe('14');
    envoy = await RecordingEnvoyDouble.start();
  });
});

describe('spireMgmtPlugin configuration', () => {
  async function startWith(config: object) {
    return startTestBackend({
      features: [
        spireMgmtPlugin,
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({ entities }),
      ],
    });
  }

  it.each([
    [
      {},
      'spireMgmt is missing: the plugin needs at least spireMgmt.envoyUrl and spireMgmt.issuer',
    ],
    [{ spireMgmt: { issuer: ISSUER } }, 'spireMgmt.envoyUrl is missing'],
    [
      spireMgmtConfig('envoy:8090'),
      "spireMgmt.envoyUrl 'envoy:8090' must be an http: or https: URL",
    ],
    [
      spireMgmtConfig('not a url'),
      "spireMgmt.envoyUrl 'not a url' is not a URL",
    ],
    [
      { spireMgmt: { envoyUrl: 'http://envoy:8090' } },
      'spireMgmt.issuer is missing',
    ],
    [
      spireMgmtConfig('http://envoy:8090', { tokenLifetime: '2h' }),
      'spireMgmt.tokenLifetime must be between 1 and 60 minutes',
    ],
    [
      spireMgmtConfig('http://envoy:8090', { tokenLifetime: 'soon' }),
      'spireMgmt.tokenLifetime is not a duration',
    ],
    [
      spireMgmtConfig('http://envoy:8090', { keyRotationInterval: '1m' }),
      'spireMgmt.keyRotationInterval must be at least the token lifetime',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        roles: { SiteAgent: ['group:default/agents'] },
      }),
      'spireMgmt.roles.SiteAgent is not allowed: SiteAgent is for site agents',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        roles: { Superuser: ['group:default/x'] },
      }),
      'spireMgmt.roles.Superuser names no role',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        roles: { Admin: ['user:default/alice'] },
      }),
      "spireMgmt.roles.Admin has 'user:default/alice', which is not a group entity ref",
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        notifications: { enabled: 'sometimes' },
      }),
      'spireMgmt.notifications.enabled must be true or false',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        roles: { Developer: ['group:default/payments'] },
        notifications: { enabled: true },
      }),
      'spireMgmt.notifications.approvers names nobody: list the approvers there, or map groups to roles.Admin or roles.Operator',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        notifications: {
          enabled: true,
          approvers: ['component:default/payments-api'],
        },
      }),
      "spireMgmt.notifications.approvers has 'component:default/payments-api', which is not a group or user entity ref",
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        notifications: { enabled: true, approvers: 'group:default/platform' },
      }),
      'spireMgmt.notifications.approvers must be a list of user or group entity refs',
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        notifications: {
          enabled: true,
          requestPagePath: 'spire-mgmt/requests',
        },
      }),
      "spireMgmt.notifications.requestPagePath 'spire-mgmt/requests' must be a path of the app starting with '/'",
    ],
    [
      spireMgmtConfig('http://envoy:8090', {
        notifications: { enabled: true, requestPagePath: '//evil.example/x' },
      }),
      "spireMgmt.notifications.requestPagePath '//evil.example/x' must be a path of the app",
    ],
  ])('refusesToStartWithABadSetting %#', async (config, message) => {
    // Given a bad or missing setting
    // When the backend starts
    // Then it fails with a message naming the setting
    await expect(startWith(config)).rejects.toThrow(message);
  });
});
