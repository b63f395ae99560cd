package io.spiremgmt.agent.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A clock that moves only when told to or when someone sleeps on it; every sleep is recorded and
 * returns at once.
 */
final class FakeTime implements MonotonicClock, Sleeper {
  private long now = 1_000_000_000L;
  private final List<Duration> sleeps = new ArrayList<>();

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void sleep(Duration duration) {
    sleeps.add(duration);
    now += duration.toNanos();
  }

  /** Moves the clock on by {@code duration}. */
  synchronized void advance(Duration duration) {
    now += duration.toNanos();
  }

  /** Every sleep so far, in order. */
  synchronized List<Duration> sleeps() {
    return List.copyOf(sleeps);
  }
}
