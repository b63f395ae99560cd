package io.spiremgmt.backend.audit;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListAuditEventsResponse;
import io.spiremgmt.api.v1.VerifyAuditChainRequest;
import io.spiremgmt.api.v1.VerifyAuditChainResponse;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.paging.PageSize;

/** The gRPC edge of {@link AuditService}: reads of the audit trail. */
@GrpcService
@Authenticated
public class AuditGrpcService implements io.spiremgmt.api.v1.AuditService {
  private final CallerResolver callers;
  private final AuditService audit;

  AuditGrpcService(CallerResolver callers, AuditService audit) {
    this.callers = callers;
    this.audit = audit;
  }

  @Override
  public Uni<ListAuditEventsResponse> listAuditEvents(ListAuditEventsRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                audit.list(
                    caller,
                    AuditMapper.toFilter(request),
                    PageSize.of(request.getPageSize()),
                    request.getPageToken()))
        .map(
            page ->
                ListAuditEventsResponse.newBuilder()
                    .addAllAuditEvents(page.items().stream().map(AuditMapper::toProto).toList())
                    .setNextPageToken(page.nextPageToken())
                    .build());
  }

  @Override
  public Uni<VerifyAuditChainResponse> verifyAuditChain(VerifyAuditChainRequest request) {
    return callers.current().chain(audit::verify).map(AuditMapper::toProto);
  }
}
