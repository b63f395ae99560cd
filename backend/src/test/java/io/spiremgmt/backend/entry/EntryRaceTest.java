package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Concurrent writers of one entry: the optimistic lock lets exactly one win per revision, and the
 * "similar" key exactly one create.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryRaceTest {
  private static final int WRITERS = 16;

  private final String token = Api.adminToken("racer@example.org");

  @RepeatedTest(3)
  void exactlyOneOfSixteenConcurrentUpdatesFromTheSameRevisionWins() throws Exception {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Entry created = create(token, entry(td, "/contended", site.getId()));

    // When
    List<StatusRuntimeException> failures =
        race(
            i ->
                Api.entries(token)
                    .updateEntry(
                        UpdateEntryRequest.newBuilder()
                            .setEntry(created.toBuilder().setTtl(100 + i))
                            .setUpdateMask(FieldMask.newBuilder().addPaths("ttl"))
                            .build()));
    List<Status.Code> codes =
        failures.stream().map(e -> e == null ? Status.Code.OK : e.getStatus().getCode()).toList();

    // Then
    assertThat(codes).filteredOn(c -> c == Status.Code.OK).hasSize(1);
    assertThat(codes).filteredOn(c -> c == Status.Code.ABORTED).hasSize(WRITERS - 1);
    Entry after =
        Api.entries(token).getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build());
    assertThat(after.getRevision()).isEqualTo(2);
    assertThat(after.getTtl()).isBetween(100, 100 + WRITERS - 1);
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.update' AND target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo(1);
  }

  @RepeatedTest(3)
  void exactlyOneOfSixteenConcurrentCreatesOfTheSameEntryWins() throws Exception {
    // Given: sixteen creates of one SPIFFE ID, parent ID and selector set, the same "similar" key
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);

    // When
    List<StatusRuntimeException> failures =
        race(i -> create(token, entry(td, "/twin", site.getId()).setTtl(100 + i)));

    // Then: one is created; every other is ALREADY_EXISTS naming it, and wrote nothing
    String winner =
        DbProbe.queryString(
            "SELECT id::text FROM workload_entries WHERE spiffe_id = 'spiffe://" + td + "/twin'");
    assertThat(failures).filteredOn(e -> e == null).hasSize(1);
    assertThat(failures)
        .filteredOn(e -> e != null)
        .hasSize(WRITERS - 1)
        .allSatisfy(
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(Api.reason(e)).isEqualTo("ENTRY_ALREADY_EXISTS");
              assertThat(e.getStatus().getDescription()).contains("(id " + winner + ")");
            });
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.create' AND target_id = '"
                    + winner
                    + "'"))
        .isEqualTo(1);
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM workload_entry_sites WHERE site_id = '" + site.getId() + "'"))
        .isEqualTo(1);
  }

  /**
   * Runs {@code call} for writers 0 to {@link #WRITERS} - 1 on as many threads, released at once;
   * each writer's failure, or null when its call succeeded.
   */
  private static List<StatusRuntimeException> race(IntConsumer call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<StatusRuntimeException>> outcomes = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      int writer = i;
      outcomes.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  call.accept(writer);
                  return null;
                } catch (StatusRuntimeException e) {
                  return e;
                }
              }));
    }
    start.countDown();
    List<StatusRuntimeException> failures = new ArrayList<>();
    for (Future<StatusRuntimeException> outcome : outcomes) {
      failures.add(outcome.get());
    }
    pool.shutdown();
    return failures;
  }
}
