package io.spiremgmt.backend.entry;

import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.paging.PageToken;
import java.util.List;
import java.util.UUID;

/**
 * The ListEntries filters, validated. Null / empty means "no filter" for each.
 *
 * @param siteId only entries with a row at this site
 * @param selectors selectors compared as {@code match} says
 * @param match how selectors are compared
 * @param spiffeId exact SPIFFE ID
 * @param spiffeIdPrefix SPIFFE ID prefix
 * @param parentId exact parent ID
 * @param state sync state at {@code siteId}, or at any site
 * @param scopeNamespaces only entries in one of these namespaces ({@link EntryScope}: a selector
 *     {@code k8s:ns:N}), sorted; null for every entry
 */
public record EntryFilter(
    UUID siteId,
    List<SelectorValue> selectors,
    SelectorMatch match,
    String spiffeId,
    String spiffeIdPrefix,
    String parentId,
    EntrySiteEntity.SyncState state,
    List<String> scopeNamespaces) {

  /** This filter, narrowed to what a caller with {@code access} may see. */
  public EntryFilter scopedTo(Access access) {
    if (access.kind() != Access.Kind.NAMESPACES) {
      return this;
    }
    return new EntryFilter(
        siteId,
        selectors,
        match,
        spiffeId,
        spiffeIdPrefix,
        parentId,
        state,
        access.namespaces().stream().sorted().toList());
  }

  /** How selectors are compared (SPIRE's meanings). */
  public enum SelectorMatch {
    /** Same selector set. */
    EXACT,
    /** The entry's selectors are all among the given ones. */
    SUBSET,
    /** The entry has every given selector. */
    SUPERSET
  }

  /** Whether the result is ordered by SPIFFE ID (then id) rather than by id alone. */
  public boolean orderedBySpiffeId() {
    return spiffeId != null || spiffeIdPrefix != null;
  }

  /** A canonical description, the fingerprint page tokens are bound to. */
  public String canonical() {
    return PageToken.describe(
        siteId,
        selectors.stream().map(SelectorValue::canonical).sorted().toList(),
        match,
        spiffeId,
        spiffeIdPrefix,
        parentId,
        state,
        scopeNamespaces);
  }
}
