package io.spiremgmt.backend.apikey;

import io.spiremgmt.backend.auth.Role;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A key to create, validated by {@link ApiKeyValidator}.
 *
 * @param name its unique name
 * @param role the role it grants
 * @param namespaces a Developer key's namespaces (sorted); empty otherwise
 * @param site a SiteAgent key's site; null otherwise
 * @param expiresAt when it stops working
 */
public record ApiKeySpec(
    String name, Role role, List<String> namespaces, UUID site, Instant expiresAt) {}
