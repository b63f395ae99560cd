package io.spiremgmt.backend.sync;

import io.quarkus.grpc.GrpcService;
import io.quarkus.logging.Log;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.FailingEntry;
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
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SiteSyncStatus;
import io.spiremgmt.api.v1.StreamSyncUpdatesRequest;
import io.spiremgmt.api.v1.SyncCounts;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncService;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.api.v1.TriggerSyncRequest;
import io.spiremgmt.api.v1.TriggerSyncResponse;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.agent.SiteAgentRepository;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.Text;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The gRPC edge of sync: the agents' calls (lease, poll, report, desired state, reconcile results),
 * fenced by the site lease ({@link SiteAgentRepository}), and the operators' (trigger, status,
 * unmanaged entries). StreamSyncUpdates answers UNIMPLEMENTED with reason NOT_AVAILABLE, after
 * authentication, until it lands.
 */
@GrpcService
@Authenticated
public class SyncGrpcService implements SyncService {
  private final CallerResolver callers;
  private final SyncReportService reports;
  private final SyncPollService polls;
  private final SyncControlService control;
  private final SiteAgentRepository agents;
  private final SyncEventStream events;
  private final SyncMetrics metrics;

  SyncGrpcService(
      SyncEventStream events,
      SyncMetrics metrics,
      CallerResolver callers,
      SyncReportService reports,
      SyncPollService polls,
      SyncControlService control,
      SiteAgentRepository agents) {
    this.agents = agents;
    this.events = events;
    this.metrics = metrics;
    this.callers = callers;
    this.reports = reports;
    this.polls = polls;
    this.control = control;
  }

  @Override
  public Uni<TriggerSyncResponse> triggerSync(TriggerSyncRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              if (request.getSiteIdsCount() == 0) {
                throw ApiException.field(
                    ErrorReason.MISSING_FIELD, "site_ids", "name the sites to wake");
              }
              return control.trigger(
                  ids(request.getSiteIdsList(), "site_ids"),
                  ids(request.getEntryIdsList(), "entry_ids"));
            })
        .map(n -> TriggerSyncResponse.newBuilder().setResetCount(n).build());
  }

  @Override
  public Uni<SyncStatus> getSyncStatus(GetSyncStatusRequest request) {
    return callers
        .current()
        .chain(() -> control.status(ids(request.getSiteIdsList(), "site_ids")))
        .map(SyncGrpcService::toProto);
  }

  private static List<java.util.UUID> ids(List<String> values, String field) {
    if (values.size() > 1000) {
      throw ApiException.field(ErrorReason.BATCH_TOO_LARGE, field, "at most 1000 ids");
    }
    List<java.util.UUID> ids = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      ids.add(Ids.parse(values.get(i), field + "[" + i + "]"));
    }
    return ids;
  }

  private static SyncStatus toProto(SyncControlService.Status status) {
    SyncStatus.Builder b = SyncStatus.newBuilder().setOverall(counts(status.overall()));
    status
        .sites()
        .forEach(
            (site, counts) -> {
              SiteSyncStatus.Builder s =
                  SiteSyncStatus.newBuilder().setSiteId(site.toString()).setCounts(counts(counts));
              if (counts.oldestWaiting() != null) {
                s.setOldestPendingTime(EntryMapper.toTimestamp(counts.oldestWaiting()));
              }
              b.addSites(s);
            });
    status
        .failing()
        .forEach(
            f ->
                b.addFailingEntries(
                    FailingEntry.newBuilder()
                        .setEntryId(f.entryId().toString())
                        .setSiteId(f.siteId().toString())
                        .setLastError(f.lastError() == null ? "" : f.lastError())
                        .setAttempts(f.attempts())
                        .setAlerting(f.alerting())));
    return b.build();
  }

  private static SyncCounts counts(SyncControlService.Counts c) {
    return SyncCounts.newBuilder()
        .setPending(c.pending())
        .setSynced(c.synced())
        .setFailed(c.failed())
        .setDeleting(c.deleting())
        .build();
  }

  @Override
  public Multi<SyncUpdate> streamSyncUpdates(StreamSyncUpdatesRequest request) {
    return callers
        .current()
        .onItem()
        .transformToMulti(
            caller ->
                events.follow(
                    ids(request.getSiteIdsList(), "site_ids"),
                    ids(request.getEntryIdsList(), "entry_ids"),
                    request.getCursor()));
  }

  @Override
  public Uni<PollEntriesResponse> pollEntries(PollEntriesRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              Duration wait = Duration.ZERO;
              if (request.hasWait()) {
                if (request.getWait().getSeconds() < 0 || request.getWait().getNanos() < 0) {
                  throw ApiException.field(
                      ErrorReason.INVALID_FIELD, "wait", "must not be negative");
                }
                wait =
                    Duration.ofSeconds(
                        Math.min(request.getWait().getSeconds(), 3600),
                        request.getWait().getNanos());
              }
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              Duration capped = wait;
              return agents
                  .requireHolder(site, agentId(request.getAgentId()), true)
                  .chain(() -> polls.poll(site, capped));
            })
        .map(
            changes -> {
              PollEntriesResponse.Builder b = PollEntriesResponse.newBuilder();
              for (SyncPollService.Change c : changes) {
                b.addChanges(
                    EntryChange.newBuilder()
                        .setKind(
                            c.delete()
                                ? ChangeKind.CHANGE_KIND_DELETE
                                : ChangeKind.CHANGE_KIND_UPSERT)
                        .setEntry(EntryMapper.toProto(c.entry()))
                        .setRevision(c.revision()));
              }
              return b.build();
            });
  }

  @Override
  public Uni<ReportSyncResultResponse> reportSyncResult(ReportSyncResultRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              String agent = agentId(request.getAgentId());
              List<SyncReport> results = toReports(request);
              String requestId = Ids.requestId(request.getRequestId(), "request_id");
              return agents
                  .requireHolder(site, agent, false)
                  .chain(() -> reports.report(caller, site, results, requestId))
                  .invoke(applied -> metrics.applied(site, applied));
            })
        .map(
            applied ->
                ReportSyncResultResponse.newBuilder().setAppliedCount(applied.size()).build());
  }

  @Override
  public Uni<Lease> acquireLease(AcquireLeaseRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              String agent = agentId(request.getAgentId());
              String version = Text.check(request.getAgentVersion(), "agent_version", 64);
              if (request.getSpireError().length() > MAX_ERROR
                  || request.getSpireError().indexOf(0) >= 0) {
                throw ApiException.field(
                    ErrorReason.INVALID_FIELD,
                    "spire_error",
                    "at most " + MAX_ERROR + " characters and no NUL");
              }
              return agents.acquire(
                  caller.name(),
                  site,
                  agent,
                  version,
                  request.getSpireReachable(),
                  request.getSpireError());
            })
        .map(
            lease ->
                Lease.newBuilder()
                    .setHeld(lease.held())
                    .setHolderAgentId(lease.holder())
                    .setExpireTime(EntryMapper.toTimestamp(lease.expiresAt()))
                    .setTtl(
                        com.google.protobuf.Duration.newBuilder()
                            .setSeconds(lease.ttl().toSeconds())
                            .setNanos(lease.ttl().toNanosPart()))
                    .build());
  }

  @Override
  public Uni<ListSiteEntriesResponse> listSiteEntries(ListSiteEntriesRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              String agent = agentId(request.getAgentId());
              int size = PageSize.of(request.getPageSize() == 0 ? 500 : request.getPageSize());
              String filter = PageToken.describe("site-entries", site);
              PageToken token = PageToken.decode(request.getPageToken(), filter, 1);
              UUID after = token == null ? null : tokenId(token.keys().get(0));
              Log.debugf("agent %s lists the entries of site %s", agent, site);
              return agents
                  .requireSite(site)
                  .chain(() -> polls.siteEntries(site, after, size + 1))
                  .map(
                      rows -> {
                        ListSiteEntriesResponse.Builder b = ListSiteEntriesResponse.newBuilder();
                        rows.stream()
                            .limit(size)
                            .forEach(
                                r ->
                                    b.addEntries(
                                        SiteEntry.newBuilder()
                                            .setEntry(EntryMapper.toProto(r.entry()))
                                            .setRevision(r.revision())
                                            .setSyncState(EntryMapper.toProto(r.state()))));
                        if (rows.size() > size) {
                          String last = rows.get(size - 1).entry().entity().getId().toString();
                          b.setNextPageToken(new PageToken(List.of(last)).encode(filter));
                        }
                        return b.build();
                      });
            });
  }

  @Override
  public Uni<ReportReconcileResponse> reportReconcile(ReportReconcileRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              String agent = agentId(request.getAgentId());
              if (request.getUnmanagedEntriesCount() > MAX_UNMANAGED) {
                throw ApiException.field(
                    ErrorReason.BATCH_TOO_LARGE,
                    "unmanaged_entries",
                    "list at most " + MAX_UNMANAGED + " entries; count the rest");
              }
              if (request.getUnmanagedCount() < request.getUnmanagedEntriesCount()
                  || request.getDriftRepaired() < 0) {
                throw ApiException.field(
                    ErrorReason.INVALID_FIELD,
                    "unmanaged_count",
                    "must count at least the listed entries, and counts are not negative");
              }
              List<SiteAgentRepository.Unmanaged> unmanaged = new ArrayList<>();
              for (int i = 0; i < request.getUnmanagedEntriesCount(); i++) {
                UnmanagedEntry u = request.getUnmanagedEntries(i);
                String at = "unmanaged_entries[" + i + "]";
                if (u.getSpireEntryId().isEmpty()) {
                  throw ApiException.field(
                      ErrorReason.MISSING_FIELD,
                      at + ".spire_entry_id",
                      "the SPIRE id is required");
                }
                for (int j = 0; j < u.getSelectorsCount(); j++) {
                  Text.check(u.getSelectors(j), at + ".selectors[" + j + "]", 2048);
                }
                unmanaged.add(
                    new SiteAgentRepository.Unmanaged(
                        Text.check(u.getSpireEntryId(), at + ".spire_entry_id", 255),
                        Text.check(u.getSpiffeId(), at + ".spiffe_id", 2048),
                        Text.check(u.getParentId(), at + ".parent_id", 2048),
                        List.copyOf(u.getSelectorsList())));
              }
              return agents.recordReconcile(site, agent, request.getUnmanagedCount(), unmanaged);
            })
        .map(v -> ReportReconcileResponse.getDefaultInstance());
  }

  @Override
  public Uni<ListUnmanagedEntriesResponse> listUnmanagedEntries(
      ListUnmanagedEntriesRequest request) {
    return callers
        .current()
        .chain(
            () -> {
              UUID site = Ids.parse(request.getSiteId(), "site_id");
              int size = PageSize.of(request.getPageSize());
              String filter = PageToken.describe("unmanaged", site);
              PageToken token = PageToken.decode(request.getPageToken(), filter, 1);
              String after = token == null ? null : token.keys().get(0);
              return agents
                  .unmanaged(site, after, size + 1)
                  .chain(
                      rows ->
                          agents
                              .unmanagedCount(site)
                              .map(
                                  total -> {
                                    ListUnmanagedEntriesResponse.Builder b =
                                        ListUnmanagedEntriesResponse.newBuilder()
                                            .setTotalCount(total);
                                    rows.stream()
                                        .limit(size)
                                        .forEach(
                                            u ->
                                                b.addEntries(
                                                    UnmanagedEntry.newBuilder()
                                                        .setSpireEntryId(u.spireEntryId())
                                                        .setSpiffeId(u.spiffeId())
                                                        .setParentId(u.parentId())
                                                        .addAllSelectors(u.selectors())));
                                    if (rows.size() > size) {
                                      b.setNextPageToken(
                                          new PageToken(List.of(rows.get(size - 1).spireEntryId()))
                                              .encode(filter));
                                    }
                                    return b.build();
                                  }));
            });
  }

  /** Most unmanaged entries one reconcile report lists. */
  static final int MAX_UNMANAGED = 10_000;

  private static String agentId(String value) {
    if (value.isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "agent_id", "the agent instance id is required");
    }
    return Text.check(value, "agent_id", 128);
  }

  private static UUID tokenId(String key) {
    try {
      return UUID.fromString(key);
    } catch (IllegalArgumentException e) {
      throw PageToken.invalidToken();
    }
  }

  private static final java.util.regex.Pattern REASON =
      java.util.regex.Pattern.compile("[A-Z_]{1,32}");

  /** Most results in one report. */
  static final int MAX_RESULTS = 1000;

  /** Longest error text an agent may report. */
  static final int MAX_ERROR = 4096;

  private static List<SyncReport> toReports(ReportSyncResultRequest request) {
    if (request.getResultsCount() > MAX_RESULTS) {
      throw ApiException.field(
          ErrorReason.BATCH_TOO_LARGE,
          "results",
          "a report holds at most "
              + MAX_RESULTS
              + " results (got "
              + request.getResultsCount()
              + "); split it");
    }
    List<SyncReport> reports = new ArrayList<>();
    for (int i = 0; i < request.getResultsCount(); i++) {
      SyncResult r = request.getResults(i);
      String at = "results[" + i + "]";
      if (r.getRevision() <= 0) {
        throw ApiException.field(
            ErrorReason.MISSING_FIELD, at + ".revision", "the applied revision is required");
      }
      SyncReport.Outcome outcome =
          switch (r.getOutcome()) {
            case SYNC_OUTCOME_SYNCED -> SyncReport.Outcome.SYNCED;
            case SYNC_OUTCOME_FAILED -> SyncReport.Outcome.FAILED;
            case SYNC_OUTCOME_DELETED -> SyncReport.Outcome.DELETED;
            case SYNC_OUTCOME_UNSPECIFIED, UNRECOGNIZED ->
                throw ApiException.field(
                    ErrorReason.MISSING_FIELD,
                    at + ".outcome",
                    "SYNCED, FAILED or DELETED is required");
          };
      if (outcome == SyncReport.Outcome.SYNCED && r.getSpireEntryId().isEmpty()) {
        throw ApiException.field(
            ErrorReason.MISSING_FIELD,
            at + ".spire_entry_id",
            "a SYNCED result names the SPIRE entry id");
      }
      Text.check(r.getSpireEntryId(), at + ".spire_entry_id", 255);
      if (r.getError().length() > MAX_ERROR || r.getError().indexOf(0) >= 0) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD,
            at + ".error",
            "at most " + MAX_ERROR + " characters and no NUL");
      }
      if (!r.getReason().isEmpty() && !REASON.matcher(r.getReason()).matches()) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD, at + ".reason", "1 to 32 of [A-Z_], e.g. SPIRE_UNAVAILABLE");
      }
      reports.add(
          new SyncReport(
              Ids.parse(r.getEntryId(), at + ".entry_id"),
              r.getRevision(),
              outcome,
              r.getSpireEntryId(),
              r.getError().isEmpty() ? "failed (no detail reported)" : r.getError(),
              r.getReason().isEmpty() ? "UNKNOWN" : r.getReason()));
    }
    return reports;
  }
}
