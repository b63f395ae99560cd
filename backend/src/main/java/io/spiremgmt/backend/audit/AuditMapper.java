package io.spiremgmt.backend.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.AuditChainBreak;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.VerifyAuditChainResponse;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Text;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Audit messages ↔ domain: the ListAuditEvents filter (validated) and the events served. */
public final class AuditMapper {
  private static final String TARGET_TYPES =
      Arrays.stream(AuditTargetType.values())
          .map(t -> "'" + t.value() + "'")
          .collect(Collectors.joining(", "));

  private AuditMapper() {}

  /** The filter of a ListAuditEvents request; INVALID_ARGUMENT naming the field at fault. */
  public static AuditFilter toFilter(ListAuditEventsRequest r) {
    AuditTargetType type = null;
    if (!r.getTargetType().isEmpty()) {
      type =
          AuditTargetType.of(r.getTargetType())
              .orElseThrow(
                  () ->
                      ApiException.field(
                          ErrorReason.INVALID_FIELD,
                          "target_type",
                          "must be one of " + TARGET_TYPES));
    }
    String id = r.getTargetId().isEmpty() ? null : Text.check(r.getTargetId(), "target_id", 64);
    String actor = r.getActor().isEmpty() ? null : Text.check(r.getActor(), "actor", 512);
    if (id != null && type == null) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "target_type", "target_id needs target_type");
    }
    Instant start = r.hasStartTime() ? ProtoTime.toInstant(r.getStartTime(), "start_time") : null;
    Instant end = r.hasEndTime() ? ProtoTime.toInstant(r.getEndTime(), "end_time") : null;
    if (start != null && end != null && start.isAfter(end)) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "start_time", "must not be after end_time");
    }
    return new AuditFilter(type, id, actor, start, end, true, null);
  }

  /** The API message of a stored event. */
  public static AuditEvent toProto(AuditEventRow row) {
    AuditEvent.Builder b =
        AuditEvent.newBuilder()
            .setId(row.id())
            .setOccurTime(ProtoTime.toTimestamp(row.occurredAt()))
            .setActor(row.actor())
            .setAction(row.action())
            .setTargetType(row.targetType())
            .setTargetId(row.targetId())
            .setRequestId(row.requestId());
    if (row.beforeJson() != null) {
      b.setBefore(struct(row.beforeJson()));
    }
    if (row.afterJson() != null) {
      b.setAfter(struct(row.afterJson()));
    }
    return b.build();
  }

  /** The API message of a chain verification. */
  public static VerifyAuditChainResponse toProto(AuditSealer.Verification v) {
    VerifyAuditChainResponse.Builder b =
        VerifyAuditChainResponse.newBuilder()
            .setIntact(v.broken() == null)
            .setVerifiedCount(v.verified())
            .setUnsealedCount(v.unsealed());
    if (v.broken() != null) {
      b.setFirstBreak(
          AuditChainBreak.newBuilder()
              .setSeq(v.broken().seq())
              .setEventId(v.broken().eventId())
              .setReason(v.broken().reason()));
    }
    return b.build();
  }

  private static Struct struct(String json) {
    try {
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().merge(json, b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored audit state is not a JSON object", e);
    }
  }
}
