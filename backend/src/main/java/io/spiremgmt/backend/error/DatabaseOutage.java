package io.spiremgmt.backend.error;

import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Logs a database outage once, not once per call: the first failure of an outage is one WARN line
 * with its cause; the calls refused after it are counted and logged at DEBUG. Failures more than
 * {@link #QUIET} apart are separate outages, and the first failure after a quiet spell logs how
 * many calls the previous one refused. Readiness ({@code /q/health/ready}) reports the outage while
 * it lasts.
 */
final class DatabaseOutage {
  /** Failures closer than this belong to one outage. */
  static final Duration QUIET = Duration.ofSeconds(30);

  private static final Logger LOG = Logger.getLogger(DatabaseOutage.class);
  private static long lastFailureNanos;
  private static long refused;
  private static boolean ongoing;

  private DatabaseOutage() {}

  /** Records one call refused because the database cannot be reached. */
  static void refused(Throwable cause) {
    long now = System.nanoTime();
    boolean first;
    long previous;
    synchronized (DatabaseOutage.class) {
      first = !ongoing || now - lastFailureNanos > QUIET.toNanos();
      previous = first && ongoing ? refused : 0;
      if (first) {
        refused = 0;
        ongoing = true;
      }
      refused++;
      lastFailureNanos = now;
    }
    if (first) {
      LOG.warnf(
          "the database cannot be reached (%s); calls answer UNAVAILABLE until it is back%s",
          describe(cause),
          previous > 0 ? " (the previous outage refused " + previous + " calls)" : "");
    } else {
      LOG.debugf("call refused during the database outage: %s", describe(cause));
    }
  }

  private static String describe(Throwable failure) {
    Throwable root = failure;
    int depth = 0;
    while (root.getCause() != null && root.getCause() != root && depth++ < 32) {
      root = root.getCause();
    }
    return root.getClass().getName() + ": " + root.getMessage();
  }
}
