package io.spiremgmt.backend.apikey;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A stored API key, without its secret.
 *
 * @param id its id
 * @param name its name
 * @param role the role's claim name
 * @param namespaces a Developer key's namespaces
 * @param site a SiteAgent key's site, or null
 * @param expiresAt when it stops working
 * @param createdAt when it was created
 * @param createdBy who created it
 * @param revokedAt when it was revoked, or null
 * @param revokedBy who revoked it, or null
 */
public record ApiKeyView(
    UUID id,
    String name,
    String role,
    List<String> namespaces,
    UUID site,
    Instant expiresAt,
    Instant createdAt,
    String createdBy,
    Instant revokedAt,
    String revokedBy) {}
