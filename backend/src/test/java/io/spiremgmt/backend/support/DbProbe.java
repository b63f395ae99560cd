package io.spiremgmt.backend.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the test database directly (JDBC), to check what a call did or did not write. */
public final class DbProbe {
  private static final List<String> TABLES =
      List.of(
          "sites",
          "workload_entries",
          "workload_entry_selectors",
          "workload_entry_sites",
          "audit_events",
          "site_agents",
          "site_unmanaged_entries",
          "site_unmanaged_staged",
          "sync_events",
          "api_keys");

  private DbProbe() {}

  /**
   * A digest of every row of every table: equal snapshots mean nothing was written. Audit events
   * count without their seal columns, which the background sealer fills in on its own.
   */
  public static Map<String, String> snapshot() {
    Map<String, String> digests = new LinkedHashMap<>();
    for (String table : TABLES) {
      String rows =
          table.equals("audit_events")
              ? "(SELECT id, occurred_at, actor, action, target_type, target_id, request_id,"
                  + " before_state, after_state FROM audit_events)"
              : table;
      digests.put(
          table,
          queryString(
              "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "
                  + rows
                  + " t"));
    }
    return digests;
  }

  /** The single value of a query, as a string. */
  public static String queryString(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The single number a query returns. */
  public static long queryLong(String sql) {
    return Long.parseLong(queryString(sql));
  }

  /** Runs a statement. */
  public static void execute(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new JDBC connection to the test database (the caller closes it). */
  public static Connection connect() throws SQLException {
    return DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
  }
}
