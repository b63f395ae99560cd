/**
 * Common library for the spire-mgmt Backstage plugins: the gRPC-Web client of the spire-mgmt API (generated from
 * its proto files), its errors as `@backstage/errors` types, and the catalog annotations.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './client';
export * from './errors';
export * from './errorReasons';
export * from './generated/spire/mgmt/v1/api_key_pb';
export * from './generated/spire/mgmt/v1/audit_pb';
export * from './generated/spire/mgmt/v1/common_pb';
export * from './generated/spire/mgmt/v1/entry_pb';
export * from './generated/spire/mgmt/v1/entry_request_pb';
export * from './generated/spire/mgmt/v1/site_pb';
export * from './generated/spire/mgmt/v1/sync_pb';
