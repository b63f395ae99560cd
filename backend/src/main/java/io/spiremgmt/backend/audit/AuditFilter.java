package io.spiremgmt.backend.audit;

import io.spiremgmt.backend.paging.PageToken;
import java.time.Instant;

/**
 * ListAuditEvents filters; null means "no filter".
 *
 * @param targetType resource kind
 * @param targetId resource id (needs targetType)
 * @param actor principal name
 * @param start events at or after this time
 * @param end events before this time
 * @param withApiKeys whether events about API keys are included (Admins only, as ListApiKeys)
 */
public record AuditFilter(
    AuditTargetType targetType,
    String targetId,
    String actor,
    Instant start,
    Instant end,
    boolean withApiKeys) {
  /**
   * A canonical description, the fingerprint page tokens are bound to; a view without API key
   * events describes itself apart (the full view's description is as before it existed, so its
   * tokens stay valid).
   */
  public String canonical() {
    String type = targetType == null ? null : targetType.value();
    return withApiKeys
        ? PageToken.describe(type, targetId, actor, start, end)
        : PageToken.describe(type, targetId, actor, start, end, "without-apikey");
  }

  /** This filter without events about API keys. */
  public AuditFilter withoutApiKeys() {
    return new AuditFilter(targetType, targetId, actor, start, end, false);
  }
}
