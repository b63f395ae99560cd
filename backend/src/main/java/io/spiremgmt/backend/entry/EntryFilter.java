package io.spiremgmt.backend.entry;

import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

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
 */
public record EntryFilter(
    UUID siteId,
    List<SelectorValue> selectors,
    SelectorMatch match,
    String spiffeId,
    String spiffeIdPrefix,
    String parentId,
    EntrySiteEntity.SyncState state) {

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
    return String.join(
        "|",
        "site=" + siteId,
        "sel="
            + selectors.stream()
                .map(SelectorValue::canonical)
                .sorted()
                .collect(Collectors.joining(",")),
        "match=" + match,
        "id=" + spiffeId,
        "prefix=" + spiffeIdPrefix,
        "parent=" + parentId,
        "state=" + state);
  }
}
