package io.spiremgmt.backend.error;

import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Stops the real PostgreSQL under the running service and starts it again on the same port: an
 * outage is UNAVAILABLE, logged once, and readiness reports it.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class DatabaseOutageTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final String token = Api.adminToken("outage@example.org");

  @Test
  void callsDuringADatabaseOutageAnswerUnavailableOnceLoggedAndReadinessFollowsTheDatabase()
      throws Exception {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    BatchCreateEntriesRequest.Builder batch = BatchCreateEntriesRequest.newBuilder();
    for (int i = 0; i < 50; i++) {
      batch.addRequests(
          CreateEntryRequest.newBuilder().setEntry(entry(td, "/batch/" + i, site.getId())));
    }
    assertThat(readiness()).isEqualTo(200);
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture = capture(records);
    Logger root = Logger.getLogger("");
    root.addHandler(capture);

    StatusRuntimeException create;
    StatusRuntimeException renew;
    StatusRuntimeException batchFailure;
    int readyDuring;
    try {
      // When
      TestDatabase.database().stop();
      create =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  Api.entries(token)
                      .createEntry(
                          CreateEntryRequest.newBuilder()
                              .setEntry(entry(td, "/during", site.getId()))
                              .build()));
      renew =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  Api.sync(token)
                      .acquireLease(
                          AcquireLeaseRequest.newBuilder()
                              .setSiteId(site.getId())
                              .setAgentId(Fixtures.AGENT)
                              .setAgentVersion("test")
                              .setSpireReachable(true)
                              .build()));
      batchFailure =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> Api.entries(token).batchCreateEntries(batch.build()));
      readyDuring = readiness();
    } finally {
      TestDatabase.database().restart();
      root.removeHandler(capture);
    }

    // Then
    for (StatusRuntimeException e : Arrays.asList(create, renew, batchFailure)) {
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(Api.reason(e)).isEqualTo("DATABASE_UNAVAILABLE");
      assertThat(e.getStatus().getDescription())
          .contains("database cannot be reached")
          .contains("retry");
    }
    assertThat(readyDuring).isEqualTo(503);
    List<LogRecord> outageWarnings =
        records.stream()
            .filter(r -> r.getLoggerName().equals(DatabaseOutage.class.getName()))
            .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
            .toList();
    assertThat(outageWarnings).hasSize(1);
    assertThat(records)
        .filteredOn(r -> r.getLoggerName().equals(GrpcErrorMapper.class.getName()))
        .isEmpty();
    await().atMost(Duration.ofSeconds(30)).until(() -> readiness() == 200);
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(
            () ->
                assertThat(
                        Api.entries(token)
                            .createEntry(
                                CreateEntryRequest.newBuilder()
                                    .setEntry(entry(td, "/after", site.getId()))
                                    .build())
                            .getId())
                    .isNotEmpty());
  }

  private static int readiness() throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:8081/q/health/ready")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static Handler capture(List<LogRecord> records) {
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    handler.setLevel(Level.ALL);
    return handler;
  }
}
