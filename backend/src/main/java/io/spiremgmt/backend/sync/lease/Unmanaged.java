package io.spiremgmt.backend.sync.lease;

import java.util.List;

/**
 * A SPIRE entry the site's agent found and does not manage.
 *
 * @param spireEntryId its SPIRE id
 * @param spiffeId its SPIFFE ID
 * @param parentId its parent ID
 * @param selectors its selectors as {@code type:value}
 */
public record Unmanaged(
    String spireEntryId, String spiffeId, String parentId, List<String> selectors) {}
