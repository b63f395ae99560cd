package io.spiremgmt.agent.run;

import java.time.Duration;

/** A site lease that tests take and lose at will; waiting for it moves the fake clock on. */
final class FakeLease implements SiteLease {
  private final FakeTime time;
  private volatile boolean held;
  private volatile long generation;
  private volatile long heldUntilNanos;
  static final Duration TTL = Duration.ofSeconds(15);

  FakeLease(FakeTime time) {
    this.time = time;
  }

  /** Takes the lease, as a renewal that finds it free would. */
  void take() {
    held = true;
    generation++;
    renew();
  }

  /** Renews the lease for another TTL from now, as a renewal the backend takes would. */
  void renew() {
    heldUntilNanos = time.nanoTime() + TTL.toNanos();
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
  public Duration remaining() {
    long left = heldUntilNanos - time.nanoTime();
    return held && left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  @Override
  public Duration ttl() {
    return TTL;
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
