package io.spiremgmt.backend.audit;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.auth.DenialLog;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Writes a denied call to the audit trail (action {@code access.deny}, target the gRPC method), in
 * a transaction of its own: the denied call wrote nothing. A failure to record is logged, never
 * turned into another answer.
 *
 * <p>Each replica writes at most {@code spire-mgmt.audit.denial-limit} denials per caller and
 * method in a {@code spire-mgmt.audit.denial-window}; the rest are counted and written as one
 * {@code access.deny} summary (with {@code suppressed}, {@code from} and {@code to}) when the
 * window ends, or at shutdown. A caller with a credential but no right thus cannot fill the audit
 * trail.
 */
@ApplicationScoped
public class DenialRecorder implements DenialLog {
  private static final Logger LOG = Logger.getLogger(DenialRecorder.class);

  /** The actor of a denial whose caller was not resolved yet. */
  public static final String UNKNOWN_ACTOR = "(unresolved caller)";

  private final Pool pool;
  private final AuditRepository audit;
  private final Vertx vertx;
  private final DenialThrottle throttle;
  private final int limit;
  private final Duration window;

  DenialRecorder(Pool pool, AuditRepository audit, Vertx vertx, AuditConfig config) {
    int limit = config.denialLimit();
    Duration window = config.denialWindow();
    this.pool = pool;
    this.audit = audit;
    this.vertx = vertx;
    this.limit = limit;
    this.window = window;
    try {
      this.throttle = new DenialThrottle(limit, window, 10_000);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "spire-mgmt.audit.denial-limit and spire-mgmt.audit.denial-window must be positive; got "
              + limit
              + " and "
              + window,
          e);
    }
  }

  void schedule(@Observes StartupEvent start) {
    long every = Math.max(1000, Math.min(10_000, window.toMillis() / 6));
    vertx.setPeriodic(every, t -> writeSummaries(Instant.now()).subscribe().with(n -> {}));
  }

  void flushAtShutdown(@Observes ShutdownEvent stop) {
    List<DenialThrottle.Summary> all;
    synchronized (throttle) {
      all = throttle.all(Instant.now());
    }
    try {
      write(all).await().atMost(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.errorf(
          "auditing %d denial summaries at shutdown timed out: %s", all.size(), e.getMessage());
    }
  }

  /**
   * Writes the summaries of the windows that ended by {@code now}; how many. Runs on a timer; a
   * test may call it with a later instant.
   */
  public Uni<Integer> writeSummaries(Instant now) {
    List<DenialThrottle.Summary> ended;
    synchronized (throttle) {
      ended = throttle.ended(now);
    }
    return write(ended).replaceWith(ended.size());
  }

  /** Writes the summaries in one batch; a failure is logged. */
  private Uni<Void> write(List<DenialThrottle.Summary> summaries) {
    if (summaries.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<AuditRecord> rows =
        summaries.stream()
            .map(
                s ->
                    record(
                        s.key().actor(),
                        s.key().method(),
                        new JsonObject()
                            .put("method", s.key().method())
                            .put(
                                "reason",
                                s.suppressed()
                                    + " more denials not recorded one by one (at most "
                                    + limit
                                    + " per caller and method in "
                                    + window.toSeconds()
                                    + " s)")
                            .put("suppressed", s.suppressed())
                            .put("from", s.from().toString())
                            .put("to", s.to().toString())))
            .toList();
    return audit
        .appendAll(pool, rows)
        .onFailure()
        .recoverWithUni(
            e -> {
              LOG.errorf(
                  "could not audit %d denial summaries: %s", summaries.size(), e.getMessage());
              return Uni.createFrom().voidItem();
            });
  }

  /**
   * Records that {@code actor} (null when unknown) was denied {@code method} because of {@code
   * reason}; completes when written, when only counted (beyond the limit), or when writing failed
   * (logged).
   */
  @Override
  public Uni<Void> record(String actor, String method, String reason) {
    String who = actor == null ? UNKNOWN_ACTOR : actor;
    DenialThrottle.Admission admission;
    synchronized (throttle) {
      admission = throttle.admit(new DenialThrottle.Key(who, method), Instant.now());
    }
    if (admission.decision() == DenialThrottle.Decision.COUNT_FIRST) {
      DenialThrottle.Key k = admission.countedAs();
      LOG.warnf(
          "%s was denied %s more than %d times within %s; further denials are counted and"
              + " audited as one summary",
          k.actor(), k.method(), limit, window);
    }
    if (admission.decision() != DenialThrottle.Decision.WRITE) {
      return Uni.createFrom().voidItem();
    }
    return insert(
        who,
        method,
        new JsonObject().put("method", method).put("reason", reason == null ? "" : reason));
  }

  /** One denial event: actor, target (the method's tail) and details. */
  private static AuditRecord record(String actor, String method, JsonObject after) {
    String target = method.length() > 64 ? method.substring(method.length() - 64) : method;
    return new AuditRecord(actor, AuditAction.ACCESS_DENY, target, "", null, after.encode());
  }

  private Uni<Void> insert(String actor, String method, JsonObject after) {
    return audit
        .appendAll(pool, List.of(record(actor, method, after)))
        // The denied caller waits for the record, but not for long: a slow database must not
        // hold denied calls (or their connections) open.
        .ifNoItem()
        .after(Duration.ofSeconds(2))
        .fail()
        .onFailure()
        .recoverWithUni(
            e -> {
              LOG.errorf("could not audit a denial of %s to %s: %s", method, actor, e.getMessage());
              return Uni.createFrom().voidItem();
            });
  }
}
