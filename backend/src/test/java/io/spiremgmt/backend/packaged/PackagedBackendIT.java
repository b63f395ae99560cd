package io.spiremgmt.backend.packaged;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged backend (the fast-jar of {@code ./mvnw package}, or with {@code -Pnative} the native
 * executable), started as its own process (profile `it`, see backend/pom.xml) against a real
 * PostgreSQL: gRPC, JWT, Flyway and Hibernate Reactive work in the artefact itself, not only in
 * {@code @QuarkusTest}.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(TestDatabase.class)
class PackagedBackendIT {

  @Test
  void answersGrpcHealthAsServing() {
    // Given
    var health = HealthGrpc.newBlockingStub(Api.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);

    // When
    HealthCheckResponse response = health.check(HealthCheckRequest.getDefaultInstance());

    // Then
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void refusesACallWithoutATokenAsUnauthenticated() {
    // Given: a client that sends no authorization metadata
    var sites =
        SiteServiceGrpc.newBlockingStub(Api.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);

    // When / Then
    assertThatThrownBy(() -> sites.listSites(ListSitesRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void storesAndListsASiteForAnAdminToken() {
    // Given: a signed Admin token (JWT) and a site written through Hibernate Reactive
    String admin = Api.adminToken("packaged-admin");
    Site created = Fixtures.site(admin, "packaged.test", SiteStatus.SITE_STATUS_ACTIVE);

    // When
    var listed =
        Api.sites(admin)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .listSites(ListSitesRequest.newBuilder().setPageSize(1000).build());

    // Then
    assertThat(listed.getSitesList()).extracting(Site::getId).contains(created.getId());
  }
}
