package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The {@code sync_events} log (migration V5), written by a trigger on every sync state change and
 * read in (xid, id) order behind the oldest running transaction.
 */
@ApplicationScoped
public class SyncEventRepository implements EventLogTail.Log {
  // Scans the next rows of the log whatever the filter, and says which ones the filter wants: the
  // caller advances past every row scanned, so a filter that rarely matches does not rescan.
  private static final String FETCH =
      "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin),"
          + " s AS (SELECT * FROM sync_events e WHERE (e.xid, e.id) > ($1, $2)"
          + " ORDER BY e.xid, e.id LIMIT $5)"
          + " SELECT s.id, s.xid, s.entry_id, s.site_id, s.sync_state, s.revision, s.last_error,"
          + " s.occurred_at, s.xid >= h.xmin AS held,"
          + " (cardinality($3::uuid[]) = 0 OR s.site_id = ANY($3))"
          + " AND (cardinality($4::uuid[]) = 0 OR s.entry_id = ANY($4))"
          + " AND (NOT $6::boolean OR s.namespaces && $7::text[]) AS wanted"
          + " FROM s, h ORDER BY s.xid, s.id";

  private final Pool pool;

  SyncEventRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * One logged state change.
   *
   * @param id its id
   * @param xid the writing transaction's id
   * @param entryId the entry
   * @param siteId the site
   * @param syncState the new state ({@code PENDING}, … , {@code REMOVED})
   * @param revision the entry's revision
   * @param lastError the site's last error, or null
   * @param occurredAt when it was written
   * @param heldBack whether an older transaction may still add events before it
   * @param wanted whether the subscriber's filter (sites, entries, a Developer's namespaces)
   *     selects it
   */
  public record Event(
      long id,
      long xid,
      UUID entryId,
      UUID siteId,
      String syncState,
      long revision,
      String lastError,
      Instant occurredAt,
      boolean heldBack,
      boolean wanted) {}

  @Override
  public Uni<Long> oldestRunningXid() {
    return pool.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")
        .execute()
        .map(rows -> rows.iterator().next().getLong("xmin"));
  }

  @Override
  public Uni<Boolean> contains(long xid, long id) {
    return pool.preparedQuery(
            "SELECT EXISTS (SELECT 1 FROM sync_events WHERE xid = $1 AND id = $2)")
        .execute(Tuple.of(xid, id))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /**
   * The next {@code limit} events after (xid, id) in (xid, id) order, each marked whether it is of
   * the given sites and entries (empty: all) and, when {@code namespaces} is not null, of an entry
   * with one of those namespaces when the event was written.
   */
  public Uni<List<Event>> after(
      long xid, long id, UUID[] sites, UUID[] entries, String[] namespaces, int limit) {
    return pool.preparedQuery(FETCH)
        .execute(
            Tuple.tuple()
                .addLong(xid)
                .addLong(id)
                .addArrayOfUUID(sites)
                .addArrayOfUUID(entries)
                .addInteger(limit)
                .addBoolean(namespaces != null)
                .addArrayOfString(namespaces == null ? new String[0] : namespaces))
        .map(
            rows -> {
              List<Event> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Event(
                        r.getLong("id"),
                        r.getLong("xid"),
                        r.getUUID("entry_id"),
                        r.getUUID("site_id"),
                        r.getString("sync_state"),
                        r.getLong("revision"),
                        r.getString("last_error"),
                        r.getOffsetDateTime("occurred_at").toInstant(),
                        r.getBoolean("held"),
                        r.getBoolean("wanted")));
              }
              return out;
            });
  }

  /** Deletes events older than {@code retention}; how many. */
  public Uni<Integer> purgeOlderThan(SqlClient tx, Duration retention) {
    return tx.preparedQuery(
            "DELETE FROM sync_events WHERE occurred_at < now() - $1 * interval '1 millisecond'")
        .execute(Tuple.of(retention.toMillis()))
        .map(rows -> rows.rowCount());
  }
}
