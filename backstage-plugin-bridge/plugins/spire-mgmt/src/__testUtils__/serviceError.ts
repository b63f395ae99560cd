import { Code } from '@connectrpc/connect';
import {
  createSpireMgmtServiceError,
  SpireMgmtMappedError,
  toSpireMgmtError,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

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
    createSpireMgmtServiceError(
      code,
      info.reason ?? '',
      message,
      info.field ? { field: info.field } : {},
    ),
  );
}
