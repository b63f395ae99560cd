/**
 * Test harness for the spire-mgmt Backstage plugins: the real backend behind a real Envoy.
 *
 * @packageDocumentation
 */

export * from './testStack';
