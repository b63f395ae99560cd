import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { create } from '@bufbuild/protobuf';
import {
  eventually,
  freePort,
  SpireMgmtTestStack,
  startSpireMgmtTestStack,
} from '@internal/spire-mgmt-test-stack';
import {
  ApprovalMode,
  createSpireMgmtClients,
  createSpireMgmtTransport,
  EntryRequestState,
  getSpireMgmtErrorDetails,
  SiteApprovalPolicySchema,
  SpireMgmtClients,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spireMgmtPlugin } from './plugin';
import { component, group, user } from './testing/catalog';
import { RecordingNotificationServiceDouble } from './testing/RecordingNotificationServiceDouble';

// The real stack (packaged backend on an embedded PostgreSQL, a real Envoy) needs the backend packaged by Maven
// first: these tests run when SPIRE_MGMT_TEST_STACK=1, as .ci/run sets it.
const describeWithStack =
  process.env.SPIRE_MGMT_TEST_STACK === '1' ? describe : describe.skip;

jest.setTimeout(60_000);

const ISSUER = 'http://backstage.test/api/spire-mgmt';

const entities = [
  group('platform-admins'),
  group('payments'),
  group('viewers'),
  user('admin', ['platform-admins']),
  user('alice', ['payments']),
  user('bob', ['viewers']),
  component('payments-api', 'payments', 'payments'),
];

describeWithStack(
  'the plugin in front of the real backend and Envoy, the backend trusting its JWKS',
  () => {
    let plugin: TestBackend;
    let stack: SpireMgmtTestStack;
    let grpcUrl: string;
    // Stands in for the notifications backend, which is not part of this stack.
    const notifications = new RecordingNotificationServiceDouble();

    beforeAll(async () => {
      // Envoy's port first: the plugin's config names it, and the backend's names the plugin's JWKS.
      const envoyPort = await freePort();
      plugin = await startTestBackend({
        features: [
          spireMgmtPlugin,
          // The real scheduler runs the notifications follower as a global task.
          schedulerServiceFactory,
          notifications.factory(),
          mockServices.rootConfig.factory({
            data: {
              spireMgmt: {
                envoyUrl: `http://127.0.0.1:${envoyPort}`,
                issuer: ISSUER,
                roles: {
                  Admin: ['group:default/platform-admins'],
                  Developer: ['group:default/payments'],
                  Viewer: ['group:default/viewers'],
                },
                notifications: { enabled: true },
              },
            },
          }),
          catalogServiceMock.factory({ entities }),
          // A request without credentials is unauthenticated, as with the real auth services.
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
        ],
      });
      const base = `http://localhost:${plugin.server.port()}/api/spire-mgmt`;
      grpcUrl = `${base}/grpc`;
      stack = await startSpireMgmtTestStack({
        envoyPort,
        backendEnv: {
          MP_JWT_VERIFY_PUBLICKEY_LOCATION: `${base}/.well-known/jwks.json`,
          MP_JWT_VERIFY_ISSUER: ISSUER,
        },
      });
    }, 240_000);

    afterAll(async () => {
      await stack?.stop();
      await plugin?.stop();
    }, 60_000);

    /** The clients a browser signed in as `userRef` would use: the plugin's route with its Backstage token. */
    function clientsOf(userRef: string | undefined): SpireMgmtClients {
      return createSpireMgmtClients(
        createSpireMgmtTransport({
          baseUrl: grpcUrl,
          fetch: (input, init) => {
            const headers = new Headers(init?.headers);
            if (userRef) {
              headers.set(
                'authorization',
                mockCredentials.user.header(userRef),
              );
            }
            return fetch(input, { ...init, headers });
          },
        }),
      );
    }

    function entry(namespace: string) {
      const name = randomUUID().slice(0, 8);
      return {
        spiffeId: `spiffe://example.org/ns/${namespace}/sa/${name}`,
        parentId: 'spiffe://example.org/spire/agent/k8s_psat/cluster',
        selectors: [{ type: 'k8s:ns', value: namespace }],
      };
    }

    it('letsADeveloperListOnlyTheEntriesOfItsNamespaces', async () => {
      // Given an Admin created an entry in payments (alice's component's namespace) and one in billing
      const admin = clientsOf('user:default/admin');
      const inPayments = await admin.entries.createEntry({
        entry: entry('payments'),
      });
      const inBilling = await admin.entries.createEntry({
        entry: entry('billing'),
      });

      // When alice, a Developer of payments, lists entries through the plugin
      const listed = await clientsOf('user:default/alice').entries.listEntries({
        pageSize: 1000,
      });

      // Then she sees the payments entry and not the billing one
      const ids = listed.entries.map(e => e.id);
      expect(ids).toContain(inPayments.id);
      expect(ids).not.toContain(inBilling.id);
      expect(
        listed.entries.every(e =>
          e.selectors.some(s => s.type === 'k8s:ns' && s.value === 'payments'),
        ),
      ).toBe(true);
    });

    it('refusesAViewersWriteWithPermissionDenied', async () => {
      // Given bob, a Viewer
      const bob = clientsOf('user:default/bob');

      // When he tries to create an entry
      const error = await bob.entries
        .createEntry({ entry: entry('payments') })
        .catch(e => e);

      // Then the backend's PERMISSION_DENIED reaches the browser side as a gRPC-Web status
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(getSpireMgmtErrorDetails(error)?.code).toBe('PERMISSION_DENIED');
      // while reading is allowed
      await expect(bob.sites.listSites({})).resolves.toBeDefined();
    });

    it('neverLetsAnUnauthenticatedRequestReachEnvoy', async () => {
      // Given Envoy's access log, one JSON line per request it handled
      const accessLog = join(stack.logDir, 'envoy.log');
      const lines = (path: string) =>
        readFileSync(accessLog, 'utf8')
          .split('\n')
          .filter(line => line.includes(path)).length;

      // When a browser without Backstage credentials calls through the plugin, and a signed-in user after it
      const error = await clientsOf(undefined)
        .sites.getSite({ id: randomUUID() })
        .catch(e => e);
      await clientsOf('user:default/bob').sites.listSites({});
      await eventually(
        'the signed-in call in Envoy access log',
        () => lines('/spire.mgmt.v1.SiteService/ListSites') > 0,
      );

      // Then the first was refused as unauthenticated, and only the second reached Envoy
      expect(getSpireMgmtErrorDetails(error)?.code).toBe('UNAUTHENTICATED');
      expect(lines('/spire.mgmt.v1.SiteService/GetSite')).toBe(0);
    });

    /** How many StreamEntryRequestUpdates subscribers the backend follows (its Prometheus gauge). */
    async function requestStreams(): Promise<number> {
      const metrics = await fetch(
        `http://127.0.0.1:${stack.backendPort}/q/metrics`,
      ).then(res => res.text());
      const line = metrics.match(
        /^entry_request_update_streams(?:\{[^}]*\})? ([0-9.]+)/m,
      );
      return line ? Number(line[1]) : 0;
    }

    it('tellsTheApproversWhenADevelopersRequestAwaitsThem', async () => {
      // Given a site whose Developer changes need approval, and the plugin's follower on the request stream
      const admin = clientsOf('user:default/admin');
      const site = await admin.sites.createSite({
        site: {
          name: `notify-${randomUUID().slice(0, 8)}`,
          trustDomain: 'example.org',
        },
      });
      const policy = await admin.entryRequests.getApprovalPolicy({});
      await admin.entryRequests.updateApprovalPolicy({
        policy: {
          ...policy,
          sites: [
            ...policy.sites,
            create(SiteApprovalPolicySchema, {
              siteId: site.id,
              mode: ApprovalMode.DEVELOPER_CHANGES,
              approvalsRequired: 1,
            }),
          ],
        },
      });
      // (it retried with backoff while the stack was starting: up to a minute)
      let streams = 0;
      await eventually(
        'the follower streaming',
        async () => (streams = await requestStreams()) > 0,
        90_000,
      );
      expect(streams).toBe(1);

      // When alice, a Developer of payments, submits an entry for that site through the plugin
      const submitted = await clientsOf(
        'user:default/alice',
      ).entryRequests.submitEntryRequest({
        change: {
          change: {
            case: 'create',
            value: { ...entry('payments'), siteIds: [site.id] },
          },
        },
        justification: 'payments-api needs an identity',
      });
      expect(submitted.state).toBe(EntryRequestState.PENDING);

      // Then the Admins (the approvers: no Operator group is mapped) are told, alice excluded, with a link
      await eventually('the approvers notified', () =>
        notifications.sent.some(n => n.payload.link?.endsWith(submitted.id)),
      );
      const sent = notifications.sent.find(n =>
        n.payload.link?.endsWith(submitted.id),
      )!;
      expect(sent.recipients).toEqual({
        type: 'entity',
        entityRef: ['group:default/platform-admins'],
        excludeEntityRef: 'user:default/alice',
      });
      expect(sent.payload).toMatchObject({
        title: `Awaits your approval: create the entry ${
          submitted.proposedEntry!.spiffeId
        }`,
        link: `/spire-mgmt/requests/${submitted.id}`,
      });
      expect(sent.payload.description).toContain(
        'alice asks for it: payments-api needs an identity. It needs 1 approval',
      );
    }, 150_000);
  },
);
