import {
  coreServices,
  createBackendModule,
  SchedulerServiceTaskDescriptor,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { create } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { eventually } from '@internal/spire-mgmt-test-stack';
import {
  EntryRequestKind,
  EntryRequestSchema,
  EntryRequestState,
  EntryRequestUpdateSchema,
  EntrySchema,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { spireMgmtPlugin } from './plugin';
import { NOTIFICATIONS_TASK_ID } from './service/notifications/scheduleEntryRequestNotifications';
import { group, user } from './testing/catalog';
import { EntryRequestStreamDouble } from './testing/EntryRequestStreamDouble';
import { RecordingNotificationServiceDouble } from './testing/RecordingNotificationServiceDouble';

jest.setTimeout(60_000);

const ISSUER = 'https://backstage.test/api/spire-mgmt';
const REQUEST_ID = '0193a1b2-0000-7000-8000-00000000000a';

/** The spire-mgmt service's stream double served over real gRPC-Web on loopback, where Envoy would be. */
async function serveOverGrpcWeb(
  service: EntryRequestStreamDouble,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(
    connectNodeAdapter({ routes: service.routes }),
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

/** A module of the spire-mgmt plugin that sees the plugin's scheduler, to read which tasks it scheduled. */
function schedulerProbe(tasks: SchedulerServiceTaskDescriptor[]) {
  return createBackendModule({
    pluginId: 'spire-mgmt',
    moduleId: 'scheduler-probe',
    register(env) {
      env.registerInit({
        deps: {
          scheduler: coreServices.scheduler,
          lifecycle: coreServices.lifecycle,
        },
        async init({ scheduler, lifecycle }) {
          lifecycle.addStartupHook(async () => {
            tasks.push(...(await scheduler.getScheduledTasks()));
          });
        },
      });
    },
  });
}

describe('spireMgmtPlugin notifications', () => {
  let service: EntryRequestStreamDouble;
  let grpcWeb: { url: string; close: () => Promise<void> };
  let notifications: RecordingNotificationServiceDouble;
  let tasks: SchedulerServiceTaskDescriptor[];
  let backend: TestBackend | undefined;

  beforeEach(async () => {
    service = new EntryRequestStreamDouble();
    grpcWeb = await serveOverGrpcWeb(service);
    notifications = new RecordingNotificationServiceDouble();
    tasks = [];
  });

  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await grpcWeb.close();
  });

  async function startPlugin(notificationsConfig?: object) {
    backend = await startTestBackend({
      features: [
        spireMgmtPlugin,
        schedulerProbe(tasks),
        // The real scheduler (global tasks locked in the plugin's database), not the test utils' mock.
        schedulerServiceFactory,
        notifications.factory(),
        mockServices.rootConfig.factory({
          data: {
            spireMgmt: {
              envoyUrl: grpcWeb.url,
              issuer: ISSUER,
              roles: {
                Admin: ['group:default/platform-admins'],
                Operator: ['group:default/operators'],
                Developer: ['group:default/payments'],
              },
              ...(notificationsConfig
                ? { notifications: notificationsConfig }
                : {}),
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [
            group('platform-admins'),
            group('operators'),
            group('payments'),
            user('alice', ['payments']),
          ],
        }),
      ],
    });
    return backend;
  }

  it('followsTheStreamAsAViewerAndTellsTheApproversOfASubmit', async () => {
    // Given the plugin with notifications on and no approvers named (the Admin and Operator groups approve)
    const started = await startPlugin({ enabled: true });

    // When the service streams alice's request awaiting approval
    await eventually('the stream opened', () => service.calls.length === 1);
    service.answerNextCall([
      create(EntryRequestUpdateSchema, {
        cursor: 'c1',
        event: 'submit',
        actor: 'user:default/alice',
        entryRequest: create(EntryRequestSchema, {
          id: REQUEST_ID,
          state: EntryRequestState.PENDING,
          kind: EntryRequestKind.CREATE,
          proposedEntry: create(EntrySchema, {
            spiffeId: 'spiffe://example.org/ns/payments/sa/api',
          }),
          justification: 'new service',
          requester: 'user:default/alice',
          requesterPerson: 'user:default/alice',
          approvalsRequired: 1,
        }),
      }),
    ]);

    // Then the approvers' groups are told, linking the request's page
    await eventually('the notification', () => notifications.sent.length > 0);
    expect(notifications.sent).toEqual([
      expect.objectContaining({
        recipients: {
          type: 'entity',
          entityRef: [
            'group:default/operators',
            'group:default/platform-admins',
          ],
          excludeEntityRef: 'user:default/alice',
        },
      }),
    ]);
    expect(notifications.sent[0].payload.link).toBe(
      `/spire-mgmt/requests/${REQUEST_ID}`,
    );
    // and the stream was opened from now on with the plugin's own token: a Viewer, no user, verifiable
    // against the plugin's published keys
    expect(service.calls[0].cursor).toBe('');
    const token = service.calls[0].authorization!.replace(/^Bearer /, '');
    const jwks = createRemoteJWKSet(
      new URL(
        `http://localhost:${started.server.port()}/api/spire-mgmt/.well-known/jwks.json`,
      ),
    );
    const { payload } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: 'spire-mgmt',
    });
    expect(payload).toMatchObject({
      sub: 'plugin:spire-mgmt/notifications',
      upn: 'plugin:spire-mgmt/notifications',
      groups: ['Viewer'],
    });
    expect(payload).not.toHaveProperty('namespaces');
    expect(tasks).toEqual([
      expect.objectContaining({ id: NOTIFICATIONS_TASK_ID, scope: 'global' }),
    ]);
  });

  it('closesTheStreamWhenBackstageShutsDown', async () => {
    // Given the plugin following the stream
    const started = await startPlugin({ enabled: true });
    await eventually('the stream open', () => service.open === 1);

    // When the backend stops
    await started.stop();
    backend = undefined;

    // Then the stream is closed, and no other was opened
    await eventually('the stream closed', () => service.open === 0);
    expect(service.calls).toHaveLength(1);
  });

  it('followsNothingUnlessEnabled', async () => {
    // Given notifications left out, and set but not enabled
    await startPlugin();
    const leftOut = [...tasks];
    await backend!.stop();
    tasks.length = 0;
    await startPlugin({ enabled: false, approvers: ['user:default/jane'] });

    // Then no follower task was scheduled either time
    expect(leftOut).toEqual([]);
    expect(tasks).toEqual([]);
    expect(service.calls).toEqual([]);
  });
});
