package io.spiremgmt.backend.entry;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The caller-settable content of an entry, after {@link EntryValidator} has checked it (or before,
 * as the request gave it).
 */
public record EntrySpec(
    String spiffeId,
    String parentId,
    List<SelectorValue> selectors,
    int ttl,
    List<String> dnsNames,
    boolean admin,
    boolean downstream,
    Instant expiresAt,
    List<String> siteIds,
    List<String> federatesWith,
    int jwtSvidTtl,
    String hint,
    boolean storeSvid) {

  /** The site ids as UUIDs; only valid after validation. */
  public List<UUID> siteUuids() {
    return siteIds.stream().map(UUID::fromString).toList();
  }

  /** Hex SHA-256 over the sorted canonical selectors: equal for equal selector sets. */
  public String selectorsHash() {
    return SelectorValue.setHash(selectors);
  }

  /**
   * Hex SHA-256 over SPIRE's "similar entry" triple (SPIFFE ID, parent ID, selector set): two
   * entries with the same key would collide in a SPIRE server, so the key is unique in the store.
   */
  public String similarKey() {
    return SelectorValue.sha256Hex(spiffeId + "\n" + parentId + "\n" + selectorsHash());
  }
}
