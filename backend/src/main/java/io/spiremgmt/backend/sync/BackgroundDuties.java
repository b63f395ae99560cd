package io.spiremgmt.backend.sync;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The backend's time-based duties: refreshing the sync gauges, noticing agents whose lease went
 * stale, and purging sync events past their retention. Every replica schedules them; each run takes
 * a transaction-scoped PostgreSQL advisory lock first and skips when another replica holds it, so
 * no two replicas run them at once.
 */
@ApplicationScoped
public class BackgroundDuties {
  private static final Logger LOG = Logger.getLogger(BackgroundDuties.class);

  /** The advisory lock key ("SPIREMGD" in ASCII). */
  static final long LOCK_KEY = 0x5350_4952_454D_4744L;

  private final Pool pool;
  private final Vertx vertx;
  private final SyncMetrics metrics;
  private final Duration interval;
  private final Duration eventRetention;
  private final Map<String, Boolean> lastConnected = new HashMap<>();

  BackgroundDuties(
      Pool pool,
      Vertx vertx,
      SyncMetrics metrics,
      @ConfigProperty(name = "spire-mgmt.duties.interval", defaultValue = "30s") Duration interval,
      @ConfigProperty(name = "spire-mgmt.sync.event-retention", defaultValue = "7d")
          Duration eventRetention) {
    this.pool = pool;
    this.vertx = vertx;
    this.metrics = metrics;
    this.interval = interval;
    this.eventRetention = eventRetention;
  }

  void schedule(@Observes StartupEvent start) {
    vertx.setPeriodic(
        1000,
        interval.toMillis(),
        t ->
            runOnce()
                .subscribe()
                .with(
                    ran -> {},
                    e -> LOG.warnf("background duties failed, will retry: %s", e.getMessage())));
  }

  /** Runs the duties unless another replica is running them; whether this replica ran them. */
  public Uni<Boolean> runOnce() {
    return pool.withTransaction(
        tx ->
            tx.preparedQuery("SELECT pg_try_advisory_xact_lock($1) AS got")
                .execute(Tuple.of(LOCK_KEY))
                .chain(
                    rows -> {
                      if (!rows.iterator().next().getBoolean("got")) {
                        return Uni.createFrom().item(false);
                      }
                      return refreshGauges(tx).chain(() -> purgeEvents(tx)).replaceWith(true);
                    }));
  }

  private Uni<Void> refreshGauges(SqlClient tx) {
    Uni<Long> live =
        tx.query("SELECT count(*) AS n FROM workload_entries WHERE delete_requested_at IS NULL")
            .execute()
            .map(rows -> rows.iterator().next().getLong("n"));
    Uni<List<SyncMetrics.StatusCount>> counts =
        tx.query(
                "SELECT site_id, sync_status, count(*) AS n FROM workload_entry_sites"
                    + " GROUP BY site_id, sync_status")
            .execute()
            .map(
                rows -> {
                  List<SyncMetrics.StatusCount> out = new ArrayList<>();
                  for (Row r : rows) {
                    out.add(
                        new SyncMetrics.StatusCount(
                            r.getUUID("site_id").toString(),
                            r.getString("sync_status"),
                            r.getLong("n")));
                  }
                  return out;
                });
    Uni<List<SyncMetrics.SiteGauge>> sites =
        tx.query(
                "SELECT s.id, now() AS now, (SELECT min(w.changed_at) FROM workload_entry_sites w"
                    + " WHERE w.site_id = s.id AND w.sync_status IN ('PENDING', 'DELETING', 'FAILED'))"
                    + " AS oldest, a.agent_id, a.lease_expires_at, a.lease_expires_at > now() AS connected"
                    + " FROM sites s LEFT JOIN site_agents a ON a.site_id = s.id")
            .execute()
            .map(
                rows -> {
                  List<SyncMetrics.SiteGauge> out = new ArrayList<>();
                  for (Row r : rows) {
                    String site = r.getUUID("id").toString();
                    OffsetDateTime oldest = r.getOffsetDateTime("oldest");
                    double lag =
                        oldest == null
                            ? 0
                            : Math.max(
                                0,
                                Duration.between(oldest, r.getOffsetDateTime("now")).toMillis()
                                    / 1000.0);
                    boolean hasAgent = r.getString("agent_id") != null;
                    boolean connected = hasAgent && r.getBoolean("connected");
                    noticeStale(site, r.getString("agent_id"), hasAgent, connected, r);
                    out.add(new SyncMetrics.SiteGauge(site, lag, connected, hasAgent));
                  }
                  return out;
                });
    return Uni.combine()
        .all()
        .unis(live, counts, sites)
        .with(
            (n, c, s) -> {
              metrics.refresh(n, c, s);
              return null;
            })
        .replaceWithVoid();
  }

  private synchronized void noticeStale(
      String site, String agent, boolean hasAgent, boolean connected, Row row) {
    Boolean before = lastConnected.put(site, connected);
    if (hasAgent && !connected && !Boolean.FALSE.equals(before)) {
      LOG.warnf(
          "site %s: agent %s has not renewed its lease since it expired at %s; changes wait",
          site, agent, row.getOffsetDateTime("lease_expires_at"));
    }
  }

  private Uni<Void> purgeEvents(SqlClient tx) {
    return tx.preparedQuery(
            "DELETE FROM sync_events WHERE occurred_at < now() - $1 * interval '1 millisecond'")
        .execute(Tuple.of(eventRetention.toMillis()))
        .invoke(
            rows -> {
              if (rows.rowCount() > 0) {
                LOG.infof("purged %d sync events older than %s", rows.rowCount(), eventRetention);
              }
            })
        .replaceWithVoid();
  }
}
