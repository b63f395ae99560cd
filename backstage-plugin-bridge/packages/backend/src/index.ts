/*
 * The demo Backstage backend of this workspace (never published): the catalog, sign-in as a demo user, and the
 * spire-mgmt backend plugin. The repository's ./demo.sh runs it with the rest of the system.
 */
import { createBackend } from '@backstage/backend-defaults';
import { demoBackendFeatures } from './features';

const backend = createBackend();
for (const feature of demoBackendFeatures) {
  backend.add(feature);
}
backend.start();
