package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.sync.EventLogTail;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The {@code entry_request_events} log (migration V10), read in (xid, id) order behind the oldest
 * running transaction, as the sync event log is.
 */
@ApplicationScoped
public class EntryRequestEventRepository implements EventLogTail.Log {
  // Scans the next rows whatever the scope and says which ones the subscriber may see: the caller
  // advances past every row scanned.
  private static final String FETCH =
      "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin),"
          + " s AS (SELECT * FROM entry_request_events e WHERE (e.xid, e.id) > ($1, $2)"
          + " ORDER BY e.xid, e.id LIMIT $3)"
          + " SELECT s.id, s.xid, s.request_id, s.event, s.actor, s.occurred_at,"
          + " s.xid >= h.xmin AS held,"
          + " ($4::text IS NULL OR r.requester_person = $4 OR r.namespaces && $5::text[])"
          + " AS wanted"
          + " FROM s CROSS JOIN h LEFT JOIN entry_requests r ON r.id = s.request_id"
          + " ORDER BY s.xid, s.id";

  private final Pool pool;

  EntryRequestEventRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * One logged change of a request.
   *
   * @param id its id
   * @param xid the writing transaction's id
   * @param requestId the request
   * @param event what happened
   * @param actor who did it
   * @param occurredAt when it was written
   * @param heldBack whether an older transaction may still add events before it
   * @param wanted whether the subscriber may see the request
   */
  public record Event(
      long id,
      long xid,
      UUID requestId,
      String event,
      String actor,
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
            "SELECT EXISTS (SELECT 1 FROM entry_request_events WHERE xid = $1 AND id = $2)")
        .execute(Tuple.of(xid, id))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /**
   * The next {@code limit} events after (xid, id), each marked whether a subscriber who is {@code
   * person} with Developer namespaces {@code scope} sees it (a null person: every event).
   */
  public Uni<List<Event>> after(long xid, long id, String person, String[] scope, int limit) {
    return pool.preparedQuery(FETCH)
        .execute(Tuple.of(xid, id, limit, person, scope))
        .map(
            rows -> {
              List<Event> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Event(
                        r.getLong("id"),
                        r.getLong("xid"),
                        r.getUUID("request_id"),
                        r.getString("event"),
                        r.getString("actor"),
                        r.getOffsetDateTime("occurred_at").toInstant(),
                        r.getBoolean("held"),
                        Boolean.TRUE.equals(r.getBoolean("wanted"))));
              }
              return out;
            });
  }

  /** Deletes events older than {@code retention}; how many. */
  public Uni<Integer> purgeOlderThan(Duration retention) {
    return pool.preparedQuery(
            "DELETE FROM entry_request_events"
                + " WHERE occurred_at < now() - $1 * interval '1 millisecond'")
        .execute(Tuple.of(retention.toMillis()))
        .map(rows -> rows.rowCount());
  }
}
