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
 * read in id order up to its horizon (migration V12): behind the transactions still writing events,
 * not behind every transaction on the server.
 */
@ApplicationScoped
public class SyncEventRepository {
  // Scans the next rows of the log whatever the filter, and says which ones the filter wants: the
  // caller advances past every row scanned, so a filter that rarely matches does not rescan.
  private static final String FETCH =
      "SELECT s.id, s.entry_id, s.site_id, s.sync_state, s.revision, s.last_error,"
          + " s.occurred_at,"
          + " (cardinality($2::uuid[]) = 0 OR s.site_id = ANY($2))"
          + " AND (cardinality($3::uuid[]) = 0 OR s.entry_id = ANY($3))"
          + " AND (NOT $5::boolean OR s.namespaces && $6::text[]) AS wanted"
          + " FROM sync_events s WHERE s.id > $1 ORDER BY s.id LIMIT $4";

  private final Pool pool;
  private final EventLogRepository queries;

  SyncEventRepository(Pool pool) {
    this.pool = pool;
    this.queries = new EventLogRepository(pool, "sync_events", "sync_events_id_seq", 83);
  }

  /** The log's horizon and cursor queries, for its {@link EventLogTail}. */
  public EventLogRepository queries() {
    return queries;
  }

  /**
   * One logged state change.
   *
   * @param id its id
   * @param entryId the entry
   * @param siteId the site
   * @param syncState the new state ({@code PENDING}, … , {@code REMOVED})
   * @param revision the entry's revision
   * @param lastError the site's last error, or null
   * @param occurredAt when it was written
   * @param heldBack whether it lies above the horizon (a running transaction may still add events
   *     before it)
   * @param wanted whether the subscriber's filter (sites, entries, a Developer's namespaces)
   *     selects it
   */
  public record Event(
      long id,
      UUID entryId,
      UUID siteId,
      String syncState,
      long revision,
      String lastError,
      Instant occurredAt,
      boolean heldBack,
      boolean wanted) {}

  /**
   * The next {@code limit} events after {@code id} in id order, each marked whether it lies above
   * the log's horizon, whether it is of the given sites and entries (empty: all) and, when {@code
   * namespaces} is not null, of an entry with one of those namespaces when the event was written.
   */
  public Uni<List<Event>> after(
      long id, UUID[] sites, UUID[] entries, String[] namespaces, int limit) {
    Tuple args =
        Tuple.tuple()
            .addLong(id)
            .addArrayOfUUID(sites)
            .addArrayOfUUID(entries)
            .addInteger(limit)
            .addBoolean(namespaces != null)
            .addArrayOfString(namespaces == null ? new String[0] : namespaces);
    // Both sent at once on one connection, so one round trip: the server runs the horizon first,
    // and the fetch, a later statement with a later snapshot, sees every row at or below it.
    return pool.withConnection(
        c ->
            Uni.combine()
                .all()
                .unis(queries.horizon(c), c.preparedQuery(FETCH).execute(args))
                .asTuple()
                .map(
                    t -> {
                      long horizon = t.getItem1();
                      List<Event> out = new ArrayList<>();
                      for (Row r : t.getItem2()) {
                        long at = r.getLong("id");
                        out.add(
                            new Event(
                                at,
                                r.getUUID("entry_id"),
                                r.getUUID("site_id"),
                                r.getString("sync_state"),
                                r.getLong("revision"),
                                r.getString("last_error"),
                                r.getOffsetDateTime("occurred_at").toInstant(),
                                at > horizon,
                                r.getBoolean("wanted")));
                      }
                      return out;
                    }));
  }

  /** Deletes events older than {@code retention}; how many. */
  public Uni<Integer> purgeOlderThan(SqlClient tx, Duration retention) {
    return tx.preparedQuery(
            "DELETE FROM sync_events WHERE occurred_at < now() - $1 * interval '1 millisecond'")
        .execute(Tuple.of(retention.toMillis()))
        .map(rows -> rows.rowCount());
  }
}
