package io.spiremgmt.backend.request;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.ApproveEntryRequestRequest;
import io.spiremgmt.api.v1.CancelEntryRequestRequest;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestProblem;
import io.spiremgmt.api.v1.EntryRequestService;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.EntryRequestUpdate;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.GetEntryRequestRequest;
import io.spiremgmt.api.v1.ListEntryRequestsRequest;
import io.spiremgmt.api.v1.ListEntryRequestsResponse;
import io.spiremgmt.api.v1.PreviewEntryRequestRequest;
import io.spiremgmt.api.v1.PreviewEntryRequestResponse;
import io.spiremgmt.api.v1.RejectEntryRequestRequest;
import io.spiremgmt.api.v1.StreamEntryRequestUpdatesRequest;
import io.spiremgmt.api.v1.SubmitEntryRequestRequest;
import io.spiremgmt.api.v1.UpdateApprovalPolicyRequest;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.CallWatch;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.sync.StreamReadiness;
import io.spiremgmt.backend.validation.Ids;
import java.util.Map;
import java.util.UUID;

/** The gRPC edge of {@link EntryRequestService} and {@link ApprovalPolicyService}. */
@GrpcService
@Authenticated
public class EntryRequestGrpcService implements EntryRequestService {
  private final io.spiremgmt.backend.request.EntryRequestService service;
  private final ApprovalPolicyService policy;
  private final EntryRequestStream stream;
  private final CallerResolver callers;
  private final CallWatch watch;

  EntryRequestGrpcService(
      io.spiremgmt.backend.request.EntryRequestService service,
      ApprovalPolicyService policy,
      EntryRequestStream stream,
      CallerResolver callers,
      CallWatch watch) {
    this.service = service;
    this.policy = policy;
    this.stream = stream;
    this.callers = callers;
    this.watch = watch;
  }

  @Override
  public Multi<EntryRequestUpdate> streamEntryRequestUpdates(
      StreamEntryRequestUpdatesRequest request) {
    StreamReadiness.Readiness readiness = StreamReadiness.current();
    return callers
        .current()
        .chain(caller -> service.personOf(caller).map(person -> Map.entry(caller, person)))
        .onItem()
        .transformToMulti(
            who -> {
              Caller caller = who.getKey();
              boolean scoped = caller.access().kind() != Access.Kind.ALL;
              return watch.whileAllowed(
                  caller,
                  EntryRequestServiceGrpc.getStreamEntryRequestUpdatesMethod(),
                  request,
                  stream.follow(
                      caller.method() + ":" + caller.name(),
                      scoped ? who.getValue() : null,
                      scoped ? caller.access().namespaces() : null,
                      readiness,
                      request.getCursor()));
            });
  }

  @Override
  public Uni<EntryRequest> submitEntryRequest(SubmitEntryRequestRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.submit(
                    caller,
                    EntryRequestMapper.toChange(request.hasChange(), request.getChange()),
                    request.getJustification(),
                    request.getRequestId().isEmpty() ? null : request.getRequestId(),
                    request.getSupersedes().isEmpty()
                        ? null
                        : Ids.parse(request.getSupersedes(), "supersedes")))
        .map(EntryRequestGrpcService::toProto);
  }

  @Override
  public Uni<PreviewEntryRequestResponse> previewEntryRequest(PreviewEntryRequestRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              ChangeInput change;
              try {
                change = EntryRequestMapper.toChange(request.hasChange(), request.getChange());
              } catch (ApiException e) {
                return Uni.createFrom()
                    .item(
                        new io.spiremgmt.backend.request.EntryRequestService.Preview(
                            java.util.List.of(e), null));
              }
              return service.preview(caller, change, request.getJustification());
            })
        .map(
            preview -> {
              PreviewEntryRequestResponse.Builder b =
                  PreviewEntryRequestResponse.newBuilder().setValid(preview.problems().isEmpty());
              for (ApiException p : preview.problems()) {
                b.addProblems(
                    EntryRequestProblem.newBuilder()
                        .setField(p.field() == null ? "" : p.field())
                        .setReason(p.reason().name())
                        .setMessage(p.getMessage()));
              }
              if (preview.evaluation() != null) {
                b.setApprovalRequired(preview.evaluation().required())
                    .addAllApprovalReasons(preview.evaluation().reasons())
                    .setApprovalsRequired(preview.evaluation().approvals())
                    .addAllSiteIds(
                        preview.evaluation().sites().stream().map(UUID::toString).toList());
                if (preview.evaluation().required()) {
                  b.addApproverRoles("Admin").addApproverRoles("Operator");
                }
              }
              return b.build();
            });
  }

  @Override
  public Uni<EntryRequest> getEntryRequest(GetEntryRequestRequest request) {
    return callers
        .current()
        .chain(caller -> service.get(caller, Ids.parse(request.getId(), "id")))
        .map(EntryRequestGrpcService::toProto);
  }

  @Override
  public Uni<ListEntryRequestsResponse> listEntryRequests(ListEntryRequestsRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.list(
                    caller,
                    EntryRequestMapper.toList(request),
                    PageSize.of(request.getPageSize()),
                    request.getPageToken()))
        .map(
            page ->
                ListEntryRequestsResponse.newBuilder()
                    .addAllEntryRequests(
                        page.items().stream().map(EntryRequestGrpcService::toProto).toList())
                    .setNextPageToken(page.nextPageToken())
                    .build());
  }

  @Override
  public Uni<EntryRequest> approveEntryRequest(ApproveEntryRequestRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.approve(caller, Ids.parse(request.getId(), "id"), request.getComment()))
        .map(EntryRequestGrpcService::toProto);
  }

  @Override
  public Uni<EntryRequest> rejectEntryRequest(RejectEntryRequestRequest request) {
    return callers
        .current()
        .chain(
            caller -> service.reject(caller, Ids.parse(request.getId(), "id"), request.getReason()))
        .map(EntryRequestGrpcService::toProto);
  }

  @Override
  public Uni<EntryRequest> cancelEntryRequest(CancelEntryRequestRequest request) {
    return callers
        .current()
        .chain(caller -> service.cancel(caller, Ids.parse(request.getId(), "id")))
        .map(EntryRequestGrpcService::toProto);
  }

  @Override
  public Uni<io.spiremgmt.api.v1.ApprovalPolicy> getApprovalPolicy(
      GetApprovalPolicyRequest request) {
    return callers.current().chain(caller -> policy.get()).map(ApprovalPolicyMapper::toProto);
  }

  @Override
  public Uni<io.spiremgmt.api.v1.ApprovalPolicy> updateApprovalPolicy(
      UpdateApprovalPolicyRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              if (!request.hasPolicy()) {
                throw ApiException.field(
                    ErrorReason.MISSING_FIELD, "policy", "the policy is required");
              }
              return policy.update(caller, ApprovalPolicyMapper.fromProto(request.getPolicy()));
            })
        .map(ApprovalPolicyMapper::toProto);
  }

  private static EntryRequest toProto(
      io.spiremgmt.backend.request.EntryRequestService.RequestView v) {
    return EntryRequestMapper.toProto(v.request(), v.approvals(), v.current());
  }
}
