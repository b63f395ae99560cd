package io.spiremgmt.backend.audit;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The command-line check of the audit chain, straight from the database (JDBC), independent of a
 * running service: {@code java -jar quarkus-run.jar verify-audit-chain} with the datasource
 * settings of the service ({@code QUARKUS_DATASOURCE_JDBC_URL}, {@code _USERNAME}, {@code
 * _PASSWORD}). Prints the result and exits 0 when the chain is intact, 1 when it is broken, 2 on an
 * error.
 */
public final class AuditChainCli {
  private AuditChainCli() {}

  /** Runs the check with the service's datasource settings; the exit code. */
  public static int run(PrintStream out) {
    String url = setting("quarkus.datasource.jdbc.url");
    if (url == null) {
      out.println("verify-audit-chain: set QUARKUS_DATASOURCE_JDBC_URL (and _USERNAME, _PASSWORD)");
      return 2;
    }
    try (Connection c =
        DriverManager.getConnection(
            url, setting("quarkus.datasource.username"), setting("quarkus.datasource.password"))) {
      return verify(c, out);
    } catch (SQLException e) {
      out.println("verify-audit-chain: " + e.getMessage());
      return 2;
    }
  }

  /** Verifies the chain over {@code c}; prints the result; 0 intact, 1 broken. */
  public static int verify(Connection c, PrintStream out) throws SQLException {
    AuditChain.Verifier verifier = new AuditChain.Verifier();
    long after = 0;
    boolean more = true;
    try (PreparedStatement page =
        c.prepareStatement(
            "SELECT seq, prev_hash, hash, "
                + AuditChainRepository.CONTENT
                + " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000")) {
      while (more && verifier.broken() == null) {
        page.setLong(1, after);
        int rows = 0;
        try (ResultSet r = page.executeQuery()) {
          while (r.next()) {
            rows++;
            after = r.getLong("seq");
            String before = r.getString("before");
            String afterState = r.getString("after");
            AuditChain.Content content =
                new AuditChain.Content(
                    r.getLong("id"),
                    r.getLong("micros"),
                    r.getString("actor"),
                    r.getString("action"),
                    r.getString("target_type"),
                    r.getString("target_id"),
                    r.getString("request_id"),
                    before,
                    afterState);
            if (!verifier.next(after, r.getBytes("prev_hash"), r.getBytes("hash"), content)) {
              break;
            }
          }
        }
        more = rows == 1000;
      }
    }
    long unsealed;
    try (Statement st = c.createStatement();
        ResultSet r = st.executeQuery("SELECT count(*) FROM audit_events WHERE seq IS NULL")) {
      r.next();
      unsealed = r.getLong(1);
    }
    AuditChain.Break broken = verifier.broken();
    if (broken == null) {
      out.printf(
          "audit chain intact: %d events verified, %d not sealed yet%n",
          verifier.verified(), unsealed);
      return 0;
    }
    out.printf(
        "audit chain BROKEN at seq %d (event id %d): %s; %d events before it verified%n",
        broken.seq(), broken.eventId(), broken.reason(), verifier.verified());
    return 1;
  }

  private static String setting(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      value = System.getenv(property.toUpperCase().replace('.', '_').replace('-', '_'));
    }
    return value;
  }
}
