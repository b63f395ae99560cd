package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.sync.EventLogRepository;
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
 * The {@code entry_request_events} log (migration V10), read in id order up to its horizon
 * (migration V12), as the sync event log is.
 */
@ApplicationScoped
public class EntryRequestEventRepository {
  // Scans the next rows whatever the scope and says which ones the subscriber may see: the caller
  // advances past every row scanned.
  private static final String FETCH =
      "WITH s AS (SELECT * FROM entry_request_events e WHERE e.id > $1 ORDER BY e.id LIMIT $2)"
          + " SELECT s.id, s.request_id, s.event, s.actor, s.occurred_at,"
          + " ($3::text IS NULL OR r.requester_person = $3 OR r.namespaces && $4::text[])"
          + " AS wanted"
          + " FROM s LEFT JOIN entry_requests r ON r.id = s.request_id"
          + " ORDER BY s.id";

  private final Pool pool;
  private final EventLogRepository queries;

  EntryRequestEventRepository(Pool pool) {
    this.pool = pool;
    this.queries =
        new EventLogRepository(pool, "entry_request_events", "entry_request_events_id_seq", 82);
  }

  /** The log's horizon and cursor queries, for its {@link EventLogTail}. */
  public EventLogRepository queries() {
    return queries;
  }

  /**
   * One logged change of a request.
   *
   * @param id its id
   * @param requestId the request
   * @param event what happened
   * @param actor who did it
   * @param occurredAt when it was written
   * @param heldBack whether it lies above the horizon (a running transaction may still add events
   *     before it)
   * @param wanted whether the subscriber may see the request
   */
  public record Event(
      long id,
      UUID requestId,
      String event,
      String actor,
      Instant occurredAt,
      boolean heldBack,
      boolean wanted) {}

  /**
   * The next {@code limit} events after {@code id}, each marked whether it lies above the log's
   * horizon and whether a subscriber who is {@code person} with Developer namespaces {@code scope}
   * sees it (a null person: every event).
   */
  public Uni<List<Event>> after(long id, String person, String[] scope, int limit) {
    // Both sent at once on one connection, so one round trip: the server runs the horizon first,
    // and the fetch, a later statement with a later snapshot, sees every row at or below it.
    return pool.withConnection(
        c ->
            Uni.combine()
                .all()
                .unis(
                    queries.horizon(c),
                    c.preparedQuery(FETCH).execute(Tuple.of(id, limit, person, scope)))
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
                                r.getUUID("request_id"),
                                r.getString("event"),
                                r.getString("actor"),
                                r.getOffsetDateTime("occurred_at").toInstant(),
                                at > horizon,
                                Boolean.TRUE.equals(r.getBoolean("wanted"))));
                      }
                      return out;
                    }));
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
