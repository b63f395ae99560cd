import {
  SPIRE_MGMT_ERROR_REASONS,
  SpireMgmtErrorReason,
} from './generated/errorReasons';

export {
  SPIRE_MGMT_ERROR_DOMAIN,
  SPIRE_MGMT_ERROR_REASONS,
} from './generated/errorReasons';
export type { SpireMgmtErrorReason } from './generated/errorReasons';

/**
 * Whether `reason` is one of the API's known reasons (a newer service may answer one this client does not know).
 *
 * @public
 */
export function isSpireMgmtErrorReason(
  reason: string | undefined,
): reason is SpireMgmtErrorReason {
  return (
    reason !== undefined &&
    Object.prototype.hasOwnProperty.call(SPIRE_MGMT_ERROR_REASONS, reason)
  );
}
