package io.spiremgmt.backend.sync;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.sync.lease.SiteAgentRepository;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The backend's time-based duties: refreshing the sync gauges, noticing agents whose lease went
 * stale, purging sync events past their retention, and purging the staged parts of reconcile
 * reports abandoned before their last part. Every replica schedules them; each run takes a
 * transaction-scoped PostgreSQL advisory lock first and skips when another replica holds it, so no
 * two replicas run them at once.
 */
@ApplicationScoped
public class BackgroundDuties {
  private static final Logger LOG = Logger.getLogger(BackgroundDuties.class);

  /** The advisory lock key the duties run under. */
  static final long LOCK_KEY = SyncGaugeRepository.LOCK_KEY;

  private final Pool pool;
  private final Vertx vertx;
  private final SyncGaugeRepository gauges;
  private final SyncEventRepository events;
  private final SiteAgentRepository agents;
  private final SyncMetrics metrics;
  private final Duration interval;
  private final Duration eventRetention;

  /**
   * How long a reconcile report's staged parts wait for the last part: an agent sends a reconcile's
   * parts one after another within seconds, so an hour-old part belongs to a reconcile that will
   * never finish.
   */
  static final Duration ABANDONED_RECONCILE = Duration.ofHours(1);

  private final Map<UUID, Boolean> lastConnected = new HashMap<>();

  BackgroundDuties(
      Pool pool,
      Vertx vertx,
      SyncGaugeRepository gauges,
      SyncEventRepository events,
      SiteAgentRepository agents,
      SyncMetrics metrics,
      DutiesConfig duties,
      SyncConfig sync) {
    this.pool = pool;
    this.vertx = vertx;
    this.gauges = gauges;
    this.events = events;
    this.agents = agents;
    this.metrics = metrics;
    this.interval = duties.interval();
    this.eventRetention = sync.eventRetention();
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
            gauges
                .tryLock(tx)
                .chain(
                    got ->
                        got
                            ? refreshGauges(tx)
                                .chain(() -> purgeEvents(tx))
                                .chain(() -> purgeAbandonedReconciles(tx))
                                .replaceWith(true)
                            : Uni.createFrom().item(false)));
  }

  private Uni<Void> refreshGauges(SqlClient tx) {
    return Uni.combine()
        .all()
        .unis(
            gauges.liveEntries(tx),
            gauges.statusCounts(tx),
            gauges.siteHealth(tx, Backoff.ALERT_AFTER))
        .with(
            (live, counts, sites) -> {
              sites.forEach(this::noticeStale);
              metrics.refresh(live, counts, sites);
              return null;
            })
        .replaceWithVoid();
  }

  private synchronized void noticeStale(SyncGaugeRepository.SiteHealth site) {
    boolean hasAgent = site.agentId() != null;
    Boolean before = lastConnected.put(site.siteId(), site.connected());
    if (hasAgent && !site.connected() && !Boolean.FALSE.equals(before)) {
      LOG.warnf(
          "site %s: agent %s has not renewed its lease since it expired at %s; changes wait",
          site.siteId(), site.agentId(), site.leaseExpiresAt());
    }
  }

  private Uni<Void> purgeEvents(SqlClient tx) {
    return events
        .purgeOlderThan(tx, eventRetention)
        .invoke(
            n -> {
              if (n > 0) {
                LOG.infof("purged %d sync events older than %s", n, eventRetention);
              }
            })
        .replaceWithVoid();
  }

  private Uni<Void> purgeAbandonedReconciles(SqlClient tx) {
    return agents
        .purgeStagedOlderThan(tx, ABANDONED_RECONCILE)
        .invoke(
            n -> {
              if (n > 0) {
                LOG.infof(
                    "purged %d staged unmanaged entries of reconciles abandoned over %s ago",
                    n, ABANDONED_RECONCILE);
              }
            })
        .replaceWithVoid();
  }
}
