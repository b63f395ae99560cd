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
 */
public record AuditFilter(
    AuditTargetType targetType, String targetId, String actor, Instant start, Instant end) {
  /** A canonical description, the fingerprint page tokens are bound to. */
  public String canonical() {
    return PageToken.describe(
        targetType == null ? null : targetType.value(), targetId, actor, start, end);
  }
}
