package io.spiremgmt.backend.audit;

import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.CreateApiKeyResponse;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ListAuditEvents filters by every kind of target the service writes events about. */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class AuditTargetFilterTest {
  private final String admin = Api.adminToken("ops@audit-targets");

  @Test
  void listsTheEventsOfOneApiKey() {
    // Given
    CreateApiKeyResponse key =
        ApiKeys.createKey(admin, ApiKeys.key("Viewer", List.of(), "").setName(keyName()));

    // When
    List<AuditEvent> events =
        Api.audit(admin)
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setTargetType("apikey")
                    .setTargetId(key.getApiKey().getId())
                    .build())
            .getAuditEventsList();

    // Then
    assertThat(events).extracting(AuditEvent::getAction).containsExactly("apikey.create");
    assertThat(events.get(0).getTargetType()).isEqualTo("apikey");
  }

  @Test
  void listsDenialsByTheRpcTheyWereDenied() {
    // Given: a Viewer denied CreateSite
    String viewerName = "viewer-" + Fixtures.unique();
    String viewer = Api.token(viewerName, List.of("Viewer"), Map.of());
    assertThatThrownBy(
            () ->
                Api.sites(viewer)
                    .createSite(
                        CreateSiteRequest.newBuilder()
                            .setSite(Site.newBuilder().setName("denied-" + Fixtures.unique()))
                            .build()))
        .isInstanceOf(StatusRuntimeException.class);

    // When
    List<AuditEvent> events =
        Api.audit(admin)
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setTargetType("rpc")
                    .setTargetId("spire.mgmt.v1.SiteService/CreateSite")
                    .setActor(viewerName)
                    .build())
            .getAuditEventsList();

    // Then
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getAction()).isEqualTo("access.deny");
    assertThat(events.get(0).getTargetType()).isEqualTo("rpc");
  }

  @Test
  void refusesAnUnknownTargetTypeNamingEveryKnownOne() {
    // Given
    ListAuditEventsRequest request =
        ListAuditEventsRequest.newBuilder().setTargetType("widget").build();

    // When / Then
    assertFails(
        () -> Api.audit(admin).listAuditEvents(request),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertThatThrownBy(() -> Api.audit(admin).listAuditEvents(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getDescription())
                    .contains("'entry'", "'site'", "'apikey'", "'rpc'"));
  }

  private static String keyName() {
    return "audit-" + Fixtures.unique();
  }
}
