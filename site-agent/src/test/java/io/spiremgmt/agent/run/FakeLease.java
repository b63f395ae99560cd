package io.spiremgmt.agent.run;

import java.time.Duration;

/** A site lease that tests take and lose at will; waiting for it moves the fake clock on. */
final class FakeLease implements SiteLease {
  private final FakeTime time;
  private volatile boolean held;
  private volatile long generation;

  FakeLease(FakeTime time) {
    this.time = time;
  }

  /** Takes the lease, as a renewal that finds it free would. */
  void take() {
    held = true;
    generation++;
  }

  /** Loses the lease, as a renewal that finds another holder (or none in time) would. */
  void lose() {
    held = false;
  }

  @Override
  public boolean held() {
    return held;
  }

  @Override
  public long generation() {
    return generation;
  }

  @Override
  public boolean awaitHeld(Duration timeout) {
    if (!held) {
      time.advance(timeout);
    }
    return held;
  }
}
