package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** What the sync gauges are computed from, read by {@link BackgroundDuties} in its transaction. */
@ApplicationScoped
public class SyncGaugeRepository {
  /** The duties' advisory lock key ("SPIREMGD" in ASCII). */
  static final long LOCK_KEY = 0x5350_4952_454D_4744L;

  private static final String WAITING =
      "w.site_id = s.id AND w.sync_status IN ('PENDING', 'DELETING', 'FAILED')";

  /**
   * Takes the duties' transaction-scoped advisory lock; whether this transaction got it (another
   * replica running the duties holds it otherwise).
   */
  public Uni<Boolean> tryLock(SqlClient tx) {
    return tx.preparedQuery("SELECT pg_try_advisory_xact_lock($1) AS got")
        .execute(Tuple.of(LOCK_KEY))
        .map(rows -> rows.iterator().next().getBoolean("got"));
  }

  /** Entries not being deleted. */
  public Uni<Long> liveEntries(SqlClient tx) {
    return tx.query("SELECT count(*) AS n FROM workload_entries WHERE delete_requested_at IS NULL")
        .execute()
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  /**
   * How many (entry, site) pairs a site has in one state.
   *
   * @param siteId the site
   * @param state the state's name
   * @param count how many
   */
  public record StatusCount(UUID siteId, String state, long count) {}

  /** Pairs per site and state. */
  public Uni<List<StatusCount>> statusCounts(SqlClient tx) {
    return tx.query(
            "SELECT site_id, sync_status, count(*) AS n FROM workload_entry_sites"
                + " GROUP BY site_id, sync_status")
        .execute()
        .map(
            rows -> {
              List<StatusCount> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new StatusCount(
                        r.getUUID("site_id"), r.getString("sync_status"), r.getLong("n")));
              }
              return out;
            });
  }

  /**
   * One site's sync health, by the database clock.
   *
   * @param siteId the site
   * @param sinceInSync how long since the site was last known in sync: its latest SYNCED result,
   *     full reconcile, or poll while nothing waited there (the site's creation if none)
   * @param oldestWaiting the age of its oldest waiting change (PENDING, DELETING or FAILED), zero
   *     when none waits
   * @param alertingPairs its pairs with at least {@code alertAfter} failed attempts
   * @param agentId the lease holder, or null when no agent ever took the lease
   * @param leaseExpiresAt when that lease ends or ended, or null
   * @param connected whether that lease is current
   */
  public record SiteHealth(
      UUID siteId,
      Duration sinceInSync,
      Duration oldestWaiting,
      long alertingPairs,
      String agentId,
      Instant leaseExpiresAt,
      boolean connected) {}

  /** Every site's sync health; pairs count as alerting from {@code alertAfter} failures. */
  public Uni<List<SiteHealth>> siteHealth(SqlClient tx, int alertAfter) {
    return tx.preparedQuery(
            "SELECT s.id, now() AS now,"
                + " (SELECT min(w.changed_at) FROM workload_entry_sites w WHERE "
                + WAITING
                + ") AS oldest,"
                + " coalesce(greatest((SELECT max(w.last_sync_at) FROM workload_entry_sites w"
                + " WHERE w.site_id = s.id), a.last_reconcile_at,"
                + " CASE WHEN NOT EXISTS (SELECT 1 FROM workload_entry_sites w WHERE "
                + WAITING
                + ") THEN a.last_poll_at END), s.created_at) AS in_sync_at,"
                + " (SELECT count(*) FROM workload_entry_sites w WHERE w.site_id = s.id"
                + " AND w.attempts >= $1) AS alerting,"
                + " a.agent_id, a.lease_expires_at, a.lease_expires_at > now() AS connected"
                + " FROM sites s LEFT JOIN site_agents a ON a.site_id = s.id")
        .execute(Tuple.of(alertAfter))
        .map(
            rows -> {
              List<SiteHealth> out = new ArrayList<>();
              for (Row r : rows) {
                OffsetDateTime now = r.getOffsetDateTime("now");
                OffsetDateTime oldest = r.getOffsetDateTime("oldest");
                OffsetDateTime lease = r.getOffsetDateTime("lease_expires_at");
                String agent = r.getString("agent_id");
                out.add(
                    new SiteHealth(
                        r.getUUID("id"),
                        age(r.getOffsetDateTime("in_sync_at"), now),
                        age(oldest, now),
                        r.getLong("alerting"),
                        agent,
                        lease == null ? null : lease.toInstant(),
                        agent != null && r.getBoolean("connected")));
              }
              return out;
            });
  }

  private static Duration age(OffsetDateTime t, OffsetDateTime now) {
    if (t == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(t, now);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
