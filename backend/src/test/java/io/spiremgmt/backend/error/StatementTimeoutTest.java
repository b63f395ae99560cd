package io.spiremgmt.backend.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListEntriesResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Statements past {@code spire-mgmt.db.statement-timeout} (1 s here) are cancelled by PostgreSQL
 * and answered DEADLINE_EXCEEDED, so scans stuck behind a lock free their pool connections.
 */
@QuarkusTest
@TestProfile(StatementTimeoutTest.ShortStatementTimeout.class)
@QuarkusTestResource(TestDatabase.class)
class StatementTimeoutTest {
  private final String token = Api.adminToken("timeout@example.org");

  /** A one-second statement timeout. */
  public static class ShortStatementTimeout implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("spire-mgmt.db.statement-timeout", "1s");
    }
  }

  @Test
  void aStatementPastTheTimeoutIsCancelledAndAnsweredDeadlineExceeded() throws Exception {
    // Given
    try (Connection lock = DbProbe.connect()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        s.execute("LOCK TABLE workload_entries IN ACCESS EXCLUSIVE MODE");
      }

      // When
      long start = System.nanoTime();
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  Api.entries(token)
                      .withDeadlineAfter(30, TimeUnit.SECONDS)
                      .listEntries(ListEntriesRequest.newBuilder().setPageSize(10).build()));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      lock.rollback();

      // Then
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(Api.reason(e)).isEqualTo("STATEMENT_TIMEOUT");
      assertThat(e.getStatus().getDescription()).contains("spire-mgmt.db.statement-timeout");
      assertThat(took).isLessThan(Duration.ofSeconds(15));
    }
  }

  @Test
  void aLeaseRenewalSucceedsWhileThePoolIsFullOfScansStuckBehindALock() throws Exception {
    // Given
    Site site = Fixtures.site(token, Fixtures.trustDomain());
    Fixtures.leased(token, site);
    int scans = 60;
    CountDownLatch answered = new CountDownLatch(scans);
    try (Connection lock = DbProbe.connect()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        s.execute("LOCK TABLE workload_entries IN ACCESS EXCLUSIVE MODE");
      }
      WorkloadEntryServiceGrpc.WorkloadEntryServiceStub async =
          WorkloadEntryServiceGrpc.newStub(Api.channel())
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(Api.bearer(token)));
      for (int i = 0; i < scans; i++) {
        async.listEntries(
            ListEntriesRequest.newBuilder().setPageSize(10).build(),
            new StreamObserver<ListEntriesResponse>() {
              @Override
              public void onNext(ListEntriesResponse value) {}

              @Override
              public void onError(Throwable t) {
                answered.countDown();
              }

              @Override
              public void onCompleted() {
                answered.countDown();
              }
            });
      }

      // When
      long start = System.nanoTime();
      Lease lease =
          Api.sync(token)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .acquireLease(
                  AcquireLeaseRequest.newBuilder()
                      .setSiteId(site.getId())
                      .setAgentId(Fixtures.AGENT)
                      .setAgentVersion("test")
                      .setSpireReachable(true)
                      .build());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      lock.rollback();

      // Then
      assertThat(lease.getHeld()).isTrue();
      assertThat(took).isLessThan(Duration.ofSeconds(10));
      assertThat(answered.await(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
