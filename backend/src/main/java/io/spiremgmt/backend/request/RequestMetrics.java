package io.spiremgmt.backend.request;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The entry request metrics: PENDING requests per site, the oldest PENDING request's age, and how
 * long decisions took.
 */
@ApplicationScoped
public class RequestMetrics {
  private final MultiGauge pending;
  private final AtomicLong oldestMillis = new AtomicLong();
  private final Timer decisions;

  RequestMetrics(MeterRegistry registry) {
    pending =
        MultiGauge.builder("entry_requests_pending")
            .description("PENDING entry requests touching each site")
            .register(registry);
    registry.gauge(
        "entry_requests_oldest_pending_seconds", oldestMillis, millis -> millis.get() / 1000.0);
    decisions =
        Timer.builder("entry_request_decision")
            .description(
                "Time from an entry request's submission to its decision (applied on approval,"
                    + " rejected, conflict or failed)")
            .publishPercentileHistogram()
            .register(registry);
  }

  /** Records a decision taken {@code elapsed} after submission. */
  void decided(Duration elapsed) {
    decisions.record(elapsed);
  }

  /** Sets the gauges from the database's figures at {@code now}. */
  void refresh(EntryRequestRepository.PendingStats stats, Instant now) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    stats
        .bySite()
        .forEach(
            (site, count) -> rows.add(MultiGauge.Row.of(Tags.of("site", site.toString()), count)));
    pending.register(rows, true);
    oldestMillis.set(
        stats.oldest() == null ? 0 : Math.max(0, Duration.between(stats.oldest(), now).toMillis()));
  }
}
