package io.spiremgmt.backend.request;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A ListEntryRequests filter with the caller's scope.
 *
 * @param mine only the caller's own requests
 * @param awaiting only PENDING requests the caller may approve and has not approved
 * @param states only these states (empty: any)
 * @param siteId only requests touching this site, or null
 * @param entryId only requests about this entry, or null
 * @param namespace only requests about entries of this namespace, or null
 * @param person the caller as a person (for mine, awaiting and a Developer's scope)
 * @param scopeNamespaces a Developer's namespaces (its own requests and those of these namespaces
 *     are visible), or null when the caller sees every request
 */
public record RequestFilter(
    boolean mine,
    boolean awaiting,
    Set<EntryRequestEntity.State> states,
    UUID siteId,
    UUID entryId,
    String namespace,
    String person,
    Set<String> scopeNamespaces) {

  /**
   * The filter and the scope as one string: a page token is bound to it, so a token never crosses
   * filters, callers or scopes.
   */
  public String canonical() {
    return String.join(
        "|",
        List.of(
            "mine=" + mine,
            "awaiting=" + awaiting,
            "states=" + new TreeSet<>(states.stream().map(Enum::name).toList()),
            "site=" + siteId,
            "entry=" + entryId,
            "ns=" + namespace,
            "person=" + person,
            "scope=" + (scopeNamespaces == null ? "*" : new TreeSet<>(scopeNamespaces))));
  }
}
