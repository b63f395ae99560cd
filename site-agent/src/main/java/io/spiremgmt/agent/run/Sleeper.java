package io.spiremgmt.agent.run;

import java.time.Duration;

/**
 * How the agent waits before it retries (its backoff). Injected so that tests can see every wait
 * and spend none.
 */
@FunctionalInterface
public interface Sleeper {
  /**
   * Returns after {@code duration}.
   *
   * @throws InterruptedException when the thread is interrupted while it waits (the agent stops)
   */
  void sleep(Duration duration) throws InterruptedException;

  /** Sleeps the calling thread. */
  static Sleeper system() {
    return duration -> Thread.sleep(duration.toMillis());
  }
}
