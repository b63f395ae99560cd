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
public class SyncEventRepository {
  private static final String FETCH =
      "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)"
          + " SELECT e.id, e.xid, e.entry_id, e.site_id, e.sync_state, e.revision, e.last_error,"
          + " e.occurred_at, e.xid >= h.xmin AS held FROM sync_events e, h"
          + " WHERE (e.xid, e.id) > ($1, $2)"
          + " AND (cardinality($3::uuid[]) = 0 OR e.site_id = ANY($3))"
          + " AND (cardinality($4::uuid[]) = 0 OR e.entry_id = ANY($4))"
          + " ORDER BY e.xid, e.id LIMIT $5";

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
      boolean heldBack) {}

  /** The oldest transaction id still running: events from it or later are in the future. */
  public Uni<Long> oldestRunningXid() {
    return pool.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")
        .execute()
        .map(rows -> rows.iterator().next().getLong("xmin"));
  }

  /**
   * Up to {@code limit} events after (xid, id) of the given sites and entries (empty: all), in
   * (xid, id) order.
   */
  public Uni<List<Event>> after(long xid, long id, UUID[] sites, UUID[] entries, int limit) {
    return pool.preparedQuery(FETCH)
        .execute(Tuple.of(xid, id, sites, entries, limit))
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
                        r.getBoolean("held")));
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
