package io.spiremgmt.backend.sync;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.GetSyncStatusRequest;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ListSiteEntriesRequest;
import io.spiremgmt.api.v1.ListSiteEntriesResponse;
import io.spiremgmt.api.v1.ListUnmanagedEntriesRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesResponse;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportReconcileResponse;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.ReportSyncResultResponse;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncService;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.api.v1.TriggerSyncResponse;
import io.spiremgmt.backend.auth.CallWatch;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.sync.lease.LeaseService;
import io.spiremgmt.backend.validation.Ids;

/**
 * The gRPC edge of sync: the agents' calls (lease, poll, report, desired state, reconcile results),
 * each fenced by the site lease ({@link LeaseService}), and the operators' (trigger, status, the
 * update stream, unmanaged entries). Each method resolves the caller, checks the request ({@link
 * SyncRequestValidator}), calls one service method and maps the answer ({@link SyncMapper}). The
 * long calls (the update stream, a waiting poll) end once their caller's credentials no longer
 * allow them ({@link CallWatch}).
 */
@GrpcService
@Authenticated
public class SyncGrpcService implements SyncService {
  private final CallerResolver callers;
  private final SyncPollService polls;
  private final SyncReportService reports;
  private final SyncControlService control;
  private final SyncEventStream events;
  private final LeaseService leases;
  private final CallWatch watch;

  SyncGrpcService(
      CallerResolver callers,
      SyncPollService polls,
      SyncReportService reports,
      SyncControlService control,
      SyncEventStream events,
      LeaseService leases,
      CallWatch watch) {
    this.callers = callers;
    this.watch = watch;
    this.polls = polls;
    this.reports = reports;
    this.control = control;
    this.events = events;
    this.leases = leases;
  }

  @Override
  public Uni<TriggerSyncResponse> triggerSync(TriggerSyncRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                control.trigger(
                    caller,
                    SyncRequestValidator.triggerSites(request.getSiteIdsList()),
                    SyncRequestValidator.ids(request.getEntryIdsList(), "entry_ids")))
        .map(n -> TriggerSyncResponse.newBuilder().setResetCount(n).build());
  }

  @Override
  public Uni<SyncStatus> getSyncStatus(GetSyncStatusRequest request) {
    return callers
        .current()
        .chain(() -> control.status(SyncRequestValidator.ids(request.getSiteIdsList(), "site_ids")))
        .map(SyncMapper::toProto);
  }

  @Override
  public Multi<SyncUpdate> streamSyncUpdates(StreamSyncUpdatesRequest request) {
    StreamReadiness.Readiness readiness = StreamReadiness.current();
    return callers
        .current()
        .onItem()
        .transformToMulti(
            caller ->
                watch.whileAllowed(
                    caller,
                    SyncServiceGrpc.getStreamSyncUpdatesMethod(),
                    request,
                    events.follow(
                        caller.method() + ":" + caller.name(),
                        caller.access(),
                        readiness,
                        SyncRequestValidator.ids(request.getSiteIdsList(), "site_ids"),
                        SyncRequestValidator.ids(request.getEntryIdsList(), "entry_ids"),
                        request.getCursor())));
  }

  @Override
  public Uni<PollEntriesResponse> pollEntries(PollEntriesRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              SyncRequestValidator.Poll poll = SyncRequestValidator.poll(request);
              // The carried results commit before the poll reads the site's due work.
              Uni<Void> reported =
                  poll.report() == null
                      ? Uni.createFrom().voidItem()
                      : reports.report(caller, poll.report()).replaceWithVoid();
              return watch.whileAllowed(
                  caller,
                  SyncServiceGrpc.getPollEntriesMethod(),
                  request,
                  reported.chain(() -> polls.poll(poll.siteId(), poll.agentId(), poll.waitFor())));
            })
        .map(changes -> SyncMapper.toProto(changes, request.getResultsCount() > 0));
  }

  @Override
  public Uni<ReportSyncResultResponse> reportSyncResult(ReportSyncResultRequest request) {
    return callers
        .current()
        .chain(caller -> reports.report(caller, SyncRequestValidator.report(request)))
        .map(
            applied ->
                ReportSyncResultResponse.newBuilder().setAppliedCount(applied.size()).build());
  }

  @Override
  public Uni<Lease> acquireLease(AcquireLeaseRequest request) {
    return callers
        .current()
        .chain(caller -> leases.acquire(caller, SyncRequestValidator.lease(request)))
        .map(SyncMapper::toProto);
  }

  @Override
  public Uni<ListSiteEntriesResponse> listSiteEntries(ListSiteEntriesRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              SyncRequestValidator.SitePage page = SyncRequestValidator.sitePage(request);
              return polls.siteEntries(page.siteId(), page.pageSize(), page.pageToken());
            })
        .map(SyncMapper::toProto);
  }

  @Override
  public Uni<ReportReconcileResponse> reportReconcile(ReportReconcileRequest request) {
    return callers
        .current()
        .chain(() -> leases.recordReconcile(SyncRequestValidator.reconcile(request)))
        .map(v -> ReportReconcileResponse.getDefaultInstance());
  }

  @Override
  public Uni<ListUnmanagedEntriesResponse> listUnmanagedEntries(
      ListUnmanagedEntriesRequest request) {
    return callers
        .current()
        .chain(
            () ->
                leases.unmanaged(
                    Ids.parse(request.getSiteId(), "site_id"),
                    PageSize.of(request.getPageSize()),
                    request.getPageToken()))
        .map(SyncMapper::toProto);
  }
}
