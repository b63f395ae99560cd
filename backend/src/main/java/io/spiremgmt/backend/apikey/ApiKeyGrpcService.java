package io.spiremgmt.backend.apikey;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.api.v1.CreateApiKeyRequest;
import io.spiremgmt.api.v1.CreateApiKeyResponse;
import io.spiremgmt.api.v1.ListApiKeysRequest;
import io.spiremgmt.api.v1.ListApiKeysResponse;
import io.spiremgmt.api.v1.RevokeApiKeyRequest;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.validation.Ids;

/** The gRPC edge of {@link ApiKeyService}. */
@GrpcService
@Authenticated
public class ApiKeyGrpcService implements io.spiremgmt.api.v1.ApiKeyService {
  private final ApiKeyService service;
  private final CallerResolver callers;

  ApiKeyGrpcService(ApiKeyService service, CallerResolver callers) {
    this.service = service;
    this.callers = callers;
  }

  @Override
  public Uni<CreateApiKeyResponse> createApiKey(CreateApiKeyRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              if (!request.hasApiKey()) {
                throw ApiException.field(
                    ErrorReason.MISSING_FIELD, "api_key", "the key to create is required");
              }
              return service.create(
                  caller, request.getApiKey(), Ids.requestId(request.getRequestId(), "request_id"));
            })
        .map(
            created ->
                CreateApiKeyResponse.newBuilder()
                    .setApiKey(ApiKeyMapper.toProto(created.key()))
                    .setSecret(created.secret())
                    .build());
  }

  @Override
  public Uni<ListApiKeysResponse> listApiKeys(ListApiKeysRequest request) {
    return callers
        .current()
        .chain(() -> service.list(PageSize.of(request.getPageSize()), request.getPageToken()))
        .map(
            page ->
                ListApiKeysResponse.newBuilder()
                    .addAllApiKeys(page.items().stream().map(ApiKeyMapper::toProto).toList())
                    .setNextPageToken(page.nextPageToken())
                    .build());
  }

  @Override
  public Uni<ApiKey> revokeApiKey(RevokeApiKeyRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.revoke(
                    caller,
                    Ids.parse(request.getId(), "id"),
                    Ids.requestId(request.getRequestId(), "request_id")))
        .map(ApiKeyMapper::toProto);
  }
}
