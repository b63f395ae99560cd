import {
  AuthenticationError,
  ConflictError,
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from './generated/google/rpc/error_details_pb';
import { SPIRE_MGMT_ERROR_DOMAIN, SpireMgmtErrorReason } from './errorReasons';

/**
 * What a failed spire-mgmt call said, beyond its message: read it with {@link getSpireMgmtErrorDetails}.
 *
 * @public
 */
export interface SpireMgmtErrorDetails {
  /** The gRPC status code's name, e.g. `INVALID_ARGUMENT`. */
  code: string;
  /** The gRPC status code's number, e.g. 3. */
  grpcCode: number;
  /** The `ErrorInfo` reason, e.g. `INVALID_SPIFFE_ID`; absent when the error carried no `ErrorInfo`. */
  reason?: SpireMgmtErrorReason | (string & {});
  /** The `ErrorInfo` domain (`spire-mgmt.io` for the service's own errors). */
  domain?: string;
  /** The request field at fault (`ErrorInfo.metadata["field"]`), e.g. `entry.spiffe_id`. */
  field?: string;
  /** For INTERNAL errors: the id the service logged the failure under (`ErrorInfo.metadata["correlation_id"]`). */
  correlationId?: string;
  /** All of the `ErrorInfo` metadata. */
  metadata: Record<string, string>;
  /** The service's message, without the code prefix Connect adds. */
  message: string;
}

/**
 * The error a spire-mgmt call fails with when no `@backstage/errors` type fits its gRPC code (for example
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, OUT_OF_RANGE, INTERNAL).
 *
 * @public
 */
export class SpireMgmtError extends CustomErrorBase {
  name = 'SpireMgmtError' as const;
}

/**
 * An error of a spire-mgmt call as an `@backstage/errors` type, carrying the call's details.
 *
 * @public
 */
export type SpireMgmtMappedError = Error & {
  readonly spireMgmt: SpireMgmtErrorDetails;
};

type ErrorClass = new (message?: string, cause?: Error | unknown) => Error;

const ERROR_CLASSES: Partial<Record<Code, ErrorClass>> = {
  [Code.InvalidArgument]: InputError,
  [Code.NotFound]: NotFoundError,
  [Code.AlreadyExists]: ConflictError,
  [Code.Aborted]: ConflictError,
  [Code.FailedPrecondition]: ConflictError,
  [Code.PermissionDenied]: NotAllowedError,
  [Code.Unauthenticated]: AuthenticationError,
  [Code.Unavailable]: ServiceUnavailableError,
  [Code.Unimplemented]: NotImplementedError,
};

// Canonical names (google.rpc.Code), which the service's docs and the generated reasons use.
const CODE_NAMES: Record<Code, string> = {
  [Code.Canceled]: 'CANCELLED',
  [Code.Unknown]: 'UNKNOWN',
  [Code.InvalidArgument]: 'INVALID_ARGUMENT',
  [Code.DeadlineExceeded]: 'DEADLINE_EXCEEDED',
  [Code.NotFound]: 'NOT_FOUND',
  [Code.AlreadyExists]: 'ALREADY_EXISTS',
  [Code.PermissionDenied]: 'PERMISSION_DENIED',
  [Code.ResourceExhausted]: 'RESOURCE_EXHAUSTED',
  [Code.FailedPrecondition]: 'FAILED_PRECONDITION',
  [Code.Aborted]: 'ABORTED',
  [Code.OutOfRange]: 'OUT_OF_RANGE',
  [Code.Unimplemented]: 'UNIMPLEMENTED',
  [Code.Internal]: 'INTERNAL',
  [Code.Unavailable]: 'UNAVAILABLE',
  [Code.DataLoss]: 'DATA_LOSS',
  [Code.Unauthenticated]: 'UNAUTHENTICATED',
};

/**
 * Turns an error of a spire-mgmt call (a Connect error, as thrown by the client) into the `@backstage/errors`
 * type of its gRPC code: INVALID_ARGUMENT → `InputError`, NOT_FOUND → `NotFoundError`, ALREADY_EXISTS, ABORTED
 * and FAILED_PRECONDITION → `ConflictError`, PERMISSION_DENIED → `NotAllowedError`, UNAUTHENTICATED →
 * `AuthenticationError`, UNAVAILABLE → `ServiceUnavailableError`, UNIMPLEMENTED → `NotImplementedError`, any
 * other code → {@link SpireMgmtError}. The result keeps the Connect error as its `cause` and the code, the
 * `ErrorInfo` reason and the field at fault in its `spireMgmt` property ({@link getSpireMgmtErrorDetails}).
 * An error mapped already is returned as it is.
 *
 * @public
 */
export function toSpireMgmtError(error: unknown): SpireMgmtMappedError {
  if (getSpireMgmtErrorDetails(error)) {
    return error as SpireMgmtMappedError;
  }
  const connectError = ConnectError.from(error);
  const info =
    connectError
      .findDetails(ErrorInfoSchema)
      .find(i => i.domain === SPIRE_MGMT_ERROR_DOMAIN) ??
    connectError.findDetails(ErrorInfoSchema)[0];
  const metadata = { ...(info?.metadata ?? {}) };
  const details: SpireMgmtErrorDetails = {
    code: CODE_NAMES[connectError.code] ?? 'UNKNOWN',
    grpcCode: connectError.code,
    reason: info?.reason || undefined,
    domain: info?.domain || undefined,
    field: metadata.field,
    correlationId: metadata.correlation_id,
    metadata,
    message: connectError.rawMessage,
  };
  const ErrorType = ERROR_CLASSES[connectError.code] ?? SpireMgmtError;
  // The cause is set afterwards: passed to the constructor, its message would be appended to this one.
  const mapped = new ErrorType(connectError.rawMessage);
  Object.defineProperty(mapped, 'cause', {
    value: connectError,
    configurable: true,
    writable: true,
  });
  Object.defineProperty(mapped, 'spireMgmt', {
    value: details,
    enumerable: true,
  });
  return mapped as SpireMgmtMappedError;
}

/**
 * The details of an error of a spire-mgmt call mapped by {@link toSpireMgmtError} (or thrown by a client of
 * {@link createSpireMgmtClients}); undefined for any other error.
 *
 * @public
 */
export function getSpireMgmtErrorDetails(
  error: unknown,
): SpireMgmtErrorDetails | undefined {
  if (typeof error === 'object' && error !== null && 'spireMgmt' in error) {
    return (error as SpireMgmtMappedError).spireMgmt;
  }
  return undefined;
}

/**
 * A Connect error shaped as the spire-mgmt service sends one: the gRPC code, the message and a
 * `google.rpc.ErrorInfo` detail with the service's domain, the reason and its metadata (e.g. `field`). For
 * fakes of the API and in-memory Connect routers in tests: {@link toSpireMgmtError} maps it as it maps a
 * real one.
 *
 * @public
 */
export function createSpireMgmtServiceError(
  code: Code,
  reason: SpireMgmtErrorReason | (string & {}),
  message: string,
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(message, code, undefined, [
    {
      desc: ErrorInfoSchema,
      value: { reason, domain: SPIRE_MGMT_ERROR_DOMAIN, metadata },
    },
  ]);
}
