import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { readSpireMgmtConfig } from './service/config';
import { IdentityBridge } from './service/IdentityBridge';
import { KeyStore } from './service/KeyStore';
import { createRouter, JWKS_PATH } from './service/router';

/**
 * The spire-mgmt backend plugin: mints short-lived tokens for signed-in Backstage users (keys in the plugin's
 * database, published at `/api/spire-mgmt/.well-known/jwks.json`) and forwards their gRPC-Web calls from
 * `/api/spire-mgmt/grpc/spire.mgmt.v1.<Service>/<Method>` to Envoy with such a token.
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
      },
      async init({
        config,
        logger,
        database,
        httpRouter,
        httpAuth,
        auth,
        catalog,
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
      },
    });
  },
});
