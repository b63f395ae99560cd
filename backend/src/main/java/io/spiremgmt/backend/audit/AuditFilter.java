package io.spiremgmt.backend.audit;

import io.spiremgmt.backend.paging.PageToken;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * ListAuditEvents filters; null means "no filter".
 *
 * @param targetType resource kind
 * @param targetId resource id (needs targetType)
 * @param actor principal name
 * @param start events at or after this time
 * @param end events before this time
 * @param withApiKeys whether events about API keys are included (Admins only, as ListApiKeys)
 * @param scopeNamespaces for a Developer: only events about entries with one of these namespaces
 *     (sorted; empty sees nothing); null for callers who read the whole trail
 */
public record AuditFilter(
    AuditTargetType targetType,
    String targetId,
    String actor,
    Instant start,
    Instant end,
    boolean withApiKeys,
    List<String> scopeNamespaces) {
  /**
   * A canonical description, the fingerprint page tokens are bound to; a view without API key
   * events describes itself apart (the full view's description is as before it existed, so its
   * tokens stay valid).
   */
  public String canonical() {
    String type = targetType == null ? null : targetType.value();
    if (scopeNamespaces != null) {
      // A Developer's view: bound to its namespaces, so a token crosses no scope.
      return PageToken.describe(
          type, targetId, actor, start, end, "without-apikey", "namespaces", scopeNamespaces);
    }
    return withApiKeys
        ? PageToken.describe(type, targetId, actor, start, end)
        : PageToken.describe(type, targetId, actor, start, end, "without-apikey");
  }

  /** This filter without events about API keys. */
  public AuditFilter withoutApiKeys() {
    return new AuditFilter(targetType, targetId, actor, start, end, false, scopeNamespaces);
  }

  /** This filter restricted to events about entries with one of {@code namespaces}. */
  public AuditFilter scopedTo(Set<String> namespaces) {
    return new AuditFilter(
        targetType, targetId, actor, start, end, false, namespaces.stream().sorted().toList());
  }
}
