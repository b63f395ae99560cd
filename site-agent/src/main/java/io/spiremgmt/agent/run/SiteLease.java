package io.spiremgmt.agent.run;

import java.time.Duration;

/**
 * Whether this agent instance may write to the site's SPIRE server now: only one instance of a site
 * holds its lease at a time, and only the holder applies changes and reports results.
 */
public interface SiteLease {
  /** Whether this instance holds the lease now. */
  boolean held();

  /** How much longer the lease is held unless renewed (zero when it is not held). */
  Duration remaining();

  /** The lease's time to live, as the backend last granted it. */
  Duration ttl();

  /**
   * Counts the times this instance took the lease (renewals do not count): a new value means
   * another instance may have written in between, so the holder starts over from SPIRE's truth.
   */
  long generation();

  /**
   * Waits up to {@code timeout} for the lease; whether it is held.
   *
   * @throws InterruptedException when the thread is interrupted while it waits
   */
  boolean awaitHeld(Duration timeout) throws InterruptedException;
}
