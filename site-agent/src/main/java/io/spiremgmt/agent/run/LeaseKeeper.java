package io.spiremgmt.agent.run;

import io.spiremgmt.agent.backend.BackendClient;
import io.spiremgmt.api.v1.Lease;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Takes and renews the site lease on its own thread, a third of the lease's TTL apart, and tells
 * the sync loop whether it may apply changes. The lease counts as held only until the TTL measured
 * from when the renewal was <em>sent</em> runs out, on this machine's monotonic clock, so an agent
 * cut off from the backend stops applying before another instance can take over.
 */
public final class LeaseKeeper implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseKeeper.class);
  private static final Duration FIRST_INTERVAL = Duration.ofSeconds(5);

  private final BackendClient backend;
  private final String version;
  private final SpireHealth spireHealth;
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
  private volatile String holder = "";

  public LeaseKeeper(BackendClient backend, String version, SpireHealth spireHealth) {
    this.backend = backend;
    this.version = version;
    this.spireHealth = spireHealth;
  }

  /** Starts renewing. */
  public void start() {
    timer.execute(this::renew);
  }

  /** Whether this instance holds the lease now. */
  public boolean held() {
    return held && System.nanoTime() < heldUntilNanos;
  }

  /** Counts the times this instance took the lease (not renewals); a change means "start over". */
  public long generation() {
    return generation;
  }

  /** The last known holder. */
  public String holder() {
    return holder;
  }

  /** Waits up to {@code timeout} for the lease; whether it is held. */
  public boolean awaitHeld(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (!held()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
    return true;
  }

  private void renew() {
    Duration next = FIRST_INTERVAL;
    long sent = System.nanoTime();
    try {
      Lease lease = backend.acquireLease(version, spireHealth.reachable(), spireHealth.lastError());
      Duration ttl = Duration.ofSeconds(lease.getTtl().getSeconds(), lease.getTtl().getNanos());
      boolean was = held();
      holder = lease.getHolderAgentId();
      if (lease.getHeld()) {
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
      next = Duration.ofSeconds(1);
    } finally {
      synchronized (changed) {
        changed.notifyAll();
      }
    }
    try {
      timer.schedule(this::renew, next.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // Shutting down.
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
