package io.spiremgmt.backend.audit;

/**
 * One mutation to record.
 *
 * @param actor the caller's principal name
 * @param action what was done; it names the kind of resource too
 * @param targetId the resource id
 * @param requestId the caller's request id, or a generated one
 * @param beforeJson the resource's API JSON before the change, or null
 * @param afterJson the resource's API JSON after the change, or null
 */
public record AuditRecord(
    String actor,
    AuditAction action,
    String targetId,
    String requestId,
    String beforeJson,
    String afterJson) {}
