package io.spiremgmt.backend.site;

import java.util.UUID;

/** The caller-settable content of a site. */
public record SiteSpec(
    String name,
    String region,
    String trustDomain,
    String spireServerAddr,
    SiteEntity.Status status,
    SiteEntity.Tier tier,
    UUID parentSiteId) {}
