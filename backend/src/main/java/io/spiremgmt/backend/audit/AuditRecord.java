package io.spiremgmt.backend.audit;

/**
 * One mutation to record.
 *
 * @param actor the caller's principal name
 * @param action e.g. {@code entry.create}
 * @param targetType {@code entry} or {@code site}
 * @param targetId the resource id
 * @param requestId the caller's request id, or a generated one
 * @param beforeJson the resource's API JSON before the change, or null
 * @param afterJson the resource's API JSON after the change, or null
 */
public record AuditRecord(
    String actor,
    String action,
    String targetType,
    String targetId,
    String requestId,
    String beforeJson,
    String afterJson) {}
