package io.spiremgmt.backend.auth;

import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListAuditEventsResponse;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteHealth;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads whose rows are scoped beyond the authorization table: API keys' audit events are for Admins
 * only (as ListApiKeys is), and a Developer's GetSiteHealth shows its own namespaces' share. Every
 * role calls over real gRPC.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ScopedReadsTest {
  private static final String SPIRE_ERROR =
      "rpc error: code = InvalidArgument desc = entry spiffe://td/ns/billing/ledger is invalid";

  private final String admin = Api.adminToken("admin@scoped-reads");

  private static String tokenOf(String role) {
    return Api.token(role.toLowerCase() + "-" + Fixtures.unique(), List.of(role), Map.of());
  }

  /** An Admin who creates and revokes a key and creates a site: three events by one actor. */
  private String actorWithKeyAndSiteEvents() {
    String actor = "keeper-" + Fixtures.unique();
    String keeper = Api.adminToken(actor);
    String keyId =
        ApiKeys.createKey(
                keeper, ApiKeys.key("Viewer", List.of(), "").setName("k-" + Fixtures.unique()))
            .getApiKey()
            .getId();
    ApiKeys.service(keeper).revokeApiKey(RevokeApiKeyRequest.newBuilder().setId(keyId).build());
    Fixtures.site(keeper, Fixtures.trustDomain());
    return actor;
  }

  @Test
  void anAdminSeesTheApiKeyEvents() {
    // Given
    String actor = actorWithKeyAndSiteEvents();

    // When
    List<AuditEvent> events =
        Api.audit(admin)
            .listAuditEvents(ListAuditEventsRequest.newBuilder().setActor(actor).build())
            .getAuditEventsList();

    // Then
    assertThat(events)
        .extracting(AuditEvent::getAction)
        .containsExactly("site.create", "apikey.revoke", "apikey.create");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Operator", "Viewer"})
  void otherReadersOfTheTrailDoNotSeeApiKeyEventsAndTheirPagesCountOnlyWhatTheySee(String role) {
    // Given: one site event after two API key events, all by one actor
    String actor = actorWithKeyAndSiteEvents();

    // When: pages of one event
    ListAuditEventsResponse first =
        Api.audit(tokenOf(role))
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder().setActor(actor).setPageSize(1).build());

    // Then: the site event only, and no further page (the key events are not merely hidden)
    assertThat(first.getAuditEventsList())
        .extracting(AuditEvent::getAction)
        .containsExactly("site.create");
    assertThat(first.getNextPageToken()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Operator", "Viewer"})
  void askingForApiKeyEventsIsOutsideTheScopeOfAnyoneButAnAdmin(String role) {
    // Given
    ListAuditEventsRequest request =
        ListAuditEventsRequest.newBuilder().setTargetType("apikey").build();

    // When / Then
    assertFails(
        () -> Api.audit(tokenOf(role)).listAuditEvents(request),
        Status.Code.PERMISSION_DENIED,
        "OUTSIDE_SCOPE");
  }

  @Test
  void aPageTokenOfAnAdminIsNotValidForAViewer() {
    // Given: an Admin's first page of a trail with more events
    actorWithKeyAndSiteEvents();
    String token =
        Api.audit(admin)
            .listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(1).build())
            .getNextPageToken();

    // When / Then: the token is bound to the Admin's view of the trail
    assertFails(
        () ->
            Api.audit(tokenOf("Viewer"))
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder().setPageSize(1).setPageToken(token).build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  /** A site with two payments entries and one billing entry, and an agent that saw SPIRE fail. */
  private Site siteWithTenantsAndAFailingAgent() {
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(admin, td);
    Fixtures.create(admin, Fixtures.entry(td, "/ns/payments/sa/a", site.getId()));
    Fixtures.create(admin, Fixtures.entry(td, "/ns/payments/sa/b", site.getId()));
    Fixtures.create(
        admin,
        Fixtures.entry(td, "/ns/billing/sa/ledger", site.getId())
            .clearSelectors()
            .addSelectors(Fixtures.selector("k8s", "ns:billing"))
            .clearDnsNames());
    Api.sync(admin)
        .acquireLease(
            AcquireLeaseRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .setAgentVersion("test")
                .setSpireReachable(false)
                .setSpireError(SPIRE_ERROR)
                .build());
    Api.sync(admin)
        .reportReconcile(
            ReportReconcileRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .setUnmanagedCount(5)
                .build());
    return site;
  }

  private static SiteHealth health(String token, Site site) {
    return Api.sites(token)
        .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Admin", "Operator", "Viewer"})
  void unscopedRolesSeeTheWholeSiteAndTheAgentsRawSpireError(String role) {
    // Given
    Site site = siteWithTenantsAndAFailingAgent();

    // When
    SiteHealth health = health(tokenOf(role), site);

    // Then
    assertThat(health.getNamespaceScoped()).isFalse();
    assertThat(health.getEntriesTotal()).isEqualTo(3);
    assertThat(health.getPendingCount()).isEqualTo(3);
    assertThat(health.hasOldestPendingTime()).isTrue();
    assertThat(health.getAgent().getSpireError()).isEqualTo(SPIRE_ERROR);
    assertThat(health.getAgent().getUnmanagedCount()).isEqualTo(5);
    assertThat(health.getAgent().getSpireReachable()).isFalse();
  }

  @Test
  void aDeveloperSeesOnlyItsNamespacesShareAndNoSiteWideAgentDetail() {
    // Given
    Site site = siteWithTenantsAndAFailingAgent();
    String developer = Api.developerToken("dev-" + Fixtures.unique(), "payments", "other");

    // When
    SiteHealth health = health(developer, site);

    // Then: its two entries; the agent's state without the SPIRE text or the unmanaged count
    assertThat(health.getNamespaceScoped()).isTrue();
    assertThat(health.getEntriesTotal()).isEqualTo(2);
    assertThat(health.getPendingCount()).isEqualTo(2);
    assertThat(health.getSyncedCount() + health.getFailedCount() + health.getDeletingCount())
        .isZero();
    assertThat(health.hasOldestPendingTime()).isTrue();
    assertThat(health.getAgent().getConnected()).isTrue();
    assertThat(health.getAgent().getSpireReachable()).isFalse();
    assertThat(health.getAgent().getSpireError()).isEmpty();
    assertThat(health.getAgent().getUnmanagedCount()).isZero();
    assertThat(health.toString()).doesNotContain("billing");
  }

  @Test
  void aDeveloperOfNoEntryAtTheSiteSeesNoBacklog() {
    // Given
    Site site = siteWithTenantsAndAFailingAgent();
    List<String> developers = new ArrayList<>();
    developers.add(Api.developerToken("dev-" + Fixtures.unique(), "elsewhere"));
    developers.add(
        Api.token("dev-" + Fixtures.unique(), List.of("Developer"), Map.of("namespaces", "")));

    for (String developer : developers) {
      // When
      SiteHealth health = health(developer, site);

      // Then
      assertThat(health.getNamespaceScoped()).isTrue();
      assertThat(health.getEntriesTotal()).isZero();
      assertThat(health.hasOldestPendingTime()).isFalse();
      assertThat(health.getAgent().getLag().getSeconds()).isZero();
    }
  }
}
