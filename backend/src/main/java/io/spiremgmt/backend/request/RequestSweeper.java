package io.spiremgmt.backend.request;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Every {@code spire-mgmt.requests.sweep-interval}, on every replica: ends the PENDING requests
 * past their expiry (rows another replica is ending are skipped, so each is ended once), purges the
 * request event log past its retention, and refreshes the request gauges.
 */
@ApplicationScoped
public class RequestSweeper {
  private static final Logger LOG = Logger.getLogger(RequestSweeper.class);

  /** Most requests ended per transaction. */
  static final int BATCH = 200;

  private final EntryRequestService service;
  private final EntryRequestStream stream;
  private final RequestMetrics metrics;
  private final Vertx vertx;
  private final RequestConfig config;

  RequestSweeper(
      EntryRequestService service,
      EntryRequestStream stream,
      RequestMetrics metrics,
      Vertx vertx,
      RequestConfig config) {
    this.service = service;
    this.stream = stream;
    this.metrics = metrics;
    this.vertx = vertx;
    this.config = config;
  }

  void schedule(@Observes StartupEvent start) {
    vertx.setPeriodic(
        1000,
        config.sweepInterval().toMillis(),
        t ->
            SessionContexts.onOwnContext(vertx, this::sweep)
                .subscribe()
                .with(
                    n -> {},
                    e -> LOG.warnf("entry request sweep failed, will retry: %s", e.getMessage())));
  }

  /**
   * Ends every expired request (in batches), purges the request event log past its retention and
   * refreshes the gauges; how many requests were ended.
   */
  public Uni<Integer> sweep() {
    return expireAll(0)
        .call(stream::purge)
        .call(n -> service.pendingStats().invoke(stats -> metrics.refresh(stats, Instant.now())));
  }

  private Uni<Integer> expireAll(int sofar) {
    return service
        .expireDue(BATCH)
        .chain(n -> n < BATCH ? Uni.createFrom().item(sofar + n) : expireAll(sofar + n));
  }
}
