/**
 * The spire-mgmt Backstage frontend plugin: the "SPIFFE management" page (entries, sites), a catalog entity tab
 * with the component's SPIFFE workload entries and their live sync state, and the `spireMgmtApiRef` client over
 * the backend plugin's gRPC-Web route. The new frontend system's plugin is the `/alpha` export.
 *
 * @packageDocumentation
 */

export {
  spireMgmtPlugin,
  EntitySpireMgmtContent,
  SpireMgmtPage,
} from './plugin';
export * from './api';
export { isSpireMgmtAvailable } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
