package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The write path is one transaction: entry, selectors, site rows, audit event and NOTIFY commit
 * together.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class WriteAtomicityTest {
  /** Audit inserts by this actor fail inside the database, after every other write of the call. */
  private static final String AUDIT_BREAKER = "audit-breaker";

  /** Entry rows with a SPIFFE ID ending in this fail inside the database, past every check. */
  private static final String POISONED = "/poisoned";

  @BeforeAll
  static void installEntryFault() {
    DbProbe.execute(
        "CREATE OR REPLACE FUNCTION test_reject_entry() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN IF NEW.spiffe_id LIKE '%"
            + POISONED
            + "' THEN RAISE EXCEPTION 'entry store refused'; END IF;"
            + " RETURN NEW; END $$");
    DbProbe.execute("DROP TRIGGER IF EXISTS test_reject_entry ON workload_entries");
    DbProbe.execute(
        "CREATE TRIGGER test_reject_entry BEFORE INSERT ON workload_entries FOR EACH ROW EXECUTE FUNCTION test_reject_entry()");
  }

  @BeforeAll
  static void installAuditFault() {
    DbProbe.execute(
        "CREATE OR REPLACE FUNCTION test_reject_audit() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN IF NEW.actor = '"
            + AUDIT_BREAKER
            + "' THEN RAISE EXCEPTION 'audit store refused'; END IF;"
            + " RETURN NEW; END $$");
    DbProbe.execute("DROP TRIGGER IF EXISTS test_reject_audit ON audit_events");
    DbProbe.execute(
        "CREATE TRIGGER test_reject_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_reject_audit()");
  }

  @Test
  void failedAuditWriteLeavesNoEntryAndSendsNoNotification() throws Exception {
    // Given
    String admin = Api.adminToken("admin@example.org");
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(admin, td);
    Map<String, String> before = DbProbe.snapshot();

    try (Connection listener = listen(site.getId())) {
      // When
      assertThatThrownBy(
              () -> create(Api.adminToken(AUDIT_BREAKER), entry(td, "/atomic", site.getId())))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                // Then: a bug-shaped failure is INTERNAL with a correlation id and nothing of the
                // cause
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
                assertThat(Api.reason(e)).isEqualTo("INTERNAL");
                assertThat(Api.errorInfo(e).getMetadataMap()).containsKey("correlation_id");
                assertThat(e.getStatus().getDescription())
                    .doesNotContain("audit store refused")
                    .doesNotContain("Exception");
              });
      assertThat(DbProbe.snapshot()).isEqualTo(before);
      // A committed write on the same channel arrives; the failed one never does.
      String committed = create(admin, entry(td, "/committed", site.getId())).getId();
      List<String> payloads = new ArrayList<>();
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(
              () -> {
                payloads.addAll(poll(listener));
                return !payloads.isEmpty();
              });
      assertThat(payloads).containsExactly(committed + ":1");
    }
  }

  @Test
  void aBatchItemTheDatabaseRefusesFailsAloneAndTheOthersAreWritten() {
    // Given: the middle item passes every check and fails only in the database
    String admin = Api.adminToken("admin@example.org");
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(admin, td);
    BatchCreateEntriesRequest request =
        BatchCreateEntriesRequest.newBuilder()
            .addRequests(
                CreateEntryRequest.newBuilder().setEntry(entry(td, "/first", site.getId())))
            .addRequests(
                CreateEntryRequest.newBuilder().setEntry(entry(td, POISONED, site.getId())))
            .addRequests(CreateEntryRequest.newBuilder().setEntry(entry(td, "/last", site.getId())))
            .build();

    // When
    BatchCreateEntriesResponse response = Api.entries(admin).batchCreateEntries(request);

    // Then
    assertThat(response.getResultsList())
        .extracting(r -> r.getStatus().getReason())
        .containsExactly("", "INTERNAL", "");
    assertThat(response.getResults(1).getStatus().getMessage()).doesNotContain("refused");
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(spiffe_id, ',' ORDER BY spiffe_id) FROM workload_entries"
                    + " WHERE spiffe_id LIKE 'spiffe://"
                    + td
                    + "/%'"))
        .isEqualTo("spiffe://" + td + "/first,spiffe://" + td + "/last");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.create'"
                    + " AND after_state ->> 'spiffe_id' LIKE 'spiffe://"
                    + td
                    + "/%'"))
        .isEqualTo(2);
  }

  @Test
  void notifiesEverySiteAnEntryChangesAt() throws Exception {
    // Given
    String admin = Api.adminToken("admin@example.org");
    String td = Fixtures.trustDomain();
    Site a = Fixtures.site(admin, td);
    Site b = Fixtures.site(admin, td);

    try (Connection listenA = listen(a.getId());
        Connection listenB = listen(b.getId())) {
      // When
      String id = create(admin, entry(td, "/both", a.getId(), b.getId())).getId();

      // Then
      List<String> gotA = new ArrayList<>();
      List<String> gotB = new ArrayList<>();
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(
              () -> {
                gotA.addAll(poll(listenA));
                gotB.addAll(poll(listenB));
                return !gotA.isEmpty() && !gotB.isEmpty();
              });
      assertThat(gotA).containsExactly(id + ":1");
      assertThat(gotB).containsExactly(id + ":1");
    }
  }

  private static Connection listen(String siteId) throws Exception {
    Connection c = DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN site_" + UUID.fromString(siteId).toString().replace("-", ""));
    }
    return c;
  }

  private static List<String> poll(Connection c) throws Exception {
    try (Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    }
    PGNotification[] notes = c.unwrap(PGConnection.class).getNotifications();
    List<String> payloads = new ArrayList<>();
    if (notes != null) {
      for (PGNotification n : notes) {
        payloads.add(n.getParameter());
      }
    }
    return payloads;
  }
}
