package io.spiremgmt.backend.sync;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.entry.EntryRepository;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.site.SiteEntity;
import io.spiremgmt.backend.site.SiteRepository;
import io.spiremgmt.backend.sync.lease.LeaseService;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Applies an agent's report of what it did at its site, in one transaction with an audit event per
 * state change. A run of failures of one (entry, site, revision) is audited when it starts and when
 * it ends (with the count reached); the failures in between only count on the row. Stale-safe: a
 * result for an older revision than the row's target never changes it. Idempotent: a report
 * repeated with the same request id changes nothing. DELETED at the last site of an entry being
 * deleted purges the entry.
 */
@ApplicationScoped
public class SyncReportService {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private final Mutiny.SessionFactory sessions;
  private final Pool pool;
  private final SiteRepository sites;
  private final EntryRepository entries;
  private final SyncQueueRepository queue;
  private final AuditRepository audit;
  private final LeaseService leases;
  private final SyncMetrics metrics;

  SyncReportService(
      Mutiny.SessionFactory sessions,
      Pool pool,
      SiteRepository sites,
      EntryRepository entries,
      SyncQueueRepository queue,
      AuditRepository audit,
      LeaseService leases,
      SyncMetrics metrics) {
    this.sessions = sessions;
    this.pool = pool;
    this.sites = sites;
    this.entries = entries;
    this.queue = queue;
    this.audit = audit;
    this.leases = leases;
    this.metrics = metrics;
  }

  /**
   * An agent's report.
   *
   * @param siteId its site
   * @param agentId the reporting agent, which must hold the site's lease
   * @param results one result per (entry, revision)
   * @param requestId the report's id: a retry with the same id changes nothing more
   */
  public record Report(UUID siteId, String agentId, List<SyncReport> results, String requestId) {}

  /**
   * Applies a lease holder's results; those that changed a stored state. SYNCED results, the bulk
   * of every report, are applied set-based in one transaction ({@link #applySynced}); the others
   * one by one through the session in a second. Each transaction writes its rows' audit events, and
   * each row remembers the report id, so a retried report applies only what did not commit.
   */
  public Uni<List<SyncReport>> report(Caller caller, Report report) {
    // The lease is checked in each transaction that applies results (an empty report only here).
    Uni<Void> fenced =
        report.results().isEmpty()
            ? leases.requireHolder(report.siteId(), report.agentId(), false)
            : Uni.createFrom().voidItem();
    return fenced
        .chain(
            () ->
                apply(
                    caller,
                    report.siteId(),
                    report.agentId(),
                    report.results(),
                    report.requestId()))
        .invoke(applied -> metrics.applied(report.siteId(), applied));
  }

  private Uni<List<SyncReport>> apply(
      Caller caller, UUID siteId, String agentId, List<SyncReport> results, String requestId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<SyncReport> synced =
        results.stream().filter(r -> r.outcome() == SyncReport.Outcome.SYNCED).toList();
    List<SyncReport> others =
        results.stream().filter(r -> r.outcome() != SyncReport.Outcome.SYNCED).toList();
    return applySynced(caller, siteId, agentId, synced, requestId, now)
        .chain(
            fast ->
                others.isEmpty()
                    ? Uni.createFrom().item(fast)
                    : applyOneByOne(caller, siteId, agentId, others, requestId, now)
                        .map(
                            slow -> {
                              List<SyncReport> all = new ArrayList<>(fast);
                              all.addAll(slow);
                              return all;
                            }));
  }

  /**
   * SYNCED results in three statements whatever their number: lock the site's rows of the entries
   * (in entry id order), mark the applicable ones SYNCED, append their audit events.
   */
  private Uni<List<SyncReport>> applySynced(
      Caller caller,
      UUID siteId,
      String agentId,
      List<SyncReport> synced,
      String requestId,
      Instant now) {
    if (synced.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    Map<UUID, SyncReport> byEntry = new HashMap<>();
    synced.forEach(r -> byEntry.put(r.entryId(), r));
    // The lease is checked again in the transaction, its row share-locked until the commit: a
    // takeover after the check outside cannot slip this report in.
    return pool.withTransaction(
        tx ->
            leases
                .requireHolder(tx, siteId, agentId, false)
                .chain(() -> queue.lockRows(tx, siteId, byEntry.keySet()))
                .chain(
                    rows -> {
                      List<SyncReport> applied = new ArrayList<>();
                      List<AuditRecord> events = new ArrayList<>();
                      for (SyncQueueRepository.Locked row : rows) {
                        SyncReport r = byEntry.get(row.entryId());
                        if (r.revision() != row.targetRevision()
                            || requestId.equals(row.lastReportId())
                            || row.state() == EntrySiteEntity.SyncState.DELETING
                            || row.state() == EntrySiteEntity.SyncState.SYNCED
                                && r.spireEntryId().equals(row.spireEntryId())) {
                          continue;
                        }
                        applied.add(r);
                        events.add(
                            new AuditRecord(
                                caller.name(),
                                AuditAction.ENTRY_SYNC,
                                row.entryId().toString(),
                                requestId,
                                json(
                                    siteId,
                                    row.siteName(),
                                    row.state(),
                                    row.lastSyncAt(),
                                    row.lastError(),
                                    row.spireEntryId(),
                                    row.attempts()),
                                json(
                                    siteId,
                                    row.siteName(),
                                    EntrySiteEntity.SyncState.SYNCED,
                                    now,
                                    null,
                                    r.spireEntryId(),
                                    0)));
                      }
                      if (applied.isEmpty()) {
                        return Uni.createFrom().item(applied);
                      }
                      return queue
                          .markSynced(
                              tx,
                              siteId,
                              applied.stream().map(SyncReport::entryId).toList(),
                              applied.stream().map(SyncReport::spireEntryId).toList(),
                              now,
                              requestId)
                          .chain(() -> audit.appendAll(tx, events))
                          .replaceWith(applied);
                    }));
  }

  private Uni<List<SyncReport>> applyOneByOne(
      Caller caller,
      UUID siteId,
      String agentId,
      List<SyncReport> results,
      String requestId,
      Instant now) {
    return sessions.withTransaction(
        (s, tx) ->
            leases
                .requireHolder(s, siteId, agentId)
                .chain(() -> sites.find(s, siteId))
                .chain(
                    site -> {
                      if (site == null) {
                        throw ApiException.field(
                            ErrorReason.SITE_NOT_FOUND, "site_id", "no site has id " + siteId);
                      }
                      // Results are applied in entry id order. SYNCED and FAILED lock only this
                      // site's row of the entry (the row's target revision is what they check), so
                      // the agents of an entry's sites do not queue behind each other. DELETED may
                      // purge the entry, so it locks the entry first and then the row, like every
                      // writer. Neither order can deadlock with a writer, which locks one entry
                      // and then that entry's rows.
                      List<SyncReport> ordered =
                          results.stream()
                              .sorted(Comparator.comparing(SyncReport::entryId))
                              .toList();
                      Multi<SyncReport> applied =
                          Multi.createFrom()
                              .iterable(ordered)
                              .onItem()
                              .transformToUniAndConcatenate(
                                  r ->
                                      apply(s, caller, site, r, requestId, now)
                                          // Each result is flushed on its own; clearing keeps
                                          // the next flush from dirty-checking every row so far.
                                          .call(s::flush)
                                          .invoke(s::clear)
                                          .map(ok -> ok ? r : null));
                      return applied.collect().asList();
                    }));
  }

  private Uni<Boolean> apply(
      Mutiny.Session s,
      Caller caller,
      SiteEntity site,
      SyncReport r,
      String requestId,
      Instant now) {
    // DELETED locks the entry, but only when this site's row of it is DELETING: a report about an
    // entry the site does not hold (another site's, say) must not lock it.
    Uni<Boolean> entryExists =
        r.outcome() == SyncReport.Outcome.DELETED
            ? entries
                .deletingAt(s, r.entryId(), site.getId())
                .chain(
                    deleting ->
                        deleting
                            ? entries.lock(s, r.entryId()).map(entry -> entry != null)
                            : Uni.createFrom().item(false))
            : Uni.createFrom().item(true);
    return entryExists
        .chain(
            exists ->
                !exists
                    ? Uni.createFrom().<EntrySiteEntity>nullItem()
                    : queue.lockRow(s, r.entryId(), site.getId()))
        .chain(
            row -> {
              if (row == null
                  || r.revision() != row.getTargetRevision()
                  || requestId.equals(row.getLastReportId())) {
                // Unknown pair (purged or unassigned), a stale or future revision, or a repeated
                // report.
                return Uni.createFrom().item(false);
              }
              String before = json(row, site);
              switch (r.outcome()) {
                case SYNCED -> {
                  if (row.getSyncState() == EntrySiteEntity.SyncState.DELETING
                      || row.getSyncState() == EntrySiteEntity.SyncState.SYNCED
                          && r.spireEntryId().equals(row.getSpireEntryId())) {
                    return Uni.createFrom().item(false);
                  }
                  row.markSynced(r.spireEntryId(), now, requestId);
                }
                case FAILED -> {
                  // Only the first failure of a run is audited; the next ones are counted on the
                  // row (attempts, last error, next retry), and the run's end is audited with the
                  // count reached. A SPIRE outage must not write an audit row per retry.
                  boolean runStarts = row.getAttempts() == 0;
                  int attempts = row.getAttempts() + 1;
                  Instant retryAt =
                      now.plus(Backoff.delay(attempts, ThreadLocalRandom.current().nextDouble()));
                  row.markFailed(r.error(), now, retryAt, requestId);
                  if (!runStarts) {
                    return s.flush().replaceWith(true);
                  }
                }
                case DELETED -> {
                  if (row.getSyncState() != EntrySiteEntity.SyncState.DELETING) {
                    return Uni.createFrom().item(false);
                  }
                  return queue
                      .removeRow(s, row)
                      .chain(
                          () ->
                              record(
                                  s,
                                  caller,
                                  AuditAction.ENTRY_UNASSIGN,
                                  r.entryId(),
                                  requestId,
                                  before,
                                  null))
                      .chain(() -> purgeIfDone(s, caller, r.entryId(), requestId))
                      .replaceWith(true);
                }
              }
              return s.flush()
                  .chain(
                      () ->
                          record(
                              s,
                              caller,
                              AuditAction.ENTRY_SYNC,
                              r.entryId(),
                              requestId,
                              before,
                              json(row, site)))
                  .replaceWith(true);
            });
  }

  /**
   * Removes an entry being deleted once no site holds a row for it any more (the entry is locked
   * already).
   */
  private Uni<Void> purgeIfDone(Mutiny.Session s, Caller caller, UUID entryId, String requestId) {
    return entries
        .lock(s, entryId)
        .chain(
            entry -> {
              if (entry == null || entry.getDeleteRequestedAt() == null) {
                return Uni.createFrom().voidItem();
              }
              return entries
                  .siteRows(s, entryId)
                  .chain(
                      rows -> {
                        if (!rows.isEmpty()) {
                          return Uni.createFrom().voidItem();
                        }
                        return entries
                            .views(s, List.of(entry))
                            .chain(
                                views ->
                                    entries
                                        .purge(s, entry)
                                        .chain(
                                            () ->
                                                record(
                                                    s,
                                                    caller,
                                                    AuditAction.ENTRY_PURGE,
                                                    entryId,
                                                    requestId,
                                                    EntryMapper.json(views.get(0)),
                                                    null)));
                      });
            });
  }

  private Uni<Void> record(
      Mutiny.Session s,
      Caller caller,
      AuditAction action,
      UUID entryId,
      String requestId,
      String before,
      String after) {
    return audit.append(
        s, new AuditRecord(caller.name(), action, entryId.toString(), requestId, before, after));
  }

  private static String json(EntrySiteEntity row, SiteEntity site) {
    return json(
        site.getId(),
        site.getName(),
        row.getSyncState(),
        row.getLastSyncAt(),
        row.getLastError(),
        row.getSpireEntryId(),
        row.getAttempts());
  }

  /** The audit JSON of a site's sync status of an entry (an {@code EntrySiteStatus}). */
  private static String json(
      UUID siteId,
      String siteName,
      EntrySiteEntity.SyncState state,
      Instant lastSyncAt,
      String lastError,
      String spireEntryId,
      int failedAttempts) {
    EntrySiteStatus.Builder b =
        EntrySiteStatus.newBuilder()
            .setSiteId(siteId.toString())
            .setSiteName(siteName)
            .setSyncState(EntryMapper.toProto(state))
            .setFailedAttempts(failedAttempts);
    if (lastSyncAt != null) {
      b.setLastSyncTime(ProtoTime.toTimestamp(lastSyncAt));
    }
    if (lastError != null) {
      b.setLastError(lastError);
    }
    if (spireEntryId != null) {
      b.setSpireEntryId(spireEntryId);
    }
    try {
      return JSON.print(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
