package io.spiremgmt.backend.site;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.DeleteSiteRequest;
import io.spiremgmt.api.v1.DeleteSiteResponse;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.GetSiteRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.ListSitesResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteHealth;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.UpdateSiteRequest;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.SpiffeId;
import java.util.ArrayList;
import java.util.List;

/** The gRPC edge of {@link SiteService}. */
@GrpcService
@Authenticated
public class SiteGrpcService implements io.spiremgmt.api.v1.SiteService {
  private final SiteService service;
  private final CallerResolver callers;

  SiteGrpcService(SiteService service, CallerResolver callers) {
    this.service = service;
    this.callers = callers;
  }

  @Override
  public Uni<Site> createSite(CreateSiteRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.create(
                    caller, SiteMapper.toSpec(requireSite(request.hasSite(), request.getSite()))))
        .map(SiteMapper::toProto);
  }

  @Override
  public Uni<Site> getSite(GetSiteRequest request) {
    return callers
        .current()
        .chain(() -> service.get(Ids.parse(request.getId(), "id")))
        .map(SiteMapper::toProto);
  }

  @Override
  public Uni<Site> updateSite(UpdateSiteRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              Site site = requireSite(request.hasSite(), request.getSite());
              List<String> paths =
                  request.hasUpdateMask() && request.getUpdateMask().getPathsCount() > 0
                      ? request.getUpdateMask().getPathsList()
                      : populatedFields(site);
              return service.update(
                  caller,
                  Ids.parse(site.getId(), "site.id"),
                  site.getRevision(),
                  SiteMapper.toSpec(site),
                  SiteField.fromMask(paths));
            })
        .map(SiteMapper::toProto);
  }

  @Override
  public Uni<DeleteSiteResponse> deleteSite(DeleteSiteRequest request) {
    return callers
        .current()
        .chain(caller -> service.delete(caller, Ids.parse(request.getId(), "id")))
        .replaceWith(DeleteSiteResponse.getDefaultInstance());
  }

  @Override
  public Uni<ListSitesResponse> listSites(ListSitesRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              SiteEntity.Status status =
                  request.getStatus() == SiteStatus.SITE_STATUS_UNSPECIFIED
                      ? null
                      : SiteMapper.status(request.getStatus(), "status");
              String td = request.getTrustDomain().isEmpty() ? null : request.getTrustDomain();
              if (td != null && SpiffeId.trustDomainProblem(td) != null) {
                throw ApiException.field(
                    ErrorReason.INVALID_TRUST_DOMAIN,
                    "trust_domain",
                    "trust domain " + SpiffeId.trustDomainProblem(td));
              }
              return service.list(
                  status, td, PageSize.of(request.getPageSize()), request.getPageToken());
            })
        .map(
            page ->
                ListSitesResponse.newBuilder()
                    .addAllSites(page.items().stream().map(SiteMapper::toProto).toList())
                    .setNextPageToken(page.nextPageToken())
                    .build());
  }

  @Override
  public Uni<SiteHealth> getSiteHealth(GetSiteHealthRequest request) {
    return callers
        .current()
        .chain(caller -> service.health(Ids.parse(request.getSiteId(), "site_id"), caller.access()))
        .map(SiteMapper::toProto);
  }

  private static Site requireSite(boolean present, Site site) {
    if (!present) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, "site", "the site is required");
    }
    return site;
  }

  /** AIP-134: without a mask, every updatable field set to a non-default value. */
  private static List<String> populatedFields(Site site) {
    List<String> paths = new ArrayList<>();
    for (SiteField field : SiteField.values()) {
      if (site.hasField(Site.getDescriptor().findFieldByName(field.path()))) {
        paths.add(field.path());
      }
    }
    return paths;
  }
}
