package io.spiremgmt.backend.site;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.DeleteSiteRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.GetSiteRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.ListSitesResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteHealth;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.SiteTier;
import io.spiremgmt.api.v1.UpdateSiteRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SiteApiTest {
  private final String token = Api.adminToken("operator@example.org");

  @Test
  void createsReadsUpdatesAndDeletesSite() {
    // Given
    String td = Fixtures.trustDomain();
    Site created = Fixtures.site(token, td);

    // When
    Site updated =
        Api.sites(token)
            .updateSite(
                UpdateSiteRequest.newBuilder()
                    .setSite(
                        created.toBuilder()
                            .setStatus(SiteStatus.SITE_STATUS_MAINTENANCE)
                            .setRegion("eu-west"))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("status"))
                    .build());

    // Then
    assertThat(created.getRevision()).isEqualTo(1);
    assertThat(created.getTier()).isEqualTo(SiteTier.SITE_TIER_STANDALONE);
    assertThat(updated.getStatus()).isEqualTo(SiteStatus.SITE_STATUS_MAINTENANCE);
    assertThat(updated.getRegion()).isEqualTo("test");
    assertThat(updated.getRevision()).isEqualTo(2);
    assertThat(Api.sites(token).getSite(GetSiteRequest.newBuilder().setId(created.getId()).build()))
        .isEqualTo(updated);
    Api.sites(token).deleteSite(DeleteSiteRequest.newBuilder().setId(created.getId()).build());
    assertFails(
        () -> Api.sites(token).getSite(GetSiteRequest.newBuilder().setId(created.getId()).build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertThat(
            DbProbe.queryString(
                "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo("site.create,site.update,site.delete");
  }

  @Test
  void rejectsInvalidSitesAndWritesNothing() {
    // Given
    Site existing = Fixtures.site(token, Fixtures.trustDomain());
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> createSite(Site.newBuilder().setTrustDomain("a.org")),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () -> createSite(Site.newBuilder().setName("Bad_Name").setTrustDomain("a.org")),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            createSite(
                Site.newBuilder().setName("ok-" + Fixtures.unique()).setTrustDomain("A.org")),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_TRUST_DOMAIN");
    assertFails(
        () -> createSite(Site.newBuilder().setName(existing.getName()).setTrustDomain("a.org")),
        Status.Code.ALREADY_EXISTS,
        "SITE_NAME_TAKEN");
    assertFails(
        () ->
            createSite(
                Site.newBuilder()
                    .setName("ds-" + Fixtures.unique())
                    .setTrustDomain("a.org")
                    .setTier(SiteTier.SITE_TIER_DOWNSTREAM)),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            createSite(
                Site.newBuilder()
                    .setName("ds-" + Fixtures.unique())
                    .setTrustDomain(existing.getTrustDomain())
                    .setTier(SiteTier.SITE_TIER_DOWNSTREAM)
                    .setParentSiteId(existing.getId())),
        Status.Code.FAILED_PRECONDITION,
        "INVALID_SITE_PARENT");
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(existing.toBuilder().setRevision(99).setRegion("x"))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("region"))
                        .build()),
        Status.Code.ABORTED,
        "STALE_REVISION");
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(existing)
                        .setUpdateMask(FieldMask.newBuilder().addPaths("created_at"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_UPDATE_MASK");
    assertFails(
        () ->
            Api.sites(token)
                .deleteSite(
                    DeleteSiteRequest.newBuilder().setId(UUID.randomUUID().toString()).build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () -> Api.sites(token).deleteSite(DeleteSiteRequest.newBuilder().setId("x").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
    assertFails(
        () -> Api.sites(token).getSite(GetSiteRequest.newBuilder().build()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.sites(token)
                .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId("12").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
    assertFails(
        () ->
            Api.sites(token)
                .getSiteHealth(
                    GetSiteHealthRequest.newBuilder()
                        .setSiteId(UUID.randomUUID().toString())
                        .build()),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertFails(
        () -> Api.sites(token).updateSite(UpdateSiteRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(existing.toBuilder().setSpireServerAddr("has space"))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("spire_server_addr"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.sites(token)
                .listSites(ListSitesRequest.newBuilder().setTrustDomain("Not A Domain").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_TRUST_DOMAIN");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void nestsDownstreamUnderUpstreamOfSameTrustDomain() {
    // Given
    String td = Fixtures.trustDomain();
    Site upstream =
        createSite(
            Site.newBuilder()
                .setName("up-" + Fixtures.unique())
                .setTrustDomain(td)
                .setTier(SiteTier.SITE_TIER_UPSTREAM));

    // When
    Site downstream =
        createSite(
            Site.newBuilder()
                .setName("down-" + Fixtures.unique())
                .setTrustDomain(td)
                .setTier(SiteTier.SITE_TIER_DOWNSTREAM)
                .setParentSiteId(upstream.getId()));

    // Then
    assertThat(downstream.getParentSiteId()).isEqualTo(upstream.getId());
    assertFails(
        () ->
            createSite(
                Site.newBuilder()
                    .setName("down-" + Fixtures.unique())
                    .setTrustDomain(Fixtures.trustDomain())
                    .setTier(SiteTier.SITE_TIER_DOWNSTREAM)
                    .setParentSiteId(upstream.getId())),
        Status.Code.FAILED_PRECONDITION,
        "TRUST_DOMAIN_MISMATCH");
    assertFails(
        () ->
            Api.sites(token)
                .deleteSite(DeleteSiteRequest.newBuilder().setId(upstream.getId()).build()),
        Status.Code.FAILED_PRECONDITION,
        "SITE_IN_USE");
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(upstream.toBuilder().setTier(SiteTier.SITE_TIER_STANDALONE))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("tier"))
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "SITE_IN_USE");
  }

  @Test
  void aSiteCannotBecomeItsOwnParent() {
    // Given
    String td = Fixtures.trustDomain();
    Site upstream =
        createSite(
            Site.newBuilder()
                .setName("self-" + Fixtures.unique())
                .setTrustDomain(td)
                .setTier(SiteTier.SITE_TIER_UPSTREAM));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(
                            upstream.toBuilder()
                                .setTier(SiteTier.SITE_TIER_DOWNSTREAM)
                                .setParentSiteId(upstream.getId()))
                        .setUpdateMask(
                            FieldMask.newBuilder().addPaths("tier").addPaths("parent_site_id"))
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "INVALID_SITE_PARENT");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void refusesToDeleteSiteWithEntriesAndReportsHealth() {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Entry a = create(token, entry(td, "/a", site.getId()));
    create(token, entry(td, "/b", site.getId()));

    // When
    Api.entries(token).deleteEntry(DeleteEntryRequest.newBuilder().setId(a.getId()).build());
    SiteHealth health =
        Api.sites(token)
            .getSiteHealth(GetSiteHealthRequest.newBuilder().setSiteId(site.getId()).build());

    // Then
    assertThat(health.getEntriesTotal()).isEqualTo(2);
    assertThat(health.getPendingCount()).isEqualTo(1);
    assertThat(health.getDeletingCount()).isEqualTo(1);
    assertThat(health.getSyncedCount()).isZero();
    assertThat(health.hasOldestPendingTime()).isTrue();
    assertThat(health.hasLastSyncTime()).isFalse();
    assertFails(
        () ->
            Api.sites(token).deleteSite(DeleteSiteRequest.newBuilder().setId(site.getId()).build()),
        Status.Code.FAILED_PRECONDITION,
        "SITE_IN_USE");
    assertFails(
        () ->
            Api.sites(token)
                .updateSite(
                    UpdateSiteRequest.newBuilder()
                        .setSite(site.toBuilder().setTrustDomain(Fixtures.trustDomain()))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("trust_domain"))
                        .build()),
        Status.Code.FAILED_PRECONDITION,
        "SITE_IN_USE");
  }

  @Test
  void listsSitesByNameAcrossPagesWithFilters() {
    // Given
    String td = Fixtures.trustDomain();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      names.add(Fixtures.site(token, td).getName());
    }
    Fixtures.site(token, td, SiteStatus.SITE_STATUS_INACTIVE);

    // When
    List<String> listed = new ArrayList<>();
    String next = "";
    do {
      ListSitesResponse page =
          Api.sites(token)
              .listSites(
                  ListSitesRequest.newBuilder()
                      .setTrustDomain(td)
                      .setStatus(SiteStatus.SITE_STATUS_ACTIVE)
                      .setPageSize(2)
                      .setPageToken(next)
                      .build());
      page.getSitesList().forEach(s -> listed.add(s.getName()));
      next = page.getNextPageToken();
    } while (!next.isEmpty());

    // Then
    assertThat(listed).containsExactlyElementsOf(names.stream().sorted().toList());
    assertFails(
        () -> Api.sites(token).listSites(ListSitesRequest.newBuilder().setPageSize(-5).build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_SIZE");
  }

  private Site createSite(Site.Builder site) {
    return Api.sites(token).createSite(CreateSiteRequest.newBuilder().setSite(site).build());
  }
}
