package io.spiremgmt.backend.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sync metrics: {@code sync_failures_total{site,reason}} counted by the replica that applies a
 * FAILED report, and gauges refreshed by {@link BackgroundDuties}: {@code entries_total}, {@code
 * sync_status_by_site{site,status}}, the seed's {@code sync_lag_seconds{site}} (time since the site
 * was last known in sync: its latest SYNCED result, full reconcile, or poll with nothing waiting;
 * it keeps growing while a site's agent is dead, work or none), {@code
 * sync_oldest_pending_seconds{site}} (age of the oldest waiting change), {@code
 * sync_alerting_pairs{site}} (pairs with {@link Backoff#ALERT_AFTER} or more failed attempts, the
 * seed's "alert after 10") and {@code sync_agent_connected{site}}.
 */
@ApplicationScoped
public class SyncMetrics {
  private final MeterRegistry registry;
  private final AtomicLong entries = new AtomicLong();
  private final MultiGauge byStatus;
  private final MultiGauge lag;
  private final MultiGauge oldestPending;
  private final MultiGauge alerting;
  private final MultiGauge connected;

  SyncMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("entries_total", entries);
    byStatus =
        MultiGauge.builder("sync_status_by_site")
            .description("(entry, site) pairs per site and sync state")
            .register(registry);
    lag =
        MultiGauge.builder("sync_lag_seconds")
            .description(
                "Time since each site was last known in sync (a SYNCED result, a full reconcile,"
                    + " or a poll with nothing waiting)")
            .baseUnit("seconds")
            .register(registry);
    oldestPending =
        MultiGauge.builder("sync_oldest_pending_seconds")
            .description("Age of the oldest change waiting to be applied at each site")
            .baseUnit("seconds")
            .register(registry);
    alerting =
        MultiGauge.builder("sync_alerting_pairs")
            .description(
                "(entry, site) pairs of each site with "
                    + Backoff.ALERT_AFTER
                    + " or more failed attempts")
            .register(registry);
    connected =
        MultiGauge.builder("sync_agent_connected")
            .description("1 while a site's agent holds a current lease, 0 when it went stale")
            .register(registry);
  }

  /** Counts the FAILED results among the applied ones. */
  void applied(UUID site, List<SyncReport> applied) {
    for (SyncReport r : applied) {
      if (r.outcome() == SyncReport.Outcome.FAILED) {
        Counter.builder("sync_failures")
            .description("Failed sync attempts reported by agents")
            .tags("site", site.toString(), "reason", r.reason())
            .register(registry)
            .increment();
      }
    }
  }

  void refresh(
      long liveEntries,
      List<SyncGaugeRepository.StatusCount> counts,
      List<SyncGaugeRepository.SiteHealth> sites) {
    entries.set(liveEntries);
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach(
        c ->
            rows.add(
                MultiGauge.Row.of(
                    Tags.of("site", c.siteId().toString(), "status", c.state()), c.count())));
    byStatus.register(rows, true);
    List<MultiGauge.Row<?>> lags = new ArrayList<>();
    List<MultiGauge.Row<?>> oldest = new ArrayList<>();
    List<MultiGauge.Row<?>> failing = new ArrayList<>();
    List<MultiGauge.Row<?>> agents = new ArrayList<>();
    for (SyncGaugeRepository.SiteHealth s : sites) {
      Tags site = Tags.of("site", s.siteId().toString());
      lags.add(MultiGauge.Row.of(site, seconds(s.sinceInSync().toMillis())));
      oldest.add(MultiGauge.Row.of(site, seconds(s.oldestWaiting().toMillis())));
      failing.add(MultiGauge.Row.of(site, s.alertingPairs()));
      if (s.agentId() != null) {
        agents.add(MultiGauge.Row.of(site, s.connected() ? 1 : 0));
      }
    }
    lag.register(lags, true);
    oldestPending.register(oldest, true);
    alerting.register(failing, true);
    connected.register(agents, true);
  }

  private static double seconds(long millis) {
    return millis / 1000.0;
  }
}
