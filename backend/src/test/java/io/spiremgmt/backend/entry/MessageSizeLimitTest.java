package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.BatchCreateEntryResult;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.SizedEntries;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server takes request messages up to 4 MiB ({@code
 * quarkus.grpc.server.max-inbound-message-size}), not Vert.x's 256 KiB default.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class MessageSizeLimitTest {
  private static final int LIMIT = 4 * 1024 * 1024;

  private final String token = Api.adminToken("bulk@example.org");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
  }

  @Test
  void aBatchOfExactlyFourMebibytesIsServed() {
    // Given
    BatchCreateEntriesRequest request = SizedEntries.batch(td, site.getId(), LIMIT);
    assertThat(request.getSerializedSize()).isEqualTo(LIMIT);

    // When: read with a large inbound limit, since the answer repeats every entry created, and a
    // long deadline for its ~135 transactions on a busy machine
    BatchCreateEntriesResponse response =
        Api.entries(token)
            .withMaxInboundMessageSize(4 * LIMIT)
            .withDeadlineAfter(3, TimeUnit.MINUTES)
            .batchCreateEntries(request);

    // Then
    assertThat(response.getResultsList())
        .hasSize(request.getRequestsCount())
        .allSatisfy(r -> assertThat(r.getStatus().getCode()).isZero())
        .allSatisfy(BatchCreateEntryResult::hasEntry);
  }

  @Test
  void aBatchOneByteOverFourMebibytesIsRefusedWithResourceExhaustedAndChangesNothing() {
    // Given
    BatchCreateEntriesRequest request = SizedEntries.batch(td, site.getId(), LIMIT + 1);
    assertThat(request.getSerializedSize()).isEqualTo(LIMIT + 1);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertThatThrownBy(() -> Api.entries(token).batchCreateEntries(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }
}
