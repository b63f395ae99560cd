package io.spiremgmt.backend.audit;

import java.time.Instant;

/**
 * A stored audit event.
 *
 * @param id the event id
 * @param occurredAt commit-time clock of the writing transaction
 * @param record what was recorded
 */
public record AuditEventRow(long id, Instant occurredAt, AuditRecord record) {}
