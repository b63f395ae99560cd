package io.spiremgmt.backend.sync;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.ReportSyncResultResponse;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncService;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.api.v1.TriggerSyncResponse;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;

/**
 * The SyncService contract, declared so clients and reflection see it. Until the multi-site sync
 * work lands (issue 4) every RPC answers UNIMPLEMENTED with reason NOT_AVAILABLE, after
 * authentication.
 */
@GrpcService
@Authenticated
public class SyncGrpcService implements SyncService {

  @Override
  public Uni<TriggerSyncResponse> triggerSync(TriggerSyncRequest request) {
    return notAvailable("TriggerSync");
  }

  @Override
  public Uni<SyncStatus> getSyncStatus(GetSyncStatusRequest request) {
    return notAvailable("GetSyncStatus");
  }

  @Override
  public Multi<SyncUpdate> streamSyncUpdates(StreamSyncUpdatesRequest request) {
    return Multi.createFrom().failure(unavailable("StreamSyncUpdates"));
  }

  @Override
  public Uni<PollEntriesResponse> pollEntries(PollEntriesRequest request) {
    return notAvailable("PollEntries");
  }

  @Override
  public Uni<ReportSyncResultResponse> reportSyncResult(ReportSyncResultRequest request) {
    return notAvailable("ReportSyncResult");
  }

  private static <T> Uni<T> notAvailable(String rpc) {
    return Uni.createFrom().failure(unavailable(rpc));
  }

  private static ApiException unavailable(String rpc) {
    return ApiException.of(
        ErrorReason.NOT_AVAILABLE,
        "SyncService." + rpc + " is not available in this version of the service");
  }
}
