package io.spiremgmt.backend.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.AuditService;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListAuditEventsResponse;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.validation.Text;
import java.time.Instant;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/** Serves {@code AuditService}: reads of the audit trail. */
@GrpcService
@Authenticated
public class AuditGrpcService implements AuditService {
  private final Mutiny.SessionFactory sessions;
  private final AuditRepository audit;
  private final CallerResolver callers;

  private final AuditSealer chain;

  AuditGrpcService(
      Mutiny.SessionFactory sessions,
      AuditRepository audit,
      CallerResolver callers,
      AuditSealer chain) {
    this.chain = chain;
    this.sessions = sessions;
    this.audit = audit;
    this.callers = callers;
  }

  @Override
  public Uni<ListAuditEventsResponse> listAuditEvents(ListAuditEventsRequest request) {
    return callers.current().chain(() -> list(request));
  }

  @Override
  public Uni<io.spiremgmt.api.v1.VerifyAuditChainResponse> verifyAuditChain(
      io.spiremgmt.api.v1.VerifyAuditChainRequest request) {
    return callers
        .current()
        .chain(chain::verify)
        .map(
            v -> {
              io.spiremgmt.api.v1.VerifyAuditChainResponse.Builder b =
                  io.spiremgmt.api.v1.VerifyAuditChainResponse.newBuilder()
                      .setIntact(v.broken() == null)
                      .setVerifiedCount(v.verified())
                      .setUnsealedCount(v.unsealed());
              if (v.broken() != null) {
                b.setFirstBreak(
                    io.spiremgmt.api.v1.AuditChainBreak.newBuilder()
                        .setSeq(v.broken().seq())
                        .setEventId(v.broken().eventId())
                        .setReason(v.broken().reason()));
              }
              return b.build();
            });
  }

  private Uni<ListAuditEventsResponse> list(ListAuditEventsRequest r) {
    int pageSize = PageSize.of(r.getPageSize());
    AuditFilter filter = toFilter(r);
    String fingerprint = filter.canonical();
    PageToken token = PageToken.decode(r.getPageToken(), fingerprint, 1);
    Long beforeId = token == null ? null : parseId(token.keys().get(0));
    return sessions
        .withSession(s -> audit.page(s, filter, beforeId, pageSize + 1))
        .map(
            rows -> {
              boolean more = rows.size() > pageSize;
              List<AuditEventRow> page = more ? rows.subList(0, pageSize) : rows;
              ListAuditEventsResponse.Builder b = ListAuditEventsResponse.newBuilder();
              page.forEach(row -> b.addAuditEvents(toProto(row)));
              if (more) {
                b.setNextPageToken(
                    new PageToken(List.of(Long.toString(page.get(pageSize - 1).id())))
                        .encode(fingerprint));
              }
              return b.build();
            });
  }

  private static AuditFilter toFilter(ListAuditEventsRequest r) {
    String type = r.getTargetType().isEmpty() ? null : r.getTargetType();
    String id = r.getTargetId().isEmpty() ? null : Text.check(r.getTargetId(), "target_id", 64);
    String actor = r.getActor().isEmpty() ? null : Text.check(r.getActor(), "actor", 512);
    if (id != null && type == null) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "target_type", "target_id needs target_type");
    }
    if (type != null && !type.equals("entry") && !type.equals("site")) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "target_type", "must be 'entry' or 'site'");
    }
    Instant start = r.hasStartTime() ? EntryMapper.toInstant(r.getStartTime(), "start_time") : null;
    Instant end = r.hasEndTime() ? EntryMapper.toInstant(r.getEndTime(), "end_time") : null;
    if (start != null && end != null && start.isAfter(end)) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, "start_time", "must not be after end_time");
    }
    return new AuditFilter(type, id, actor, start, end);
  }

  private static long parseId(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw ApiException.field(
          ErrorReason.INVALID_PAGE_TOKEN,
          "page_token",
          "is not a page token issued by this service");
    }
  }

  private static AuditEvent toProto(AuditEventRow row) {
    AuditRecord r = row.record();
    AuditEvent.Builder b =
        AuditEvent.newBuilder()
            .setId(row.id())
            .setOccurTime(EntryMapper.toTimestamp(row.occurredAt()))
            .setActor(r.actor())
            .setAction(r.action())
            .setTargetType(r.targetType())
            .setTargetId(r.targetId())
            .setRequestId(r.requestId());
    if (r.beforeJson() != null) {
      b.setBefore(struct(r.beforeJson()));
    }
    if (r.afterJson() != null) {
      b.setAfter(struct(r.afterJson()));
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
