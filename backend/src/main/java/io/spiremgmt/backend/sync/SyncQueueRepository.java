package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.entry.EntrySiteEntity.SyncState;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Each site's work list: the rows of {@code workload_entry_sites} as sync reads and changes them.
 * Polls and desired-state pages read plain SQL on the pool (a poll woken by NOTIFY runs on the
 * subscriber's context, which concurrent polls share, and a Hibernate session must never be
 * shared); reports and operator calls run in the transaction their service opened.
 */
@ApplicationScoped
public class SyncQueueRepository {
  private final Pool pool;

  SyncQueueRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * A change due at a site.
   *
   * @param entryId the entry
   * @param delete whether the site must remove it
   * @param revision the revision to report the result for
   */
  public record Due(UUID entryId, boolean delete, long revision) {}

  /**
   * The site's PENDING and DELETING rows and the FAILED ones whose backoff has passed, oldest
   * change first, at most {@code limit}.
   */
  public Uni<List<Due>> due(UUID siteId, int limit) {
    return pool.preparedQuery(
            "SELECT workload_entry_id, sync_status, target_revision FROM workload_entry_sites"
                + " WHERE site_id = $1 AND sync_status IN ('PENDING', 'DELETING', 'FAILED')"
                + " AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
                + " ORDER BY changed_at LIMIT $2")
        .execute(Tuple.of(siteId, limit))
        .map(
            rows -> {
              List<Due> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Due(
                        r.getUUID("workload_entry_id"),
                        "DELETING".equals(r.getString("sync_status")),
                        r.getLong("target_revision")));
              }
              return out;
            });
  }

  /** When the site's earliest FAILED change is due again, or null when none waits. */
  public Uni<Instant> nextRetryAt(UUID siteId) {
    return pool.preparedQuery(
            "SELECT min(next_attempt_at) AS next FROM workload_entry_sites"
                + " WHERE site_id = $1 AND sync_status = 'FAILED' AND next_attempt_at > now()")
        .execute(Tuple.of(siteId))
        .map(
            rows -> {
              OffsetDateTime next = rows.iterator().next().getOffsetDateTime("next");
              return next == null ? null : next.toInstant();
            });
  }

  /**
   * An entry a site must hold.
   *
   * @param entryId the entry
   * @param revision the revision to report
   * @param state the site's sync state of it
   */
  public record Assigned(UUID entryId, long revision, SyncState state) {}

  /**
   * Up to {@code limit} of the entries {@code siteId} must hold (assigned, not DELETING), by entry
   * id, after {@code after} (null: from the start): one index range scan.
   */
  public Uni<List<Assigned>> assigned(UUID siteId, UUID after, int limit) {
    return pool.preparedQuery(
            "SELECT workload_entry_id, target_revision, sync_status FROM workload_entry_sites"
                + " WHERE site_id = $1 AND ($2::uuid IS NULL OR workload_entry_id > $2)"
                + " AND sync_status <> 'DELETING' ORDER BY workload_entry_id LIMIT $3")
        .execute(Tuple.of(siteId, after, limit))
        .map(
            rows -> {
              List<Assigned> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Assigned(
                        r.getUUID("workload_entry_id"),
                        r.getLong("target_revision"),
                        SyncState.valueOf(r.getString("sync_status"))));
              }
              return out;
            });
  }

  /**
   * A site's row of an entry, locked for a report.
   *
   * @param siteName the site's name (for the audit JSON)
   * @param entryId the entry
   * @param state its sync state
   * @param targetRevision the revision it must reach
   * @param spireEntryId the SPIRE id it was synced as, or null
   * @param lastSyncAt its last sync, or null
   * @param lastError its last error, or null
   * @param lastReportId the request id of the last report applied to it, or null
   * @param attempts its failed attempts in a row
   */
  public record Locked(
      String siteName,
      UUID entryId,
      SyncState state,
      long targetRevision,
      String spireEntryId,
      Instant lastSyncAt,
      String lastError,
      String lastReportId,
      int attempts) {}

  /**
   * Locks the site's rows of {@code entryIds} in entry id order (the site exists: the lease fence
   * proved it).
   */
  public Uni<List<Locked>> lockRows(SqlClient tx, UUID siteId, Collection<UUID> entryIds) {
    return tx.preparedQuery(
            "SELECT (SELECT name FROM sites WHERE id = $1) AS site_name, w.workload_entry_id,"
                + " w.sync_status, w.target_revision, w.spire_entry_id, w.last_sync_at,"
                + " w.last_error, w.last_report_id, w.attempts FROM workload_entry_sites w"
                + " WHERE w.site_id = $1 AND w.workload_entry_id = ANY($2)"
                + " ORDER BY w.workload_entry_id FOR UPDATE")
        .execute(Tuple.of(siteId, entryIds.toArray(UUID[]::new)))
        .map(
            rows -> {
              List<Locked> out = new ArrayList<>();
              for (Row r : rows) {
                OffsetDateTime lastSync = r.getOffsetDateTime("last_sync_at");
                out.add(
                    new Locked(
                        r.getString("site_name"),
                        r.getUUID("workload_entry_id"),
                        SyncState.valueOf(r.getString("sync_status")),
                        r.getLong("target_revision"),
                        r.getString("spire_entry_id"),
                        lastSync == null ? null : lastSync.toInstant(),
                        r.getString("last_error"),
                        r.getString("last_report_id"),
                        r.getInteger("attempts")));
              }
              return out;
            });
  }

  /** Marks the site's rows of {@code entryIds} SYNCED as the SPIRE ids given, in one statement. */
  public Uni<Void> markSynced(
      SqlClient tx,
      UUID siteId,
      List<UUID> entryIds,
      List<String> spireIds,
      Instant now,
      String requestId) {
    return tx.preparedQuery(
            "UPDATE workload_entry_sites w SET sync_status = 'SYNCED', spire_entry_id = u.spire,"
                + " last_sync_at = $3, last_error = NULL, changed_at = $3, last_report_id = $4,"
                + " attempts = 0, next_attempt_at = NULL"
                + " FROM unnest($2::uuid[], $5::text[]) AS u(id, spire)"
                + " WHERE w.site_id = $1 AND w.workload_entry_id = u.id")
        .execute(
            Tuple.of(siteId, entryIds.toArray(UUID[]::new), now.atOffset(ZoneOffset.UTC), requestId)
                .addArrayOfString(spireIds.toArray(String[]::new)))
        .replaceWithVoid();
  }

  /** The site's row of an entry, locked, or null. */
  public Uni<EntrySiteEntity> lockRow(Mutiny.Session s, UUID entryId, UUID siteId) {
    return s.find(
        EntrySiteEntity.class,
        new EntrySiteEntity.Key(entryId, siteId),
        LockModeType.PESSIMISTIC_WRITE);
  }

  /** Removes a site's row of an entry (the site confirmed the removal). */
  public Uni<Void> removeRow(Mutiny.Session s, EntrySiteEntity row) {
    return s.remove(row).chain(s::flush);
  }

  /**
   * Makes the given sites' failed changes (only those of {@code entryIds}, when given) due now; how
   * many were reset at each site (sites without any are left out). The rows are locked first, in
   * the one lock order of these rows (entry id, then site id), so a report locking the same rows
   * cannot deadlock with it.
   */
  public Uni<Map<UUID, Long>> resetBackoff(
      Mutiny.Session s, List<UUID> siteIds, List<UUID> entryIds) {
    String sql =
        "WITH locked AS (SELECT workload_entry_id, site_id FROM workload_entry_sites"
            + " WHERE site_id IN (:sites) AND attempts > 0"
            + (entryIds.isEmpty() ? "" : " AND workload_entry_id IN (:entries)")
            + " ORDER BY workload_entry_id, site_id FOR UPDATE),"
            + " reset AS (UPDATE workload_entry_sites w SET next_attempt_at = NULL, attempts = 0"
            + " FROM locked l WHERE w.workload_entry_id = l.workload_entry_id"
            + " AND w.site_id = l.site_id RETURNING w.site_id)"
            + " SELECT site_id, count(*) FROM reset GROUP BY site_id";
    Mutiny.SelectionQuery<Object[]> q =
        s.createNativeQuery(sql, Object[].class).setParameter("sites", siteIds);
    if (!entryIds.isEmpty()) {
      q.setParameter("entries", entryIds);
    }
    return q.getResultList()
        .map(
            rows -> {
              Map<UUID, Long> bySite = new HashMap<>();
              rows.forEach(r -> bySite.put((UUID) r[0], ((Number) r[1]).longValue()));
              return bySite;
            });
  }

  /**
   * How many rows a site has in one state, and the oldest change among them.
   *
   * @param siteId the site
   * @param state the state
   * @param count how many
   * @param oldestChange the oldest {@code changed_at} among them
   */
  public record StateCount(UUID siteId, SyncState state, long count, Instant oldestChange) {}

  /** Counts per site and state, over the given sites (all when none are given). */
  public Uni<List<StateCount>> countByState(Mutiny.Session s, List<UUID> siteIds) {
    return withSites(
            s.createSelectionQuery(
                "select siteId, syncState, count(*), min(changedAt) from EntrySiteEntity"
                    + (siteIds.isEmpty() ? "" : " where siteId in :sites")
                    + " group by siteId, syncState",
                Object[].class),
            siteIds)
        .getResultList()
        .map(
            rows ->
                rows.stream()
                    .map(
                        r ->
                            new StateCount(
                                (UUID) r[0],
                                (SyncState) r[1],
                                ((Number) r[2]).longValue(),
                                (Instant) r[3]))
                    .toList());
  }

  /** Up to {@code max} rows with failed attempts, most attempts first, over the given sites. */
  public Uni<List<EntrySiteEntity>> failing(Mutiny.Session s, List<UUID> siteIds, int max) {
    return withSites(
            s.createSelectionQuery(
                "from EntrySiteEntity where attempts > 0"
                    + (siteIds.isEmpty() ? "" : " and siteId in :sites")
                    + " order by attempts desc, changedAt",
                EntrySiteEntity.class),
            siteIds)
        .setMaxResults(max)
        .getResultList();
  }

  private static <T> Mutiny.SelectionQuery<T> withSites(
      Mutiny.SelectionQuery<T> q, List<UUID> siteIds) {
    return siteIds.isEmpty() ? q : q.setParameter("sites", siteIds);
  }
}
