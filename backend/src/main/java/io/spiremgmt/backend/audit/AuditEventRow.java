package io.spiremgmt.backend.audit;

import java.time.Instant;

/**
 * A stored audit event, as read back.
 *
 * @param id the event id
 * @param occurredAt commit-time clock of the writing transaction
 * @param actor the caller's principal name
 * @param action the action's stored name ({@link AuditAction#value()})
 * @param targetType the target type's stored name ({@link AuditTargetType#value()})
 * @param targetId the resource id
 * @param requestId the request id
 * @param beforeJson the resource before, or null
 * @param afterJson the resource after, or null
 */
public record AuditEventRow(
    long id,
    Instant occurredAt,
    String actor,
    String action,
    String targetType,
    String targetId,
    String requestId,
    String beforeJson,
    String afterJson) {}
