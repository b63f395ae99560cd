package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.BatchCreateEntryResult;
import io.spiremgmt.api.v1.BatchDeleteEntriesRequest;
import io.spiremgmt.api.v1.BatchDeleteEntriesResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class BatchApiTest {
  private final String token = Api.adminToken("batcher@example.org");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
  }

  @Test
  void badItemsFailAloneAndGoodItemsAreCreated() {
    // Given
    BatchCreateEntriesRequest request =
        BatchCreateEntriesRequest.newBuilder()
            .addRequests(item(entry(td, "/good/1", site.getId())))
            .addRequests(item(entry(td, "/bad").setTtl(3)))
            .addRequests(item(entry(td, "/good/2", site.getId())))
            .addRequests(item(entry(td, "/good/1", site.getId())))
            .addRequests(item(entry(td, "/x", UUID.randomUUID().toString())))
            .build();

    // When
    BatchCreateEntriesResponse response = Api.entries(token).batchCreateEntries(request);

    // Then
    assertThat(response.getResultsList())
        .extracting(r -> r.getStatus().getReason())
        .containsExactly("", "INVALID_TTL", "", "ENTRY_ALREADY_EXISTS", "SITE_NOT_FOUND");
    assertThat(response.getResultsList())
        .extracting(r -> r.getStatus().getCode())
        .containsExactly(0, 3, 0, 6, 5);
    assertThat(response.getResults(1).getStatus().getField()).isEqualTo("entry.ttl");
    assertThat(response.getResults(1).hasEntry()).isFalse();
    for (int i : new int[] {0, 2}) {
      BatchCreateEntryResult result = response.getResults(i);
      assertThat(
              Api.entries(token)
                  .getEntry(GetEntryRequest.newBuilder().setId(result.getEntry().getId()).build()))
          .isEqualTo(result.getEntry());
    }
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM workload_entries WHERE spiffe_id LIKE 'spiffe://"
                    + td
                    + "/%'"))
        .isEqualTo(2);
  }

  @Test
  void anItemDuplicatingAStoredEntryFailsAloneNamingIt() {
    // Given
    Entry stored = create(token, entry(td, "/stored", site.getId()));
    BatchCreateEntriesRequest request =
        BatchCreateEntriesRequest.newBuilder()
            .addRequests(item(entry(td, "/fresh/1", site.getId())))
            .addRequests(item(entry(td, "/stored", site.getId()).setTtl(60)))
            .addRequests(item(entry(td, "/fresh/2", site.getId())))
            .build();

    // When
    BatchCreateEntriesResponse response = Api.entries(token).batchCreateEntries(request);

    // Then
    assertThat(response.getResultsList())
        .extracting(r -> r.getStatus().getReason())
        .containsExactly("", "ENTRY_ALREADY_EXISTS", "");
    assertThat(response.getResults(1).getStatus().getMessage())
        .contains("(id " + stored.getId() + ")");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM workload_entries WHERE spiffe_id LIKE 'spiffe://"
                    + td
                    + "/%'"))
        .isEqualTo(3);
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.create' AND target_id IN ('"
                    + response.getResults(0).getEntry().getId()
                    + "', '"
                    + response.getResults(2).getEntry().getId()
                    + "')"))
        .isEqualTo(2);
  }

  @Test
  void aTimestampOutOfRangeFailsOnlyItsItem() {
    // Given
    BatchCreateEntriesRequest request =
        BatchCreateEntriesRequest.newBuilder()
            .addRequests(item(entry(td, "/fine", site.getId())))
            .addRequests(
                item(
                    entry(td, "/far-future", site.getId())
                        .setExpiryTime(Timestamp.newBuilder().setSeconds(253402300800L))))
            .build();

    // When
    BatchCreateEntriesResponse response = Api.entries(token).batchCreateEntries(request);

    // Then
    assertThat(response.getResults(0).getStatus().getCode()).isZero();
    assertThat(response.getResults(1).getStatus().getReason()).isEqualTo("INVALID_FIELD");
    assertThat(response.getResults(1).getStatus().getField()).isEqualTo("entry.expiry_time");
  }

  @Test
  void rejectsOversizedAndEmptyBatchesWhole() {
    // Given
    BatchCreateEntriesRequest.Builder big = BatchCreateEntriesRequest.newBuilder();
    for (int i = 0; i <= EntryService.MAX_BATCH; i++) {
      big.addRequests(item(entry(td, "/many/" + i, site.getId())));
    }
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> Api.entries(token).batchCreateEntries(big.build()),
        Status.Code.INVALID_ARGUMENT,
        "BATCH_TOO_LARGE");
    assertFails(
        () -> Api.entries(token).batchCreateEntries(BatchCreateEntriesRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    BatchDeleteEntriesRequest.Builder bigDelete = BatchDeleteEntriesRequest.newBuilder();
    for (int i = 0; i <= EntryService.MAX_BATCH; i++) {
      bigDelete.addIds(UUID.randomUUID().toString());
    }
    assertFails(
        () -> Api.entries(token).batchDeleteEntries(bigDelete.build()),
        Status.Code.INVALID_ARGUMENT,
        "BATCH_TOO_LARGE");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void batchDeleteReportsEachId() {
    // Given
    Entry assigned = create(token, entry(td, "/a", site.getId()));
    Entry unassigned = create(token, entry(td, "/b"));
    String unknown = UUID.randomUUID().toString();

    // When
    BatchDeleteEntriesResponse response =
        Api.entries(token)
            .batchDeleteEntries(
                BatchDeleteEntriesRequest.newBuilder()
                    .addIds(assigned.getId())
                    .addIds("garbage")
                    .addIds(unassigned.getId())
                    .addIds(unknown)
                    .setRequestId("cleanup-42")
                    .build());

    // Then
    assertThat(response.getResultsList())
        .extracting(r -> r.getId() + " " + r.getStatus().getReason() + " " + r.getPurged())
        .containsExactly(
            assigned.getId() + "  false",
            "garbage INVALID_ID false",
            unassigned.getId() + "  true",
            unknown + " ENTRY_NOT_FOUND false");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE request_id = 'cleanup-42' AND action = 'entry.delete'"))
        .isEqualTo(2);
  }

  private static CreateEntryRequest item(Entry.Builder entry) {
    return CreateEntryRequest.newBuilder().setEntry(entry).build();
  }
}
