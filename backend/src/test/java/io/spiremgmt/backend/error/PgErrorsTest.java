package io.spiremgmt.backend.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * How {@link PgErrors} classifies what PostgreSQL said when Hibernate Reactive hands it over as a
 * {@link SQLException} (a session's path) rather than the driver's own exception: the same SQLSTATE
 * must give the same answer on both paths, or a timeout or an outage on a session would answer
 * INTERNAL.
 */
class PgErrorsTest {

  @Test
  void aStatementTimeoutWrappedAsSqlExceptionIsRecognised() {
    // Given a cancelled statement as Hibernate wraps it
    RuntimeException wrapped =
        new RuntimeException(
            "error executing SQL statement",
            new SQLException("canceling statement due to statement timeout", "57014"));

    // Then it is a statement timeout, and neither an outage nor a collision
    assertThat(PgErrors.isStatementTimeout(wrapped)).isTrue();
    assertThat(PgErrors.isDatabaseUnavailable(wrapped)).isFalse();
    assertThat(PgErrors.isConcurrencyFailure(wrapped)).isFalse();
  }

  @Test
  void aServerGoingAwayWrappedAsSqlExceptionIsAnOutage() {
    // Given an admin shutdown and a connection failure, as Hibernate wraps them
    Throwable shutdown = new RuntimeException(new SQLException("terminating connection", "57P01"));
    Throwable connection = new RuntimeException(new SQLException("connection failure", "08006"));

    // Then both say the database cannot be reached
    assertThat(PgErrors.isDatabaseUnavailable(shutdown)).isTrue();
    assertThat(PgErrors.isDatabaseUnavailable(connection)).isTrue();
  }

  @Test
  void anSqlExceptionWithoutStateOrWithAnotherStateIsNoneOfThem() {
    // Given SQL errors that are bugs, or carry no SQLSTATE
    Throwable noState = new RuntimeException(new SQLException("something else"));
    Throwable syntax = new RuntimeException(new SQLException("syntax error", "42601"));

    // Then none of the classifications claims them
    for (Throwable t : new Throwable[] {noState, syntax}) {
      assertThat(PgErrors.isStatementTimeout(t)).isFalse();
      assertThat(PgErrors.isDatabaseUnavailable(t)).isFalse();
      assertThat(PgErrors.isConcurrencyFailure(t)).isFalse();
    }
  }
}
