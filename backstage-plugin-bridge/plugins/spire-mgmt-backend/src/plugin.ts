import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { createSpireMgmtTransport } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { readSpireMgmtConfig } from './service/config';
import { IdentityBridge } from './service/IdentityBridge';
import { KeyStore } from './service/KeyStore';
import { EntryRequestFollower } from './service/notifications/EntryRequestFollower';
import { scheduleEntryRequestNotifications } from './service/notifications/scheduleEntryRequestNotifications';
import { StreamCursorStore } from './service/notifications/StreamCursorStore';
import { createRouter, JWKS_PATH } from './service/router';

/**
 * The spire-mgmt backend plugin: mints short-lived tokens for signed-in Backstage users (keys in the plugin's
 * database, published at `/api/spire-mgmt/.well-known/jwks.json`) and forwards their gRPC-Web calls from
 * `/api/spire-mgmt/grpc/spire.mgmt.v1.<Service>/<Method>` to Envoy with such a token. With
 * `spireMgmt.notifications.enabled`, it follows the entry request stream and sends Backstage notifications to
 * the approvers of a request that awaits them and to the requester of a request that was decided.
 *
 * @public
 */
export const spireMgmtPlugin = createBackendPlugin({
  pluginId: 'spire-mgmt',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        notifications: notificationService,
      },
      async init({
        config,
        logger,
        database,
        httpRouter,
        httpAuth,
        auth,
        catalog,
        scheduler,
        lifecycle,
        notifications,
      }) {
        const settings = readSpireMgmtConfig(config);
        const db = await database.getClient();
        if (!database.migrations?.skip) {
          await db.migrate.latest({
            directory: resolvePackagePath(
              '@spire-mgmt/backstage-plugin-spire-mgmt-backend',
              'migrations',
            ),
            tableName: 'spire_mgmt_knex_migrations',
          });
        }
        const keys = new KeyStore(db, {
          tokenLifetimeMs: settings.tokenLifetimeMs,
          rotationIntervalMs: settings.keyRotationIntervalMs,
        });
        // Creates the first keys now, so a bad database shows at start-up and the JWKS is ready.
        await keys.jwks();
        const bridge = new IdentityBridge(
          settings,
          keys,
          catalog,
          auth,
          logger,
        );
        httpRouter.use(
          await createRouter({
            config: settings,
            keys,
            bridge,
            httpAuth,
            logger,
          }),
        );
        httpRouter.addAuthPolicy({ path: JWKS_PATH, allow: 'unauthenticated' });
        logger.info(
          `spire-mgmt: forwarding gRPC-Web to ${settings.envoyUrl}; tokens for ${settings.audience} from ${settings.issuer}`,
        );
        if (settings.notifications) {
          await scheduleEntryRequestNotifications({
            scheduler,
            lifecycle,
            logger,
            follower: new EntryRequestFollower({
              // Straight to Envoy, as the gRPC-Web route goes, with the plugin's own token.
              transport: createSpireMgmtTransport({
                baseUrl: settings.envoyUrl,
                token: () => bridge.mintForPlugin(),
              }),
              cursors: new StreamCursorStore(db, 'entry-requests'),
              notifications,
              settings: settings.notifications,
              logger,
            }),
          });
        }
      },
    });
  },
});
