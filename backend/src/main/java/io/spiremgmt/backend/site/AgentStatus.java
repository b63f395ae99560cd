package io.spiremgmt.backend.site;

import java.time.Instant;

/**
 * What the backend knows of a site's agent, for GetSiteHealth.
 *
 * @param agentId the holder (or last holder) of the lease
 * @param version its version
 * @param connected whether its lease is current
 * @param lastPollAt its last poll, or null
 * @param spireReachable whether its last SPIRE call succeeded
 * @param spireError its last SPIRE error, or empty
 * @param unmanagedCount unmanaged SPIRE entries at its last full reconcile
 * @param lastReconcileAt its last full reconcile, or null
 */
public record AgentStatus(
    String agentId,
    String version,
    boolean connected,
    Instant lastPollAt,
    boolean spireReachable,
    String spireError,
    long unmanagedCount,
    Instant lastReconcileAt) {}
