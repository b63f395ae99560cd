package io.spiremgmt.agent.run;

import io.spiremgmt.agent.spire.WriteFence;
import java.time.Duration;

/**
 * Fences SPIRE writes with the site lease. A write gets a deadline of at most a third of the
 * lease's TTL (the renewal interval), and may only start while the lease's remaining validity
 * exceeds a margin of one and a half times that deadline: the write ends, or is abandoned, before
 * another instance can take the site over, with room left for the call's own latency and for the
 * clocks of agent and backend to differ.
 */
public final class LeaseFence implements WriteFence {
  private final SiteLease lease;

  public LeaseFence(SiteLease lease) {
    this.lease = lease;
  }

  @Override
  public Duration writeDeadline(Duration wanted) {
    Duration deadline = SyncLoop.min(wanted, lease.ttl().dividedBy(3));
    Duration margin = deadline.plus(deadline.dividedBy(2));
    Duration left = lease.held() ? lease.remaining() : Duration.ZERO;
    if (left.compareTo(margin) <= 0) {
      throw new Lapsed(
          "the site lease has "
              + left.toMillis()
              + " ms left, not more than the "
              + margin.toMillis()
              + " ms a SPIRE write needs; writing stops until it is renewed");
    }
    return deadline;
  }
}
