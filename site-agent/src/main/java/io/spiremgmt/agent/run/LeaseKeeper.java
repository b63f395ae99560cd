package io.spiremgmt.agent.run;

import io.spiremgmt.agent.backend.SyncBackend;
import io.spiremgmt.api.v1.Lease;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Takes and renews the site lease on its own thread, a third of the lease's TTL apart (every second
 * while the backend cannot be reached), and tells the sync loop whether it may apply changes. The
 * lease counts as held only until the TTL measured from when the renewal was <em>sent</em> runs
 * out, on the injected monotonic clock, so an agent cut off from the backend stops applying before
 * another instance can take over.
 */
public final class LeaseKeeper implements SiteLease, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseKeeper.class);
  private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);

  private final SyncBackend backend;
  private final String version;
  private final SpireHealth spireHealth;
  private final MonotonicClock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "lease-keeper");
            t.setDaemon(true);
            return t;
          });
  private final Object changed = new Object();
  private volatile long heldUntilNanos;
  private volatile boolean held;
  private volatile long generation;
  private volatile Duration ttl = Duration.ZERO;
  private volatile String holder = "";

  public LeaseKeeper(
      SyncBackend backend, String version, SpireHealth spireHealth, MonotonicClock clock) {
    this.backend = backend;
    this.version = version;
    this.spireHealth = spireHealth;
    this.clock = clock;
  }

  /** Starts renewing. */
  public void start() {
    timer.execute(this::renewAndReschedule);
  }

  @Override
  public boolean held() {
    return held && clock.nanoTime() - heldUntilNanos < 0;
  }

  @Override
  public Duration remaining() {
    long left = heldUntilNanos - clock.nanoTime();
    return held && left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  @Override
  public Duration ttl() {
    return ttl;
  }

  @Override
  public long generation() {
    return generation;
  }

  /** The last known holder. */
  public String holder() {
    return holder;
  }

  @Override
  public boolean awaitHeld(Duration timeout) throws InterruptedException {
    long deadline = clock.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (!held()) {
        long left = deadline - clock.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
    return true;
  }

  /** Asks the backend for the lease once; how long to wait before the next renewal. */
  Duration renew() {
    Duration next;
    long sent = clock.nanoTime();
    try {
      Lease lease = backend.acquireLease(version, spireHealth.reachable(), spireHealth.lastError());
      Duration ttl = Duration.ofSeconds(lease.getTtl().getSeconds(), lease.getTtl().getNanos());
      boolean was = held();
      holder = lease.getHolderAgentId();
      if (lease.getHeld()) {
        this.ttl = ttl;
        heldUntilNanos = sent + ttl.toNanos();
        if (!was) {
          generation++;
          LOG.infof("took the lease of the site as %s", backend.agentId());
        }
        held = true;
      } else {
        if (was) {
          LOG.warnf("lost the lease of the site to %s; standing by", holder);
        }
        held = false;
      }
      next = ttl.dividedBy(3);
    } catch (RuntimeException e) {
      LOG.warnf("cannot renew the site lease: %s", e.getMessage());
      next = RETRY_INTERVAL;
    } finally {
      synchronized (changed) {
        changed.notifyAll();
      }
    }
    return next;
  }

  private void renewAndReschedule() {
    Duration next = renew();
    try {
      timer.schedule(this::renewAndReschedule, next.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // Shutting down.
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
