package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.SizedEntries;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An entry's serialized content is capped at {@link EntryValidator#MAX_ENTRY_BYTES}. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntrySizeLimitTest {
  private static final int LIMIT = EntryValidator.MAX_ENTRY_BYTES;

  private final String token = Api.adminToken("sizer@example.org");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
  }

  @Test
  void createsAnEntryAtTheLimitAndRefusesOneByteOverNamingLimitAndSize() {
    // Given
    Entry.Builder atLimit = SizedEntries.entry(td, "/at-limit", site.getId(), LIMIT);
    Entry.Builder over = SizedEntries.entry(td, "/over", site.getId(), LIMIT + 1);

    // When
    Entry created = create(token, atLimit);
    Map<String, String> before = DbProbe.snapshot();

    // Then
    assertThat(created.getSelectorsCount()).isEqualTo(atLimit.getSelectorsCount());
    assertThatThrownBy(() -> create(token, over))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo("ENTRY_TOO_LARGE");
              assertThat(e.getStatus().getDescription())
                  .startsWith("entry: ")
                  .contains((LIMIT + 1) + " bytes")
                  .contains("limit of " + LIMIT + " bytes (32 KiB)");
            });
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void anUpdateThatGrowsAnEntryOverTheLimitChangesNothing() {
    // Given
    Entry created = create(token, Fixtures.entry(td, "/grows", site.getId()));
    Entry.Builder over = SizedEntries.entry(td, "/grows", site.getId(), LIMIT + 1);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () ->
            Api.entries(token)
                .updateEntry(
                    UpdateEntryRequest.newBuilder()
                        .setEntry(
                            created.toBuilder()
                                .clearSelectors()
                                .addAllSelectors(over.getSelectorsList()))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("selectors"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "ENTRY_TOO_LARGE");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aBatchItemOverTheLimitFailsAlone() {
    // Given
    BatchCreateEntriesRequest request =
        BatchCreateEntriesRequest.newBuilder()
            .addRequests(
                CreateEntryRequest.newBuilder()
                    .setEntry(SizedEntries.entry(td, "/fits", site.getId(), LIMIT)))
            .addRequests(
                CreateEntryRequest.newBuilder()
                    .setEntry(SizedEntries.entry(td, "/too-big", site.getId(), LIMIT + 1)))
            .build();

    // When
    BatchCreateEntriesResponse response = Api.entries(token).batchCreateEntries(request);

    // Then
    assertThat(response.getResults(0).getStatus().getCode()).isZero();
    assertThat(response.getResults(1).getStatus().getReason()).isEqualTo("ENTRY_TOO_LARGE");
    assertThat(response.getResults(1).getStatus().getField()).isEqualTo("entry");
    assertThat(response.getResults(1).getStatus().getMessage())
        .contains("over the limit of " + LIMIT + " bytes");
  }
}
