package io.spiremgmt.backend.error;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.hibernate.exception.ConstraintViolationException;

/**
 * Recognises PostgreSQL errors that are not bugs: outcomes of a race (a unique violation, a
 * deadlock or serialization failure), a database that cannot be reached, a statement cancelled by
 * {@code statement_timeout}.
 */
public final class PgErrors {
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String QUERY_CANCELED = "57014";

  /**
   * SQLSTATEs of a transaction aborted for colliding with another: serialization_failure,
   * deadlock_detected.
   */
  private static final Set<String> CONCURRENCY_STATES = Set.of("40001", "40P01", "55P03");

  /**
   * SQLSTATEs of a server going away or not yet there: admin_shutdown, crash_shutdown,
   * cannot_connect_now (starting up, in recovery), database_dropped, too_many_connections, and the
   * connection_exception class (08...).
   */
  private static final Set<String> UNAVAILABLE_STATES =
      Set.of("57P01", "57P02", "57P03", "57P04", "53300");

  private PgErrors() {}

  /**
   * Matches a unique-constraint violation of {@code constraint}, however the driver or Hibernate
   * wrapped it: two writers passed the pre-check at once and the database kept the invariant.
   */
  public static Predicate<Throwable> isUniqueViolation(String constraint) {
    return failure ->
        anyCause(
            failure,
            t ->
                (t instanceof PgException pg
                        && UNIQUE_VIOLATION.equals(pg.getSqlState())
                        && constraint.equals(pg.getConstraint()))
                    || (t instanceof ConstraintViolationException cv
                        && constraint.equals(cv.getConstraintName())));
  }

  /**
   * Whether {@code failure} says the database cannot be reached: connection refused or reset, a
   * connection closed under a statement, the server shutting down or starting up, no connection
   * from the pool in time. Hibernate Reactive and Mutiny wrap these, so the whole cause chain is
   * read.
   */
  public static boolean isDatabaseUnavailable(Throwable failure) {
    return anyCause(failure, PgErrors::saysUnreachable);
  }

  private static boolean saysUnreachable(Throwable t) {
    if (t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof UnknownHostException
        || t instanceof ClosedConnectionException
        || t instanceof ClosedChannelException
        // The pool gave no connection in time (Vert.x's NoStackTraceTimeoutException).
        || t instanceof TimeoutException) {
      return true;
    }
    String state = sqlState(t);
    if (state != null) {
      return UNAVAILABLE_STATES.contains(state) || state.startsWith("08");
    }
    // The connection went away under a statement.
    if (t instanceof VertxException || t instanceof java.io.IOException) {
      String message = String.valueOf(t.getMessage());
      return message.contains("Connection reset")
          || message.contains("Connection closed")
          || message.contains("connection was closed")
          || message.contains("Broken pipe")
          || message.contains("connection may have been lost");
    }
    return false;
  }

  /**
   * Whether {@code failure} is a statement PostgreSQL cancelled (SQLSTATE 57014), which this
   * service only causes through {@code statement_timeout}.
   */
  public static boolean isStatementTimeout(Throwable failure) {
    return anyCause(failure, t -> QUERY_CANCELED.equals(sqlState(t)));
  }

  /**
   * Whether {@code failure} is PostgreSQL aborting the transaction because it collided with a
   * concurrent one: a deadlock (40P01), a serialization failure (40001), or a row another
   * transaction holds locked where the statement asked not to wait (55P03, {@code FOR UPDATE
   * NOWAIT}: two decisions on one entry request). The whole transaction was rolled back, and the
   * same call can succeed when retried. On the Vert.x client the driver's {@link PgException} says
   * so; on a Hibernate session, Hibernate Reactive converts it to an exception (e.g. {@code
   * LockAcquisitionException}) whose cause is a {@link SQLException} with the SQLSTATE.
   */
  public static boolean isConcurrencyFailure(Throwable failure) {
    return anyCause(
        failure,
        t -> {
          String state = sqlState(t);
          return state != null && CONCURRENCY_STATES.contains(state);
        });
  }

  /**
   * The SQLSTATE {@code t} carries, or null: the driver's {@link PgException} on the Vert.x client,
   * a {@link SQLException} where Hibernate Reactive converted it on a session.
   */
  private static String sqlState(Throwable t) {
    if (t instanceof PgException pg) {
      return pg.getSqlState();
    }
    return t instanceof SQLException sql ? sql.getSQLState() : null;
  }

  /**
   * Whether {@code failure} or one of its causes matches: Hibernate Reactive, Mutiny and the driver
   * wrap what PostgreSQL said, so the whole chain is read (bounded, and stopping at a cause that is
   * its own cause).
   */
  private static boolean anyCause(Throwable failure, Predicate<Throwable> test) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
      if (test.test(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
