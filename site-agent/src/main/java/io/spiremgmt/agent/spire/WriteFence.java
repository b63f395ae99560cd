package io.spiremgmt.agent.spire;

import java.time.Duration;

/**
 * Asked before every batch written to SPIRE: whether the agent may still write, and the deadline
 * the write gets. The site agent's fence is its lease: a write may only start while the lease will
 * outlast it, so that an instance whose lease lapses cannot write over what its successor did.
 */
@FunctionalInterface
public interface WriteFence {
  /** No fence: every write gets the deadline it asks for. */
  WriteFence NONE = wanted -> wanted;

  /**
   * The deadline for the next write, at most {@code wanted}.
   *
   * @throws Lapsed when the agent may no longer write
   */
  Duration writeDeadline(Duration wanted);

  /** The agent may no longer write to SPIRE (e.g. its lease lapsed or will before a write ends). */
  final class Lapsed extends RuntimeException {
    public Lapsed(String message) {
      super(message);
    }
  }
}
