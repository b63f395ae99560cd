package io.spiremgmt.backend.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.audit.DenialThrottle.Decision;
import io.spiremgmt.backend.audit.DenialThrottle.Key;
import io.spiremgmt.backend.audit.DenialThrottle.Summary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DenialThrottleTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private static final Key MALLORY = new Key("mallory", "spire.mgmt.v1.SiteService/DeleteSite");

  @Test
  void writesTheFirstDenialsOfAWindowAndCountsTheRestIntoOneSummary() {
    // Given
    DenialThrottle throttle = new DenialThrottle(3, MINUTE, 100);

    // When: ten denials within the minute
    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      decisions.add(throttle.admit(MALLORY, T0.plusSeconds(i)).decision());
    }

    // Then
    assertThat(decisions)
        .containsExactly(
            Decision.WRITE,
            Decision.WRITE,
            Decision.WRITE,
            Decision.COUNT_FIRST,
            Decision.COUNT,
            Decision.COUNT,
            Decision.COUNT,
            Decision.COUNT,
            Decision.COUNT,
            Decision.COUNT);
    assertThat(throttle.ended(T0.plusSeconds(59))).isEmpty();
    assertThat(throttle.ended(T0.plusSeconds(60)))
        .containsExactly(new Summary(MALLORY, 7, T0, T0.plus(MINUTE)));
    assertThat(throttle.ended(T0.plusSeconds(120))).isEmpty();
  }

  @Test
  void aNewWindowWritesAgainAndClosesTheOldOneWithItsCount() {
    // Given: a window that suppressed two
    DenialThrottle throttle = new DenialThrottle(1, MINUTE, 100);
    throttle.admit(MALLORY, T0);
    throttle.admit(MALLORY, T0.plusSeconds(1));
    throttle.admit(MALLORY, T0.plusSeconds(2));

    // When: the next denial comes after the window, before any timer ran
    Decision next = throttle.admit(MALLORY, T0.plusSeconds(61)).decision();

    // Then
    assertThat(next).isEqualTo(Decision.WRITE);
    assertThat(throttle.ended(T0.plusSeconds(62)))
        .containsExactly(new Summary(MALLORY, 2, T0, T0.plus(MINUTE)));
  }

  @Test
  void callersAndMethodsAreCountedApartAndQuietWindowsLeaveNoSummary() {
    // Given
    DenialThrottle throttle = new DenialThrottle(1, MINUTE, 100);
    Key otherMethod = new Key("mallory", "spire.mgmt.v1.SiteService/UpdateSite");
    Key otherCaller = new Key("trent", MALLORY.method());

    // When / Then
    assertThat(throttle.admit(MALLORY, T0).decision()).isEqualTo(Decision.WRITE);
    assertThat(throttle.admit(otherMethod, T0).decision()).isEqualTo(Decision.WRITE);
    assertThat(throttle.admit(otherCaller, T0).decision()).isEqualTo(Decision.WRITE);
    assertThat(throttle.admit(MALLORY, T0))
        .isEqualTo(new DenialThrottle.Admission(Decision.COUNT_FIRST, MALLORY));
    assertThat(throttle.ended(T0.plus(MINUTE)))
        .containsExactly(new Summary(MALLORY, 1, T0, T0.plus(MINUTE)));
  }

  @Test
  void beyondMaxKeysNewCallersShareOneKey() {
    // Given: room for two pairs
    DenialThrottle throttle = new DenialThrottle(1, MINUTE, 2);
    throttle.admit(new Key("a", "m"), T0);
    throttle.admit(new Key("b", "m"), T0);

    // When: three more callers
    DenialThrottle.Admission c = throttle.admit(new Key("c", "m"), T0);
    DenialThrottle.Admission d = throttle.admit(new Key("d", "m"), T0);
    DenialThrottle.Admission e = throttle.admit(new Key("e", "m"), T0);

    // Then: the first is written (the shared key's first), the others counted under it
    assertThat(List.of(c, d, e))
        .containsExactly(
            new DenialThrottle.Admission(Decision.WRITE, DenialThrottle.OVERFLOW),
            new DenialThrottle.Admission(Decision.COUNT_FIRST, DenialThrottle.OVERFLOW),
            new DenialThrottle.Admission(Decision.COUNT, DenialThrottle.OVERFLOW));
    assertThat(throttle.ended(T0.plus(MINUTE)))
        .containsExactly(new Summary(DenialThrottle.OVERFLOW, 2, T0, T0.plus(MINUTE)));
  }

  @Test
  void atShutdownEveryWindowThatSuppressedIsSummarisedUpToNow() {
    // Given
    DenialThrottle throttle = new DenialThrottle(1, MINUTE, 100);
    throttle.admit(MALLORY, T0);
    throttle.admit(MALLORY, T0.plusSeconds(5));
    throttle.admit(new Key("quiet", "m"), T0);

    // When
    List<Summary> all = throttle.all(T0.plusSeconds(10));

    // Then
    assertThat(all).containsExactly(new Summary(MALLORY, 1, T0, T0.plusSeconds(10)));
    assertThat(throttle.ended(T0.plusSeconds(600))).isEmpty();
  }

  @Test
  void refusesNonPositiveSettings() {
    // Given: a limit, a window and a number of keys, each zero in turn

    // When / Then
    assertThatThrownBy(() -> new DenialThrottle(0, MINUTE, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DenialThrottle(1, Duration.ZERO, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DenialThrottle(1, MINUTE, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
