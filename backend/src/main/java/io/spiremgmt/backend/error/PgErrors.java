package io.spiremgmt.backend.error;

import io.vertx.pgclient.PgException;
import java.util.function.Predicate;
import org.hibernate.exception.ConstraintViolationException;

/** Recognises PostgreSQL errors that are outcomes of a race, not bugs. */
public final class PgErrors {
  private static final String UNIQUE_VIOLATION = "23505";

  private PgErrors() {}

  /**
   * Matches a unique-constraint violation of {@code constraint}, however the driver or Hibernate
   * wrapped it: two writers passed the pre-check at once and the database kept the invariant.
   */
  public static Predicate<Throwable> isUniqueViolation(String constraint) {
    return failure -> {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t instanceof PgException pg
            && UNIQUE_VIOLATION.equals(pg.getSqlState())
            && constraint.equals(pg.getConstraint())) {
          return true;
        }
        if (t instanceof ConstraintViolationException cv
            && constraint.equals(cv.getConstraintName())) {
          return true;
        }
        if (t.getCause() == t) {
          break;
        }
      }
      return false;
    };
  }
}
