package io.spiremgmt.agent.run;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.spiremgmt.agent.plan.PlanApplier;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The agent's own metrics on {@code /q/metrics}, all labelled with the site. */
public final class AgentMetrics {
  private final Map<PlanApplier.Kind, Counter> applied = new EnumMap<>(PlanApplier.Kind.class);
  private final Counter driftRepaired;
  private final Counter reportFailures;
  private final AtomicLong unmanaged = new AtomicLong();
  private final Timer reconcile;

  public AgentMetrics(
      MeterRegistry registry, String site, SiteLease lease, SpireHealth spireHealth) {
    for (PlanApplier.Kind kind : PlanApplier.Kind.values()) {
      applied.put(
          kind,
          Counter.builder("agent_changes_applied")
              .description("SPIRE entry changes the agent made, by outcome")
              .tags("site", site, "outcome", kind.name().toLowerCase())
              .register(registry));
    }
    driftRepaired =
        Counter.builder("agent_drift_repaired")
            .description("Owned SPIRE entries rewritten or re-created by a full reconcile")
            .tag("site", site)
            .register(registry);
    reportFailures =
        Counter.builder("agent_backend_failures")
            .description("Calls to the backend that failed and were retried")
            .tag("site", site)
            .register(registry);
    Gauge.builder("agent_unmanaged_entries", unmanaged, AtomicLong::get)
        .description("SPIRE entries the agent does not manage, at the last full reconcile")
        .tag("site", site)
        .register(registry);
    Gauge.builder("agent_lease_held", lease, l -> l.held() ? 1 : 0)
        .description("1 while this instance holds the site lease")
        .tag("site", site)
        .register(registry);
    Gauge.builder("agent_spire_reachable", spireHealth, h -> h.reachable() ? 1 : 0)
        .description("1 while the last SPIRE call succeeded")
        .tag("site", site)
        .register(registry);
    reconcile =
        Timer.builder("agent_reconcile_duration")
            .description("Duration of full reconciles")
            .tag("site", site)
            .register(registry);
  }

  void outcomes(Iterable<PlanApplier.Outcome> outcomes) {
    outcomes.forEach(o -> applied.get(o.kind()).increment());
  }

  void reconciled(Duration took, int drift, long unmanagedCount) {
    reconcile.record(took);
    driftRepaired.increment(drift);
    unmanaged.set(unmanagedCount);
  }

  void backendFailure() {
    reportFailures.increment();
  }
}
