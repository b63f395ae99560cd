import { DescMessage } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  file_spire_mgmt_v1_common,
  SpireMgmtMappedError,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

// google.rpc.ErrorInfo, found through the API's own descriptors (its common.proto imports it), as the common
// package does not export it.
const errorInfoSchema = file_spire_mgmt_v1_common.dependencies
  .flatMap(f => f.messages)
  .find(m => m.typeName === 'google.rpc.ErrorInfo') as DescMessage;

/**
 * An error of a spire-mgmt call as the client throws it: shaped as the service sends it (code, message, and
 * an ErrorInfo with the domain, the reason and, where one is at fault, the field), mapped by the common package.
 */
export function serviceError(
  code: Code,
  message: string,
  info: { reason?: string; field?: string } = {},
): SpireMgmtMappedError {
  return toSpireMgmtError(
    new ConnectError(message, code, undefined, [
      {
        desc: errorInfoSchema,
        value: {
          reason: info.reason ?? '',
          domain: 'spire-mgmt.io',
          metadata: info.field ? { field: info.field } : {},
        },
      },
    ]),
  );
}
