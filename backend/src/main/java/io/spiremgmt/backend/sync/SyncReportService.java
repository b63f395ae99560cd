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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
  private final Pool pool;

  SyncReportService(
      Pool pool,
      Mutiny.SessionFactory sessions,
      SiteRepository sites,
      EntryRepository entries,
      AuditRepository audit) {
    this.pool = pool;
    this.sessions = sessions;
    this.sites = sites;
    this.entries = entries;
    this.audit = audit;
  }

  /**
   * Applies the results; those that changed a stored state. SYNCED results, the bulk of every
   * report, are applied set-based in one transaction ({@link #applySynced}); the others one by one
   * through the session in a second. Each transaction writes its rows' audit events, and each row
   * remembers the report id, so a retried report applies only what did not commit.
   */
  public Uni<List<SyncReport>> report(
      Caller caller, UUID siteId, List<SyncReport> results, String requestId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<SyncReport> synced =
        results.stream().filter(r -> r.outcome() == SyncReport.Outcome.SYNCED).toList();
    List<SyncReport> others =
        results.stream().filter(r -> r.outcome() != SyncReport.Outcome.SYNCED).toList();
    return applySynced(caller, siteId, synced, requestId, now)
        .chain(
            fast ->
                others.isEmpty()
                    ? Uni.createFrom().item(fast)
                    : applyOneByOne(caller, siteId, others, requestId, now)
                        .map(
                            slow -> {
                              List<SyncReport> all = new ArrayList<>(fast);
                              all.addAll(slow);
                              return all;
                            }));
  }

  // The site exists: the lease check before the report proved it.
  private static final String LOCK_ROWS =
      "SELECT (SELECT name FROM sites WHERE id = $1) AS site_name, w.workload_entry_id,"
          + " w.sync_status, w.target_revision, w.spire_entry_id, w.last_sync_at, w.last_error,"
          + " w.last_report_id FROM workload_entry_sites w"
          + " WHERE w.site_id = $1 AND w.workload_entry_id = ANY($2)"
          + " ORDER BY w.workload_entry_id FOR UPDATE";

  private static final String MARK_SYNCED =
      "UPDATE workload_entry_sites w SET sync_status = 'SYNCED', spire_entry_id = u.spire,"
          + " last_sync_at = $3, last_error = NULL, changed_at = $3, last_report_id = $4,"
          + " attempts = 0, next_attempt_at = NULL"
          + " FROM unnest($2::uuid[], $5::text[]) AS u(id, spire)"
          + " WHERE w.site_id = $1 AND w.workload_entry_id = u.id";

  private static final String AUDIT_SYNCED =
      "INSERT INTO audit_events (actor, action, target_type, target_id, request_id, before_state,"
          + " after_state) SELECT $1, 'entry.sync', 'entry', x.target, $2, x.before::jsonb,"
          + " x.after::jsonb FROM unnest($3::text[], $4::text[], $5::text[]) AS x(target, before, after)";

  /**
   * SYNCED results in three statements whatever their number: lock the site's rows of the entries
   * (in entry id order), mark the applicable ones SYNCED, append their audit events.
   */
  private Uni<List<SyncReport>> applySynced(
      Caller caller, UUID siteId, List<SyncReport> synced, String requestId, Instant now) {
    if (synced.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    Map<UUID, SyncReport> byEntry = new java.util.HashMap<>();
    synced.forEach(r -> byEntry.put(r.entryId(), r));
    return pool.withTransaction(
        tx ->
            tx.preparedQuery(LOCK_ROWS)
                .execute(Tuple.of(siteId, byEntry.keySet().toArray(UUID[]::new)))
                .chain(
                    rows -> {
                      List<SyncReport> applied = new ArrayList<>();
                      List<String> targets = new ArrayList<>();
                      List<String> befores = new ArrayList<>();
                      List<String> afters = new ArrayList<>();
                      for (Row row : rows) {
                        UUID entryId = row.getUUID("workload_entry_id");
                        SyncReport r = byEntry.get(entryId);
                        String state = row.getString("sync_status");
                        String spireId = row.getString("spire_entry_id");
                        if (r.revision() != row.getLong("target_revision")
                            || requestId.equals(row.getString("last_report_id"))
                            || "DELETING".equals(state)
                            || "SYNCED".equals(state) && r.spireEntryId().equals(spireId)) {
                          continue;
                        }
                        String siteName = row.getString("site_name");
                        OffsetDateTime lastSync = row.getOffsetDateTime("last_sync_at");
                        applied.add(r);
                        targets.add(entryId.toString());
                        befores.add(
                            json(
                                siteId,
                                siteName,
                                EntrySiteEntity.SyncState.valueOf(state),
                                lastSync == null ? null : lastSync.toInstant(),
                                row.getString("last_error"),
                                spireId));
                        afters.add(
                            json(
                                siteId,
                                siteName,
                                EntrySiteEntity.SyncState.SYNCED,
                                now,
                                null,
                                r.spireEntryId()));
                      }
                      if (applied.isEmpty()) {
                        return Uni.createFrom().item(applied);
                      }
                      UUID[] ids = applied.stream().map(SyncReport::entryId).toArray(UUID[]::new);
                      String[] spireIds =
                          applied.stream().map(SyncReport::spireEntryId).toArray(String[]::new);
                      return tx.preparedQuery(MARK_SYNCED)
                          .execute(
                              Tuple.of(siteId, ids, now.atOffset(ZoneOffset.UTC), requestId)
                                  .addArrayOfString(spireIds))
                          .chain(
                              () ->
                                  tx.preparedQuery(AUDIT_SYNCED)
                                      .execute(
                                          Tuple.of(
                                              caller.name(),
                                              requestId,
                                              targets.toArray(String[]::new),
                                              befores.toArray(String[]::new),
                                              afters.toArray(String[]::new))))
                          .replaceWith(applied);
                    }));
  }

  private Uni<List<SyncReport>> applyOneByOne(
      Caller caller, UUID siteId, List<SyncReport> results, String requestId, Instant now) {
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
    return json(
        site.getId(),
        site.getName(),
        row.getSyncState(),
        row.getLastSyncAt(),
        row.getLastError(),
        row.getSpireEntryId());
  }

  /** The audit JSON of a site's sync status of an entry (an {@code EntrySiteStatus}). */
  private static String json(
      UUID siteId,
      String siteName,
      EntrySiteEntity.SyncState state,
      Instant lastSyncAt,
      String lastError,
      String spireEntryId) {
    EntrySiteStatus.Builder b =
        EntrySiteStatus.newBuilder()
            .setSiteId(siteId.toString())
            .setSiteName(siteName)
            .setSyncState(EntryMapper.toProto(state));
    if (lastSyncAt != null) {
      b.setLastSyncTime(EntryMapper.toTimestamp(lastSyncAt));
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
