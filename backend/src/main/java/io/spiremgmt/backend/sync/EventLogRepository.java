package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The queries every event log table answers for its {@link EventLogTail} (migration V12): its
 * horizon, whether a row is still kept, and where a former (xid, id) cursor resumes. One per table
 * ({@code sync_events}, {@code entry_request_events}), held by that table's repository.
 */
public final class EventLogRepository implements EventLogTail.Log {
  private final Pool pool;
  private final String horizon;
  private final String contains;
  private final String resumeFormer;

  /**
   * The queries of {@code table}, whose ids come from {@code sequence} and whose writers' marks
   * carry {@code tag} (the trigger's second argument in migration V12).
   */
  public EventLogRepository(Pool pool, String table, String sequence, int tag) {
    this.pool = pool;
    this.horizon = "SELECT event_log_horizon('" + sequence + "', " + tag + ") AS h";
    this.contains = "SELECT EXISTS (SELECT 1 FROM " + table + " WHERE id = $1)";
    this.resumeFormer =
        "SELECT EXISTS (SELECT 1 FROM "
            + table
            + " WHERE xid = $1 AND id = $2) AS kept, least((SELECT min(id) FROM "
            + table
            + " WHERE (xid, id) > ($1, $2)), $3 + 1) - 1 AS resume";
  }

  /** The horizon, read on {@code client} (a connection the caller's next query also uses). */
  public Uni<Long> horizon(SqlClient client) {
    return client.query(horizon).execute().map(rows -> rows.iterator().next().getLong("h"));
  }

  @Override
  public Uni<Long> horizon() {
    return horizon(pool);
  }

  @Override
  public Uni<Boolean> contains(long id) {
    return pool.preparedQuery(contains)
        .execute(Tuple.of(id))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  @Override
  public Uni<Long> resumeFormer(long xid, long id) {
    return horizon()
        .chain(
            h ->
                pool.preparedQuery(resumeFormer)
                    .execute(Tuple.of(xid, id, h))
                    .map(
                        rows -> {
                          Row r = rows.iterator().next();
                          return r.getBoolean("kept") ? r.getLong("resume") : null;
                        }));
  }
}
