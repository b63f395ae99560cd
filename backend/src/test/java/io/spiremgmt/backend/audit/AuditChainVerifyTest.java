package io.spiremgmt.backend.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.VerifyAuditChainRequest;
import io.spiremgmt.api.v1.VerifyAuditChainResponse;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The audit trail as a hash chain in the real database: sealed after commit, verified through the
 * API, append-only by trigger, and a row changed behind the service's back is the first break.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class AuditChainVerifyTest {
  private final String token = Api.adminToken("auditor@chain");

  @Inject AuditSealer sealer;

  @Test
  void eventsAreSealedVerifiedAndTamperingIsReportedAtTheFirstBrokenLink() throws Exception {
    // Given: some audited writes, all sealed
    Fixtures.site(token, Fixtures.trustDomain());
    Fixtures.site(token, Fixtures.trustDomain());
    sealAll();

    // Then
    VerifyAuditChainResponse intact = verify();
    assertThat(intact.getIntact()).isTrue();
    assertThat(intact.getVerifiedCount()).isGreaterThanOrEqualTo(2);
    assertThat(intact.hasFirstBreak()).isFalse();

    // When: a row is changed behind the service's back (triggers bypassed, as a superuser could)
    long victim =
        DbProbe.queryLong(
            "SELECT id FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC OFFSET 1 LIMIT 1");
    long seq = DbProbe.queryLong("SELECT seq FROM audit_events WHERE id = " + victim);
    String actor = DbProbe.queryString("SELECT actor FROM audit_events WHERE id = " + victim);
    tamper("UPDATE audit_events SET actor = 'mallory' WHERE id = " + victim);
    try {
      // Then
      VerifyAuditChainResponse broken = verify();
      assertThat(broken.getIntact()).isFalse();
      assertThat(broken.getFirstBreak().getEventId()).isEqualTo(victim);
      assertThat(broken.getFirstBreak().getSeq()).isEqualTo(seq);
      assertThat(broken.getFirstBreak().getReason()).startsWith("hash does not match");
      assertThat(broken.getVerifiedCount()).isEqualTo(seq - 1);
      // The command-line check, straight from the database, agrees.
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      try (Connection c = DbProbe.connect()) {
        assertThat(AuditChainCli.verify(c, new PrintStream(printed, true))).isEqualTo(1);
      }
      assertThat(printed.toString())
          .startsWith("audit chain BROKEN at seq " + seq + " (event id " + victim + "): hash");
    } finally {
      tamper("UPDATE audit_events SET actor = '" + actor + "' WHERE id = " + victim);
    }
    assertThat(verify().getIntact()).isTrue();
    try (Connection c = DbProbe.connect()) {
      assertThat(AuditChainCli.verify(c, new PrintStream(new ByteArrayOutputStream()))).isZero();
    }
  }

  @Test
  void theServiceCannotChangeOrDeleteAuditRows() {
    // Given: an audited write
    Fixtures.site(token, Fixtures.trustDomain());
    long id = DbProbe.queryLong("SELECT max(id) FROM audit_events");

    // When / Then: the service's database role may neither change nor delete its row
    assertThatThrownBy(
            () -> DbProbe.execute("UPDATE audit_events SET actor = 'x' WHERE id = " + id))
        .hasMessageContaining("append-only");
    assertThatThrownBy(() -> DbProbe.execute("DELETE FROM audit_events WHERE id = " + id))
        .hasMessageContaining("never deleted");
  }

  @Test
  void anInsertWithForgedSealValuesIsStoredUnsealedAndTheSealerChainsItCorrectly() {
    // Given: a sealed chain, and its last link
    Fixtures.site(token, Fixtures.trustDomain());
    sealAll();
    long topSeq = DbProbe.queryLong("SELECT max(seq) FROM audit_events");
    String topHash =
        DbProbe.queryString("SELECT encode(hash, 'hex') FROM audit_events WHERE seq = " + topSeq);

    // When: a row is inserted claiming the next place in the chain, with a made-up hash and an
    // old transaction id (as anyone with INSERT on the table could)
    String forgedHash = "ab".repeat(32);
    // RETURNING shows the row as stored, in the inserting statement: the background sealer (every
    // second) cannot seal it between the insert and the check.
    String[] stored =
        DbProbe.queryString(
                "WITH ins AS (INSERT INTO audit_events (actor, action, target_type, target_id,"
                    + " request_id, seq, prev_hash, hash, xid) VALUES ('mallory', 'entry.delete',"
                    + " 'entry', 'e1', 'r1', "
                    + (topSeq + 1)
                    + ", decode('"
                    + topHash
                    + "', 'hex'), decode('"
                    + forgedHash
                    + "', 'hex'), 3) RETURNING id, seq, prev_hash, hash, xid)"
                    + " SELECT concat_ws('|', id, concat_ws(',', seq, prev_hash, hash), xid) FROM ins")
            .split("\\|", -1);
    long id = Long.parseLong(stored[0]);

    // Then: the seal columns are empty and the transaction id is the inserting transaction's
    assertThat(stored[1]).isEmpty();
    assertThat(Long.parseLong(stored[2])).isGreaterThan(3);

    // When: the sealer runs
    sealAll();

    // Then: the row is sealed after the real last link, with its own hash, and the chain holds
    long seq = DbProbe.queryLong("SELECT seq FROM audit_events WHERE id = " + id);
    assertThat(seq).isGreaterThan(topSeq);
    assertThat(DbProbe.queryString("SELECT encode(hash, 'hex') FROM audit_events WHERE id = " + id))
        .isNotEqualTo(forgedHash);
    assertThat(
            DbProbe.queryString(
                "SELECT encode(prev_hash, 'hex') FROM audit_events WHERE id = " + id))
        .isEqualTo(
            DbProbe.queryString(
                "SELECT encode(hash, 'hex') FROM audit_events WHERE seq = " + (seq - 1)));
    VerifyAuditChainResponse verified = verify();
    assertThat(verified.getIntact()).isTrue();
    assertThat(verified.getVerifiedCount()).isGreaterThanOrEqualTo(seq);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "DROP TRIGGER audit_events_unsealed_on_insert ON audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP FUNCTION audit_events_unsealed_on_insert() CASCADE",
        "TRUNCATE audit_events",
        "SET session_replication_role = replica"
      })
  void theServiceRoleCannotSwitchTheAuditTriggersOffOrBypassThem(String attempt) throws Exception {
    // Given: a connection as the role the service runs as (README, "Database roles")
    try (Connection c =
            DriverManager.getConnection(TestDatabase.jdbcUrl(), TestDatabase.SERVICE, "service");
        Statement st = c.createStatement()) {

      // When / Then
      assertThatThrownBy(() -> st.execute(attempt))
          .isInstanceOf(SQLException.class)
          .hasMessageMatching("(?s).*(must be owner|permission denied).*");
    }
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass"
                    + " AND tgenabled = 'O' AND NOT tgisinternal"))
        .isEqualTo(2);
  }

  private void sealAll() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              sealer.sealPending().await().atMost(Duration.ofSeconds(10));
              return DbProbe.queryLong("SELECT count(*) FROM audit_events WHERE seq IS NULL") == 0;
            });
  }

  private VerifyAuditChainResponse verify() {
    return Api.audit(token).verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
  }

  private static void tamper(String sql) throws Exception {
    try (Connection c = DbProbe.connect();
        Statement st = c.createStatement()) {
      st.execute("SET session_replication_role = replica");
      st.executeUpdate(sql);
    }
  }
}
