/**
 * Test harness for the spire-mgmt Backstage plugins: the real backend behind a real Envoy, and a wait for a
 * condition.
 *
 * @packageDocumentation
 */

export * from './eventually';
export * from './testStack';
