package io.spiremgmt.backend.sync;

import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.FailingEntry;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ListSiteEntriesResponse;
import io.spiremgmt.api.v1.ListUnmanagedEntriesResponse;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SiteSyncStatus;
import io.spiremgmt.api.v1.SyncCounts;
import io.spiremgmt.api.v1.SyncStatus;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.sync.lease.LeaseService;
import java.util.List;

/** Sync domain → SyncService messages. */
public final class SyncMapper {
  private SyncMapper() {}

  /** The answer to a poll; {@code reportApplied} when the poll carried results, now applied. */
  public static PollEntriesResponse toProto(
      List<SyncPollService.Change> changes, boolean reportApplied) {
    PollEntriesResponse.Builder b =
        PollEntriesResponse.newBuilder().setReportApplied(reportApplied);
    for (SyncPollService.Change c : changes) {
      b.addChanges(
          EntryChange.newBuilder()
              .setKind(c.delete() ? ChangeKind.CHANGE_KIND_DELETE : ChangeKind.CHANGE_KIND_UPSERT)
              .setEntry(EntryMapper.toProto(c.entry()))
              .setRevision(c.revision()));
    }
    return b.build();
  }

  /** A page of a site's desired state. */
  public static ListSiteEntriesResponse toProto(Page<SyncPollService.SiteEntry> page) {
    ListSiteEntriesResponse.Builder b =
        ListSiteEntriesResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.items()
        .forEach(
            e ->
                b.addEntries(
                    SiteEntry.newBuilder()
                        .setEntry(EntryMapper.toProto(e.entry()))
                        .setRevision(e.revision())
                        .setSyncState(EntryMapper.toProto(e.state()))));
    return b.build();
  }

  /** A lease as the agent sees it. */
  public static Lease toProto(LeaseService.Grant grant) {
    return Lease.newBuilder()
        .setHeld(grant.held())
        .setHolderAgentId(grant.holder())
        .setExpireTime(ProtoTime.toTimestamp(grant.expiresAt()))
        .setTtl(ProtoTime.toDuration(grant.ttl()))
        .build();
  }

  /** A page of unmanaged entries. */
  public static ListUnmanagedEntriesResponse toProto(LeaseService.UnmanagedPage unmanaged) {
    ListUnmanagedEntriesResponse.Builder b =
        ListUnmanagedEntriesResponse.newBuilder()
            .setTotalCount(unmanaged.total())
            .setNextPageToken(unmanaged.page().nextPageToken());
    unmanaged
        .page()
        .items()
        .forEach(
            u ->
                b.addEntries(
                    UnmanagedEntry.newBuilder()
                        .setSpireEntryId(u.spireEntryId())
                        .setSpiffeId(u.spiffeId())
                        .setParentId(u.parentId())
                        .addAllSelectors(u.selectors())));
    return b.build();
  }

  /** The sync status. */
  public static SyncStatus toProto(SyncControlService.Status status) {
    SyncStatus.Builder b = SyncStatus.newBuilder().setOverall(counts(status.overall()));
    status
        .sites()
        .forEach(
            (site, counts) -> {
              SiteSyncStatus.Builder s =
                  SiteSyncStatus.newBuilder().setSiteId(site.toString()).setCounts(counts(counts));
              if (counts.oldestWaiting() != null) {
                s.setOldestPendingTime(ProtoTime.toTimestamp(counts.oldestWaiting()));
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
}
