package io.spiremgmt.backend.error;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A transaction PostgreSQL aborts because it collided with a concurrent one (a deadlock, a
 * serialization failure) is answered ABORTED with reason CONCURRENT_UPDATE, retryable, not
 * INTERNAL; and it changed nothing.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ConcurrentUpdateTest {
  private final String token = Api.adminToken("operator@concurrent");

  @Inject Pool pool;

  @Test
  void aTriggerSyncCaughtInARealDeadlockAnswersAbortedAndChangesNothing() throws Exception {
    // Given: two failed entries at a site (the first created has the lower id)
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Entry first = create(token, entry(td, "/first", site.getId()));
    Entry second = create(token, entry(td, "/second", site.getId()));
    Fixtures.report(token, site, failed(first));
    Fixtures.report(token, site, failed(second));
    Map<String, String> before = DbProbe.snapshot();

    try (Connection other = DbProbe.connect()) {
      other.setAutoCommit(false);
      try (Statement st = other.createStatement()) {
        // This side must never be the one PostgreSQL picks to abort.
        st.execute("SET deadlock_timeout = '60s'");
        // Another transaction holds the second row...
        st.execute(lockRow(second, site));
      }

      // When: TriggerSync locks the first row and waits for the second...
      CompletableFuture<StatusRuntimeException> trigger =
          CompletableFuture.supplyAsync(
              () ->
                  catchThrowableOfType(
                      StatusRuntimeException.class,
                      () ->
                          Api.sync(token)
                              .withDeadlineAfter(30, TimeUnit.SECONDS)
                              .triggerSync(
                                  TriggerSyncRequest.newBuilder()
                                      .addSiteIds(site.getId())
                                      .build())));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  DbProbe.queryLong(
                          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE '%workload_entry_sites%'"
                              + " AND pid <> pg_backend_pid()")
                      > 0);
      // ...while the other transaction now wants the first row: a cycle, which PostgreSQL breaks
      // by aborting TriggerSync's transaction.
      CompletableFuture<Void> otherWaits =
          CompletableFuture.runAsync(
              () -> {
                try (Statement st = other.createStatement()) {
                  st.execute(lockRow(first, site));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      StatusRuntimeException e = trigger.get(30, TimeUnit.SECONDS);
      otherWaits.get(30, TimeUnit.SECONDS);
      other.rollback();

      // Then
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
      assertThat(Api.reason(e)).isEqualTo("CONCURRENT_UPDATE");
      assertThat(e.getStatus().getDescription()).contains("retry the call");
    }
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aRealSerializationFailureMapsToAbortedConcurrentUpdate() {
    // Given: a repeatable-read transaction that has read a site, which another then changes
    Site site = Fixtures.site(token, Fixtures.trustDomain());
    UUID id = UUID.fromString(site.getId());
    Duration wait = Duration.ofSeconds(30);
    SqlConnection conn = pool.getConnection().await().atMost(wait);
    Throwable failure;
    try {
      conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ").execute().await().atMost(wait);
      conn.preparedQuery("SELECT name FROM sites WHERE id = $1")
          .execute(Tuple.of(id))
          .await()
          .atMost(wait);
      DbProbe.execute("UPDATE sites SET name = name WHERE id = '" + id + "'");

      // When: the first transaction writes the row the other one changed
      failure =
          catchThrowable(
              () ->
                  conn.preparedQuery("UPDATE sites SET name = name WHERE id = $1")
                      .execute(Tuple.of(id))
                      .await()
                      .atMost(wait));
      conn.query("ROLLBACK").execute().await().atMost(wait);
    } finally {
      conn.close().await().atMost(wait);
    }

    // Then: PostgreSQL refused it (40001), and the service answers that as ABORTED
    assertThat(failure)
        .isInstanceOfSatisfying(
            PgException.class, pg -> assertThat(pg.getSqlState()).isEqualTo("40001"));
    StatusRuntimeException status = GrpcErrorMapper.toStatus(failure);
    assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(Api.reason(status)).isEqualTo("CONCURRENT_UPDATE");
    assertThat(GrpcErrorMapper.asApiException(failure).reason())
        .isEqualTo(ErrorReason.CONCURRENT_UPDATE);
  }

  private static SyncResult.Builder failed(Entry entry) {
    return SyncResult.newBuilder()
        .setEntryId(entry.getId())
        .setRevision(1)
        .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
        .setError("spire: unavailable")
        .setReason("SPIRE_UNAVAILABLE");
  }

  private static String lockRow(Entry entry, Site site) {
    return "SELECT 1 FROM workload_entry_sites WHERE workload_entry_id = '"
        + entry.getId()
        + "' AND site_id = '"
        + site.getId()
        + "' FOR UPDATE";
  }
}
