package io.spiremgmt.agent.run;

import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.spiremgmt.agent.backend.SyncBackend;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.WriteFence;
import io.spiremgmt.agent.sync.SiteSync;
import io.spiremgmt.agent.sync.SpireSync;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleSupplier;
import org.jboss.logging.Logger;

/**
 * The agent's work loop, on one thread: while this instance holds the site lease, a full reconcile
 * first and then every {@code fullInterval}, and long polls in between; every result is reported to
 * the backend (a full reconcile's parts by a second thread, while the loop writes the next part; a
 * poll's results on the next poll, which applies them before it looks for work, saving a call per
 * pass). A SPIRE outage turns polled changes into FAILED results (the backend schedules their
 * retries) and the agent retries SPIRE with its own backoff; a backend outage is retried with
 * backoff too. Nothing needs an operator to resume. Time comes from an injected clock and every
 * wait from an injected sleeper, so each decision can be tested turn by turn ({@link #step()}).
 *
 * <p>Traces: each poll (with the results it carries) and what it brings (the SPIRE writes) is one
 * span (with {@code spire_mgmt.previous_pass.results}, the number of results it reported of the
 * pass before), {@code sync pass}, and each full reconcile another, {@code full reconcile}; the
 * calls to the backend and to SPIRE made for it are its children, so one trace holds the poll, the
 * writes to SPIRE and the report, down to the backend's SQL.
 */
public final class SyncLoop implements Runnable {
  private static final Logger LOG = Logger.getLogger(SyncLoop.class);

  /** The span attribute of a pass or full reconcile that reported the previous pass's results. */
  public static final String RESULTS_REPORTED = "spire_mgmt.previous_pass.results";

  private final SyncBackend backend;
  private final SpireSync sync;
  private final SiteLease lease;
  private final SpireHealth spireHealth;
  private final AgentMetrics metrics;
  private final Settings settings;
  private final MonotonicClock clock;
  private final Sleeper sleeper;
  private volatile boolean running = true;
  private long leaseGeneration = -1;
  private long nextFullNanos;
  private Duration backendRetry;
  private Duration spireRetry;
  // No full reconcile (SPIRE listing, desired-state download) before this, after SPIRE failed one.
  private long spireRetryAtNanos;
  private boolean spireWaiting;
  // A reconcile report the backend refused: sent again at reportRetryAtNanos, without reconciling.
  private PendingReconcileReport pendingReport;
  private long reportRetryAtNanos;
  private Duration reportRetry;
  private final DoubleSupplier random;
  // The last pass's results, reported by the next poll (the same report id on each retry).
  private SyncBackend.Carried carried;
  // Cleared when a poll came back without taking the results it carried (a backend that predates
  // carried results): from then on each pass reports on its own.
  private boolean backendTakesCarried = true;
  private Tracer tracer = OpenTelemetry.noop().getTracer("spire-mgmt-site-agent");
  // Reports a full reconcile's parts in order, one at a time, while the loop writes the next part.
  private final ExecutorService reporter =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "sync-report");
            t.setDaemon(true);
            return t;
          });

  /**
   * Timing of the loop.
   *
   * @param pollWait longest long poll
   * @param fullInterval time between full reconciles
   * @param retryInitial first retry delay after a failure
   * @param retryMax longest retry delay
   * @param listPageSize entries per ListSiteEntries page
   */
  public record Settings(
      Duration pollWait,
      Duration fullInterval,
      Duration retryInitial,
      Duration retryMax,
      int listPageSize) {}

  public SyncLoop(
      SyncBackend backend,
      SpireSync sync,
      SiteLease lease,
      SpireHealth spireHealth,
      AgentMetrics metrics,
      Settings settings,
      MonotonicClock clock,
      Sleeper sleeper) {
    this(backend, sync, lease, spireHealth, metrics, settings, clock, sleeper, Math::random);
  }

  /** As above, with the source of jitter ({@code [0, 1)}) injected for tests. */
  SyncLoop(
      SyncBackend backend,
      SpireSync sync,
      SiteLease lease,
      SpireHealth spireHealth,
      AgentMetrics metrics,
      Settings settings,
      MonotonicClock clock,
      Sleeper sleeper,
      DoubleSupplier random) {
    this.random = random;
    this.backend = backend;
    this.sync = sync;
    this.lease = lease;
    this.spireHealth = spireHealth;
    this.metrics = metrics;
    this.settings = settings;
    this.clock = clock;
    this.sleeper = sleeper;
    this.backendRetry = settings.retryInitial();
    this.spireRetry = settings.retryInitial();
    this.reportRetry = settings.retryInitial();
  }

  /** Makes each pass and each full reconcile from now on a span of {@code tracer}. */
  public SyncLoop traced(Tracer tracer) {
    this.tracer = tracer;
    return this;
  }

  /** Asks the loop to stop after its current step. */
  public void stop() {
    running = false;
  }

  /** Whether the loop goes on: not asked to stop, and not interrupted in a wait. */
  boolean running() {
    return running;
  }

  private static void awaitAll(List<Future<?>> reports) throws InterruptedException {
    for (Future<?> f : reports) {
      try {
        f.get();
      } catch (ExecutionException e) {
        // reportWithRetry retries until it lands or the lease is gone; anything else is a bug.
        LOG.error("reporting a reconcile part failed", e.getCause());
      }
    }
  }

  @Override
  public void run() {
    try {
      loop();
    } finally {
      reportCarriedOnce();
      // Only the loop submits reports, so nothing is refused once it has ended.
      reporter.shutdown();
    }
  }

  private void loop() {
    try {
      while (running) {
        step();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One turn of the loop: wait up to a second for the lease; with it, a full reconcile when one is
   * due, then one poll and its changes. A failed backend call is retried after the backend's
   * backoff, doubled on each failure up to {@code retryMax} and reset by a turn that succeeds.
   */
  void step() throws InterruptedException {
    try {
      if (!lease.awaitHeld(Duration.ofSeconds(1))) {
        return;
      }
      if (lease.generation() != leaseGeneration) {
        // Newly active (at start, or after another instance held the site): start from SPIRE's
        // truth, which the full reconcile reports whole.
        leaseGeneration = lease.generation();
        nextFullNanos = clock.nanoTime();
        dropCarried("the lease was taken anew");
      }
      long now = clock.nanoTime();
      boolean spireBackingOff = spireWaiting && now - spireRetryAtNanos < 0;
      if (!spireBackingOff && (!sync.mirrorCurrent() || now - nextFullNanos >= 0)) {
        if (inSpan("full reconcile", this::fullReconcile)) {
          spireWaiting = false;
          spireRetry = settings.retryInitial();
        } else {
          // Back off from SPIRE with jitter: no full reconcile (each one downloads the whole
          // desired state) before the deadline, however many changes arrive meanwhile.
          spireWaiting = true;
          spireRetryAtNanos = clock.nanoTime() + jittered(spireRetry).toNanos();
          spireRetry = min(spireRetry.multipliedBy(2), settings.retryMax());
        }
      }
      sendPendingReconcileReport();
      // Keep answering polls (as FAILED, so the backend backs off and shows why) while SPIRE is
      // away, waiting at most until SPIRE is due to be tried again.
      Duration wait =
          spireWaiting
              ? Duration.ofNanos(Math.max(spireRetryAtNanos - clock.nanoTime(), 0))
              : settings.pollWait();
      inSpan(
          "sync pass",
          () -> {
            poll(wait);
            return true;
          });
      backendRetry = settings.retryInitial();
    } catch (WriteFence.Lapsed e) {
      // Nothing more is written or reported; whoever holds the lease next starts from SPIRE's
      // listing (the mirror is stale after an interrupted write).
      LOG.warnf("stopped writing to SPIRE: %s", e.getMessage());
    } catch (StatusRuntimeException e) {
      metrics.backendFailure();
      if (!lease.held()) {
        dropCarried("the lease is gone");
      }
      LOG.warnf("backend call failed (%s); retrying in %s", e.getStatus(), backendRetry);
      pause(backendRetry);
      backendRetry = min(backendRetry.multipliedBy(2), settings.retryMax());
    } catch (RuntimeException e) {
      LOG.error("unexpected failure in the sync loop; retrying", e);
      pause(backendRetry);
      backendRetry = min(backendRetry.multipliedBy(2), settings.retryMax());
    }
  }

  /** What {@link #inSpan} runs. */
  private interface Traced {
    boolean run() throws InterruptedException;
  }

  /** Runs {@code work} in a new span {@code name}, current while it runs. */
  private boolean inSpan(String name, Traced work) throws InterruptedException {
    Span span = tracer.spanBuilder(name).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      boolean ok = work.run();
      if (!ok) {
        span.setStatus(StatusCode.ERROR);
      }
      return ok;
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw e;
    } finally {
      span.end();
    }
  }

  /**
   * One full reconcile; false when SPIRE could not be reached. Each part's results are reported on
   * the reporter thread while SPIRE writes the next part; all of them are in before it returns.
   */
  private boolean fullReconcile() throws InterruptedException {
    // The last pass's results go first: a full reconcile may take minutes.
    reportCarried();
    List<SiteEntry> desired = backend.siteEntries(settings.listPageSize());
    long start = clock.nanoTime();
    SpireSync.Reconcile r;
    List<Future<?>> reports = new ArrayList<>();
    try {
      r =
          sync.reconcile(
              desired,
              SpireSync.PART_SIZE,
              part -> {
                // Counted as written, even if a later part fails.
                metrics.outcomes(part.outcomes());
                if (!part.results().isEmpty()) {
                  reports.add(
                      reporter.submit(
                          Context.current()
                              .wrap(
                                  () ->
                                      reportWithRetry(
                                          UUID.randomUUID().toString(), part.results()))));
                }
              });
      spireHealth.ok();
    } catch (StatusRuntimeException e) {
      spireHealth.failed(e);
      LOG.warnf("full reconcile failed: %s", spireHealth.lastError());
      return false;
    } finally {
      // What was written is true whatever happened next: let its reports finish.
      awaitAll(reports);
    }
    Duration took = Duration.ofNanos(clock.nanoTime() - start);
    metrics.reconciled(took, r.driftRepaired(), r.unmanaged().size());
    // Due again after the interval whatever becomes of its report: a report the backend refuses
    // is sent again later, and must not turn every turn into another full reconcile.
    nextFullNanos = clock.nanoTime() + settings.fullInterval().toNanos();
    pendingReport =
        new PendingReconcileReport(
            UUID.randomUUID().toString(),
            r.unmanaged().stream().map(SyncLoop::unmanaged).toList(),
            r.driftRepaired());
    reportRetry = settings.retryInitial();
    reportRetryAtNanos = clock.nanoTime();
    LOG.infof(
        "full reconcile: %d desired, %d SPIRE changes, %d drift repaired, %d removed, %d unmanaged,"
            + " %d ms",
        desired.size(),
        r.outcomes().size(),
        r.driftRepaired(),
        r.removed(),
        r.unmanaged().size(),
        took.toMillis());
    return true;
  }

  /**
   * Sends the last reconcile's report if it has not landed yet and is due; a refusal is logged and
   * retried after a backoff, while the loop goes on polling. A report in several parts is sent
   * again whole under the same reconcile id, so the parts that had landed count once.
   */
  private void sendPendingReconcileReport() {
    if (pendingReport == null || clock.nanoTime() - reportRetryAtNanos < 0) {
      return;
    }
    try {
      backend.reportReconcile(
          pendingReport.reconcileId(), pendingReport.unmanaged(), pendingReport.driftRepaired());
      pendingReport = null;
    } catch (StatusRuntimeException e) {
      metrics.backendFailure();
      LOG.warnf(
          "reconcile report (%d unmanaged entries) failed (%s); retrying in %s",
          pendingReport.unmanaged().size(), e.getStatus(), reportRetry);
      reportRetryAtNanos = clock.nanoTime() + reportRetry.toNanos();
      reportRetry = min(reportRetry.multipliedBy(2), settings.retryMax());
    }
  }

  private record PendingReconcileReport(
      String reconcileId, List<UnmanagedEntry> unmanaged, long driftRepaired) {}

  /** {@code d} less up to half of it, at random, so that agents of many sites do not align. */
  private Duration jittered(Duration d) {
    return d.minusNanos((long) (d.toNanos() / 2 * random.getAsDouble()));
  }

  private void poll(Duration wait) {
    long t0 = clock.nanoTime();
    SyncBackend.Carried sent = carried;
    if (sent != null) {
      Span.current().setAttribute(RESULTS_REPORTED, sent.results().size());
    }
    PollEntriesResponse response = backend.poll(wait, sent);
    if (sent != null) {
      carried = null;
      if (!response.getReportApplied()) {
        backendTakesCarried = false;
        LOG.info("the backend does not take results carried on polls: reporting them on their own");
        reportWithRetry(sent.reportId(), sent.results());
      }
    }
    List<EntryChange> changes = response.getChangesList();
    if (changes.isEmpty() || !lease.held()) {
      return;
    }
    long t1 = clock.nanoTime();
    List<SyncResult> results;
    if (!sync.mirrorCurrent()) {
      results = SiteSync.failed(changes, spireHealth.lastError());
    } else {
      try {
        SpireSync.Pass pass = sync.apply(changes);
        spireHealth.ok();
        metrics.outcomes(pass.outcomes());
        results = pass.results();
      } catch (StatusRuntimeException e) {
        spireHealth.failed(e);
        LOG.warnf("applying %d changes failed: %s", changes.size(), spireHealth.lastError());
        results = SiteSync.failed(changes, spireHealth.lastError());
      }
    }
    if (LOG.isDebugEnabled()) {
      LOG.debugf(
          "pass: %d changes, poll %d ms (carrying %d results), SPIRE %d ms",
          changes.size(),
          (t1 - t0) / 1_000_000,
          sent == null ? 0 : sent.results().size(),
          (clock.nanoTime() - t1) / 1_000_000);
    }
    carry(results);
  }

  /**
   * Keeps a pass's results for the next poll to report, or reports them now when the backend does
   * not take them on a poll or they are too many for one.
   */
  private void carry(List<SyncResult> results) {
    if (results.isEmpty()) {
      return;
    }
    String reportId = UUID.randomUUID().toString();
    if (backendTakesCarried && results.size() <= SyncBackend.MAX_RESULTS) {
      carried = new SyncBackend.Carried(reportId, List.copyOf(results));
    } else {
      reportWithRetry(reportId, results);
    }
  }

  /** Reports the carried results now, on their own, when there are any. */
  private void reportCarried() {
    SyncBackend.Carried c = carried;
    if (c != null) {
      carried = null;
      Span.current().setAttribute(RESULTS_REPORTED, c.results().size());
      reportWithRetry(c.reportId(), c.results());
    }
  }

  /**
   * Once the loop has ended: one attempt to report the carried results, so that a stopping agent
   * leaves no SYNCED state untold; should it fail, the next holder's full reconcile tells it.
   */
  private void reportCarriedOnce() {
    SyncBackend.Carried c = carried;
    if (c == null || !lease.held()) {
      return;
    }
    carried = null;
    try {
      backend.report(c.reportId(), c.results());
    } catch (StatusRuntimeException e) {
      LOG.warnf("the last %d results were not reported (%s)", c.results().size(), e.getStatus());
    }
  }

  private void dropCarried(String why) {
    if (carried != null) {
      LOG.warnf("dropping a report of %d results: %s", carried.results().size(), why);
      carried = null;
    }
  }

  /**
   * Reports until the backend takes it (same request ids each time, so nothing counts twice), or
   * until this instance loses the lease: its successor reconciles from SPIRE anyway.
   */
  private void reportWithRetry(String reportId, List<SyncResult> results) {
    if (results.isEmpty()) {
      return;
    }
    Duration retry = settings.retryInitial();
    while (running) {
      try {
        backend.report(reportId, results);
        return;
      } catch (StatusRuntimeException e) {
        metrics.backendFailure();
        if (!lease.held()) {
          LOG.warnf("dropping a report of %d results: the lease is gone", results.size());
          return;
        }
        LOG.warnf("report failed (%s); retrying in %s", e.getStatus(), retry);
        pause(retry);
        retry = min(retry.multipliedBy(2), settings.retryMax());
      }
    }
  }

  static UnmanagedEntry unmanaged(SpireEntry e) {
    return UnmanagedEntry.newBuilder()
        .setSpireEntryId(e.id())
        .setSpiffeId(e.spiffeId())
        .setParentId(e.parentId())
        .addAllSelectors(e.selectors().stream().map(s -> s.type() + ":" + s.value()).toList())
        .build();
  }

  /** The shorter of two durations. */
  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void pause(Duration d) {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
