package io.spiremgmt.backend.error;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.mutiny.CompositeException;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * Turns any failure of a call into the status the client sees: an {@link ApiException} becomes its
 * reason's code with a {@code google.rpc.ErrorInfo}; security failures become UNAUTHENTICATED or
 * PERMISSION_DENIED; a database that cannot be reached becomes UNAVAILABLE, a statement cancelled
 * by its timeout DEADLINE_EXCEEDED, and a transaction aborted by a deadlock or serialization
 * failure ABORTED; anything else is a bug, answered INTERNAL with a fixed message and logged with a
 * correlation id.
 */
public final class GrpcErrorMapper {
  private static final Logger LOG = Logger.getLogger(GrpcErrorMapper.class);

  private GrpcErrorMapper() {}

  /** The status exception for a failure. */
  public static StatusRuntimeException toStatus(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiException e) {
      return status(e.reason(), e.getMessage(), e.field(), null);
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CredentialsRejectedException e) {
        return status(ErrorReason.UNAUTHENTICATED, e.getMessage(), null, null);
      }
    }
    if (t instanceof UnauthorizedException
        || t instanceof AuthenticationFailedException
        || t instanceof AuthenticationCompletionException) {
      return status(
          ErrorReason.UNAUTHENTICATED,
          "missing or invalid credentials: send a valid bearer token in the 'authorization'"
              + " metadata or an API key in 'x-api-key'",
          null,
          null);
    }
    if (t instanceof ForbiddenException) {
      return status(
          ErrorReason.PERMISSION_DENIED, "the caller may not perform this call", null, null);
    }
    if (t instanceof StatusRuntimeException e && e.getStatus().getCode() != Status.Code.UNKNOWN) {
      return e;
    }
    if (t instanceof StatusException e && e.getStatus().getCode() != Status.Code.UNKNOWN) {
      return new StatusRuntimeException(e.getStatus(), e.getTrailers());
    }
    ApiException database = databaseFailure(t);
    if (database != null) {
      return status(database.reason(), database.getMessage(), null, null);
    }
    String correlationId = UUID.randomUUID().toString();
    LOG.errorf(failure, "internal error, correlation_id=%s", correlationId);
    return status(
        ErrorReason.INTERNAL,
        "internal error; quote correlation id " + correlationId + " to the operators",
        null,
        correlationId);
  }

  /** The status an {@link ApiException} maps to, for results of batch items. */
  public static ApiException asApiException(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiException e) {
      return e;
    }
    ApiException database = databaseFailure(t);
    if (database != null) {
      return database;
    }
    StatusRuntimeException s = toStatus(t);
    return ApiException.of(ErrorReason.INTERNAL, s.getStatus().getDescription());
  }

  /**
   * What a failure of the database that is not a bug answers (unreachable, a statement cut by its
   * timeout, a transaction aborted by a collision); null for anything else.
   */
  private static ApiException databaseFailure(Throwable t) {
    if (PgErrors.isDatabaseUnavailable(t)) {
      return databaseUnavailable(t);
    }
    if (PgErrors.isStatementTimeout(t)) {
      return statementTimeout();
    }
    if (PgErrors.isConcurrencyFailure(t)) {
      return concurrentUpdate();
    }
    return null;
  }

  /**
   * The failure a call answers while the database cannot be reached (UNAVAILABLE, retryable),
   * logged once per outage rather than once per call.
   */
  public static ApiException databaseUnavailable(Throwable cause) {
    DatabaseOutage.refused(cause);
    return ApiException.of(
        ErrorReason.DATABASE_UNAVAILABLE,
        "the database cannot be reached (it is down or failing over): retry the call with"
            + " backoff");
  }

  private static ApiException statementTimeout() {
    return ApiException.of(
        ErrorReason.STATEMENT_TIMEOUT,
        "the database cancelled a statement of this call after spire-mgmt.db.statement-timeout"
            + " (it waited for a lock or scanned too long); nothing was changed: narrow a list's"
            + " filter or page size, or retry later");
  }

  private static ApiException concurrentUpdate() {
    return ApiException.of(
        ErrorReason.CONCURRENT_UPDATE,
        "the database aborted this call because it collided with a concurrent change of the same"
            + " rows (a deadlock, a serialization failure, or rows another call is changing);"
            + " nothing was changed: read again and retry the call");
  }

  private static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while (true) {
      if (current instanceof CompletionException && current.getCause() != null) {
        current = current.getCause();
      } else if (current instanceof CompositeException c && !c.getCauses().isEmpty()) {
        current = c.getCauses().get(0);
      } else {
        return current;
      }
    }
  }

  private static StatusRuntimeException status(
      ErrorReason reason, String message, String field, String correlationId) {
    ErrorInfo.Builder info =
        ErrorInfo.newBuilder().setReason(reason.name()).setDomain(ErrorReason.DOMAIN);
    if (field != null) {
      info.putMetadata("field", field);
    }
    if (correlationId != null) {
      info.putMetadata("correlation_id", correlationId);
    }
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(reason.code().value())
            .setMessage(message)
            .addDetails(Any.pack(info.build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
