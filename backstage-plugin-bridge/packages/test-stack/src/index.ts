/**
 * Test harness for the spire-mgmt Backstage plugins: the real backend behind a real Envoy, real SPIRE servers
 * with their site agents, the launcher of the whole demo system, and a wait for a
 * condition.
 *
 * @packageDocumentation
 */

export * from './eventually';
export * from './testStack';
export { freePort } from './processes';
export * from './spire';
export * from './demo';
