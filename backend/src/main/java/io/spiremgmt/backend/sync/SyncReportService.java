package io.spiremgmt.backend.sync;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.entry.EntryRepository;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.site.SiteEntity;
import io.spiremgmt.backend.site.SiteRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Applies an agent's report of what it did at its site, in one transaction with an audit event per
 * state change. Stale-safe: a result for an older revision than the row's target never changes it.
 * Idempotent: a report repeated with the same request id changes nothing. DELETED at the last site
 * of an entry being deleted purges the entry.
 */
@ApplicationScoped
public class SyncReportService {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private final Mutiny.SessionFactory sessions;
  private final SiteRepository sites;
  private final EntryRepository entries;
  private final AuditRepository audit;

  SyncReportService(
      Mutiny.SessionFactory sessions,
      SiteRepository sites,
      EntryRepository entries,
      AuditRepository audit) {
    this.sessions = sessions;
    this.sites = sites;
    this.entries = entries;
    this.audit = audit;
  }

  /** Applies the results; those that changed a stored state. */
  public Uni<List<SyncReport>> report(
      Caller caller, UUID siteId, List<SyncReport> results, String requestId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    return sessions.withTransaction(
        (s, tx) ->
            sites
                .find(s, siteId)
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
    Uni<Boolean> entryExists =
        r.outcome() == SyncReport.Outcome.DELETED
            ? entries.lock(s, r.entryId()).map(entry -> entry != null)
            : Uni.createFrom().item(true);
    return entryExists
        .chain(
            exists ->
                !exists
                    ? Uni.createFrom().<EntrySiteEntity>nullItem()
                    : s.find(
                        EntrySiteEntity.class,
                        new EntrySiteEntity.Key(r.entryId(), site.getId()),
                        LockModeType.PESSIMISTIC_WRITE))
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
                  int attempts = row.getAttempts() + 1;
                  Instant retryAt =
                      now.plus(Backoff.delay(attempts, ThreadLocalRandom.current().nextDouble()));
                  row.markFailed(r.error(), now, retryAt, requestId);
                }
                case DELETED -> {
                  if (row.getSyncState() != EntrySiteEntity.SyncState.DELETING) {
                    return Uni.createFrom().item(false);
                  }
                  return s.remove(row)
                      .chain(s::flush)
                      .chain(
                          () ->
                              record(
                                  s,
                                  caller,
                                  "entry.unassign",
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
                              "entry.sync",
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
                                                    "entry.purge",
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
      String action,
      UUID entryId,
      String requestId,
      String before,
      String after) {
    return audit.append(
        s,
        new AuditRecord(
            caller.name(), action, "entry", entryId.toString(), requestId, before, after));
  }

  private static String json(EntrySiteEntity row, SiteEntity site) {
    EntrySiteStatus.Builder b =
        EntrySiteStatus.newBuilder()
            .setSiteId(site.getId().toString())
            .setSiteName(site.getName())
            .setSyncState(EntryMapper.toProto(row.getSyncState()));
    if (row.getLastSyncAt() != null) {
      b.setLastSyncTime(EntryMapper.toTimestamp(row.getLastSyncAt()));
    }
    if (row.getLastError() != null) {
      b.setLastError(row.getLastError());
    }
    if (row.getSpireEntryId() != null) {
      b.setSpireEntryId(row.getSpireEntryId());
    }
    try {
      return JSON.print(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
