package io.spiremgmt.backend.sync;

import java.time.Duration;

/**
 * Retry delays for failed (entry, site) changes: 5 s after the first failure, doubling, capped at 5
 * min, with ±20% jitter so agents do not retry in lockstep. After {@link #ALERT_AFTER} failures the
 * pair is flagged for alerting (it keeps being retried).
 */
public final class Backoff {
  /** Delay after the first failure. */
  public static final Duration INITIAL = Duration.ofSeconds(5);

  /** Longest delay. */
  public static final Duration MAX = Duration.ofMinutes(5);

  /** Failures after which a pair is flagged for alerting. */
  public static final int ALERT_AFTER = 10;

  private Backoff() {}

  /**
   * The delay after {@code attempts} failures (1 or more), with {@code random} in [0, 1) choosing
   * the jitter within ±20%.
   */
  public static Duration delay(int attempts, double random) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
    long base = INITIAL.toMillis();
    for (int i = 1; i < attempts && base < MAX.toMillis(); i++) {
      base *= 2;
    }
    base = Math.min(base, MAX.toMillis());
    double jitter = 0.8 + 0.4 * random;
    return Duration.ofMillis(Math.round(base * jitter));
  }

  /** Whether a pair with this many failures is flagged for alerting. */
  public static boolean alerting(int attempts) {
    return attempts >= ALERT_AFTER;
  }
}
