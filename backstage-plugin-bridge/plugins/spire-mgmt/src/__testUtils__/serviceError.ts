import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  SPIRE_MGMT_ERROR_DOMAIN,
  SpireMgmtMappedError,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/**
 * An error as the client throws it for a refused call: a Connect error carrying the service's
 * `google.rpc.ErrorInfo` detail as it arrives on the wire (encoded here by hand: the common package does
 * not export the ErrorInfo schema), mapped by the common package.
 */
export function serviceError(
  code: Code,
  message: string,
  info?: { reason: string; field?: string },
): SpireMgmtMappedError {
  const error = new ConnectError(message, code);
  if (info) {
    const writer = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .string(info.reason)
      .tag(2, WireType.LengthDelimited)
      .string(SPIRE_MGMT_ERROR_DOMAIN);
    if (info.field) {
      writer
        .tag(3, WireType.LengthDelimited)
        .fork()
        .tag(1, WireType.LengthDelimited)
        .string('field')
        .tag(2, WireType.LengthDelimited)
        .string(info.field)
        .join();
    }
    error.details.push({
      type: 'google.rpc.ErrorInfo',
      value: writer.finish(),
    });
  }
  return toSpireMgmtError(error);
}
