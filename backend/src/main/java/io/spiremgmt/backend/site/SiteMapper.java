package io.spiremgmt.backend.site;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteAgentStatus;
import io.spiremgmt.api.v1.SiteHealth;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.SiteTier;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Ids;
import java.time.Duration;

/** Translates sites between the API messages and the domain. */
public final class SiteMapper {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private SiteMapper() {}

  /**
   * The settable content of an API site; unset status and tier default to ACTIVE and STANDALONE.
   */
  public static SiteSpec toSpec(Site s) {
    return new SiteSpec(
        s.getName(),
        s.getRegion(),
        s.getTrustDomain(),
        s.getSpireServerAddr(),
        status(s.getStatus(), "site.status"),
        tier(s.getTier()),
        s.getParentSiteId().isEmpty()
            ? null
            : Ids.parse(s.getParentSiteId(), "site.parent_site_id"));
  }

  /**
   * The domain status of an API one; unspecified is ACTIVE, or null for "no filter" when {@code
   * field} is a filter.
   */
  public static SiteEntity.Status status(SiteStatus status, String field) {
    return switch (status) {
      case SITE_STATUS_UNSPECIFIED, SITE_STATUS_ACTIVE -> SiteEntity.Status.ACTIVE;
      case SITE_STATUS_INACTIVE -> SiteEntity.Status.INACTIVE;
      case SITE_STATUS_MAINTENANCE -> SiteEntity.Status.MAINTENANCE;
      case UNRECOGNIZED ->
          throw ApiException.field(ErrorReason.INVALID_FIELD, field, "unknown status value");
    };
  }

  static SiteEntity.Tier tier(SiteTier tier) {
    return switch (tier) {
      case SITE_TIER_UNSPECIFIED, SITE_TIER_STANDALONE -> SiteEntity.Tier.STANDALONE;
      case SITE_TIER_UPSTREAM -> SiteEntity.Tier.UPSTREAM;
      case SITE_TIER_DOWNSTREAM -> SiteEntity.Tier.DOWNSTREAM;
      case UNRECOGNIZED ->
          throw ApiException.field(ErrorReason.INVALID_FIELD, "site.tier", "unknown tier value");
    };
  }

  static SiteStatus toProto(SiteEntity.Status status) {
    return switch (status) {
      case ACTIVE -> SiteStatus.SITE_STATUS_ACTIVE;
      case INACTIVE -> SiteStatus.SITE_STATUS_INACTIVE;
      case MAINTENANCE -> SiteStatus.SITE_STATUS_MAINTENANCE;
    };
  }

  /** The API message of a site. */
  public static Site toProto(SiteEntity site) {
    SiteSpec spec = site.spec();
    return Site.newBuilder()
        .setId(site.getId().toString())
        .setName(spec.name())
        .setRegion(spec.region())
        .setTrustDomain(spec.trustDomain())
        .setSpireServerAddr(spec.spireServerAddr())
        .setStatus(toProto(spec.status()))
        .setTier(
            switch (spec.tier()) {
              case STANDALONE -> SiteTier.SITE_TIER_STANDALONE;
              case UPSTREAM -> SiteTier.SITE_TIER_UPSTREAM;
              case DOWNSTREAM -> SiteTier.SITE_TIER_DOWNSTREAM;
            })
        .setParentSiteId(spec.parentSiteId() == null ? "" : spec.parentSiteId().toString())
        .setRevision(site.getRevision())
        .setCreatedAt(ProtoTime.toTimestamp(site.getCreatedAt()))
        .setUpdatedAt(ProtoTime.toTimestamp(site.getUpdatedAt()))
        .build();
  }

  /** The API message of a site's health. */
  public static SiteHealth toProto(SiteService.SiteHealthView view) {
    SiteRepository.SiteBacklog b = view.backlog();
    SiteHealth.Builder h =
        SiteHealth.newBuilder()
            .setSiteId(view.site().getId().toString())
            .setStatus(toProto(view.site().getStatus()))
            .setEntriesTotal(b.pending() + b.synced() + b.failed() + b.deleting())
            .setPendingCount(b.pending())
            .setSyncedCount(b.synced())
            .setFailedCount(b.failed())
            .setDeletingCount(b.deleting())
            .setNamespaceScoped(view.namespaceScoped());
    if (b.oldestPending() != null) {
      h.setOldestPendingTime(ProtoTime.toTimestamp(b.oldestPending()));
    }
    if (b.lastSync() != null) {
      h.setLastSyncTime(ProtoTime.toTimestamp(b.lastSync()));
    }
    AgentStatus agent = view.agent();
    if (agent != null) {
      SiteAgentStatus.Builder a =
          SiteAgentStatus.newBuilder()
              .setAgentId(agent.agentId())
              .setAgentVersion(agent.version())
              .setConnected(agent.connected())
              .setSpireReachable(agent.spireReachable())
              .setSpireError(agent.spireError())
              .setUnmanagedCount(agent.unmanagedCount());
      if (agent.lastPollAt() != null) {
        a.setLastPollTime(ProtoTime.toTimestamp(agent.lastPollAt()));
      }
      if (agent.lastReconcileAt() != null) {
        a.setLastFullReconcileTime(ProtoTime.toTimestamp(agent.lastReconcileAt()));
      }
      Duration lag =
          b.oldestPending() == null
              ? Duration.ZERO
              : Duration.between(b.oldestPending(), view.readAt());
      if (lag.isNegative()) {
        lag = Duration.ZERO;
      }
      a.setLag(
          com.google.protobuf.Duration.newBuilder()
              .setSeconds(lag.getSeconds())
              .setNanos(lag.getNano()));
      h.setAgent(a);
    }
    return h.build();
  }

  /** The site's API JSON, as recorded in audit events. */
  public static String json(SiteEntity site) {
    try {
      return JSON.print(toProto(site));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print site as JSON", e);
    }
  }
}
