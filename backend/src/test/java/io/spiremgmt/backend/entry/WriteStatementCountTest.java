package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a create costs the database, as PostgreSQL counts it ({@code pg_stat_statements}, every
 * statement of the service's role, BEGIN and COMMIT included): one statement per concern in one
 * transaction, the same for one entry as for a batch. A change that adds a round trip to the write
 * path fails here. Each call is counted alone, five times, and the cheapest count is the call's:
 * the service's background duties (the audit sealer, about five statements a second) can only add
 * to a count, never remove from it.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class WriteStatementCountTest {
  /**
   * BEGIN; the sites locked FOR SHARE; the approval policy's rules and its sites' settings; the
   * entry rows, selector rows, site rows and audit events; the NOTIFYs; COMMIT.
   */
  private static final int CREATE_STATEMENTS = 10;

  private static final int TRIES = 5;

  private final String token = Api.adminToken("counter@example.org");

  @BeforeAll
  static void countStatements() {
    DbProbe.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  }

  @Test
  void aCreateIsTenStatementsInOneTransaction() throws Exception {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);

    // When
    Map<String, Long> fewest = null;
    for (int i = 0; i < TRIES; i++) {
      Map<String, Long> before = statements();
      create(token, entry(td, "/counted/" + i, site.getId()));
      Map<String, Long> cost = minus(statements(), before);
      if (fewest == null || total(cost) < total(fewest)) {
        fewest = cost;
      }
    }

    // Then
    assertThat(total(fewest)).as("statements: %s", fewest).isEqualTo(CREATE_STATEMENTS);
    assertThat(fewest).containsEntry("BEGIN", 1L).containsEntry("COMMIT", 1L);
  }

  @Test
  void aBatchOfFiftyCostsWhatOneCreateCosts() throws Exception {
    // Given
    String td = Fixtures.trustDomain();
    Site a = Fixtures.site(token, td);
    Site b = Fixtures.site(token, td);

    // When
    Map<String, Long> fewest = null;
    for (int i = 0; i < TRIES; i++) {
      BatchCreateEntriesRequest.Builder batch = BatchCreateEntriesRequest.newBuilder();
      for (int j = 0; j < 50; j++) {
        batch.addRequests(
            CreateEntryRequest.newBuilder()
                .setEntry(entry(td, "/batch/" + i + "/" + j, a.getId(), b.getId())));
      }
      Map<String, Long> before = statements();
      BatchCreateEntriesResponse response = Api.entries(token).batchCreateEntries(batch.build());
      Map<String, Long> cost = minus(statements(), before);
      assertThat(response.getResultsList()).allMatch(r -> r.getStatus().getCode() == 0);
      if (fewest == null || total(cost) < total(fewest)) {
        fewest = cost;
      }
    }

    // Then
    assertThat(total(fewest)).as("statements: %s", fewest).isEqualTo(CREATE_STATEMENTS);
  }

  /** Calls so far of each statement the service's role ran, by its text. */
  private static Map<String, Long> statements() throws SQLException {
    Map<String, Long> calls = new HashMap<>();
    try (Connection c = DbProbe.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT query, sum(calls) FROM pg_stat_statements"
                    + " WHERE userid = '"
                    + TestDatabase.SERVICE
                    + "'::regrole AND dbid = (SELECT oid FROM pg_database WHERE datname ="
                    + " current_database()) GROUP BY query")) {
      while (rs.next()) {
        calls.put(rs.getString(1), rs.getLong(2));
      }
    }
    return calls;
  }

  private static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> delta = new TreeMap<>();
    after.forEach(
        (query, n) -> {
          long d = n - before.getOrDefault(query, 0L);
          if (d > 0) {
            delta.put(query, d);
          }
        });
    return delta;
  }

  private static long total(Map<String, Long> calls) {
    return calls.values().stream().mapToLong(Long::longValue).sum();
  }
}
