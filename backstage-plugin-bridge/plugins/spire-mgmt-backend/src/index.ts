/**
 * The spire-mgmt backend plugin for Backstage: the identity bridge from a signed-in user to the spire-mgmt API and
 * the gRPC-Web route to Envoy.
 *
 * @packageDocumentation
 */

export { spireMgmtPlugin as default } from './plugin';
