package io.spiremgmt.agent.run;

/**
 * The agent's time for deadlines and intervals: nanoseconds from an arbitrary origin that never
 * runs backwards, as {@link System#nanoTime()}. Wall-clock steps (NTP, an operator) must not
 * stretch a lease or skip a full reconcile, so nothing here reads the wall clock. Injected so that
 * tests can move time themselves.
 */
@FunctionalInterface
public interface MonotonicClock {
  /** The current time in nanoseconds; only differences between two readings mean anything. */
  long nanoTime();

  /** The machine's monotonic clock. */
  static MonotonicClock system() {
    return System::nanoTime;
  }
}
