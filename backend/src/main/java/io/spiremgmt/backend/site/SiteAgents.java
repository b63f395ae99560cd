package io.spiremgmt.backend.site;

import io.smallrye.mutiny.Uni;
import java.util.UUID;

/**
 * What site health needs of the site agents, whose lease and reported state belong to the sync
 * feature ({@code sync.lease.LeaseService} implements it). An interface here keeps the dependency
 * pointing from sync to site, never back.
 */
public interface SiteAgents {
  /** The site's agent status, or null when no agent ever took its lease. */
  Uni<AgentStatus> status(UUID siteId);
}
