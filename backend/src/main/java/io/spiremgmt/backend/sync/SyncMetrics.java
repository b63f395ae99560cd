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
 * The seed's sync metrics: {@code sync_failures_total{site,reason}} counted by the replica that
 * applies a FAILED report, and the gauges {@code entries_total}, {@code
 * sync_status_by_site{site,status}}, {@code sync_lag_seconds{site}} and {@code
 * sync_agent_connected{site}} refreshed by {@link BackgroundDuties}.
 */
@ApplicationScoped
public class SyncMetrics {
  private final MeterRegistry registry;
  private final AtomicLong entries = new AtomicLong();
  private final MultiGauge byStatus;
  private final MultiGauge lag;
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
            .description("Age of the oldest change waiting to be applied at each site")
            .baseUnit("seconds")
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

  /** One site's state count. */
  record StatusCount(String site, String status, long count) {}

  /** One site's lag and agent state. */
  record SiteGauge(String site, double lagSeconds, boolean agentConnected, boolean hasAgent) {}

  void refresh(long liveEntries, List<StatusCount> counts, List<SiteGauge> sites) {
    entries.set(liveEntries);
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach(
        c ->
            rows.add(
                MultiGauge.Row.of(Tags.of("site", c.site(), "status", c.status()), c.count())));
    byStatus.register(rows, true);
    List<MultiGauge.Row<?>> lags = new ArrayList<>();
    List<MultiGauge.Row<?>> agents = new ArrayList<>();
    for (SiteGauge s : sites) {
      lags.add(MultiGauge.Row.of(Tags.of("site", s.site()), s.lagSeconds()));
      if (s.hasAgent()) {
        agents.add(MultiGauge.Row.of(Tags.of("site", s.site()), s.agentConnected() ? 1 : 0));
      }
    }
    lag.register(lags, true);
    connected.register(agents, true);
  }
}
