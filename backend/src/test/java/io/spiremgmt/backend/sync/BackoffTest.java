package io.spiremgmt.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {

  @ParameterizedTest
  @CsvSource({"1, 5000", "2, 10000", "3, 20000", "6, 160000", "7, 300000", "30, 300000"})
  void doublesFromFiveSecondsUpToFiveMinutes(int attempts, long baseMillis) {
    // Given: random draws at the middle, the bottom and the top of the jitter range
    double middle = 0.5;
    double bottom = 0.0;
    double top = 0.999999;

    // When
    Duration atMiddle = Backoff.delay(attempts, middle);
    Duration atBottom = Backoff.delay(attempts, bottom);
    Duration atTop = Backoff.delay(attempts, top);

    // Then: the base delay, 20% under it, and at most 20% over it
    assertThat(atMiddle).isEqualTo(Duration.ofMillis(baseMillis));
    assertThat(atBottom).isEqualTo(Duration.ofMillis(Math.round(baseMillis * 0.8)));
    assertThat(atTop.toMillis()).isBetween(baseMillis, Math.round(baseMillis * 1.2));
  }

  @Test
  void flagsForAlertingFromTheTenthFailure() {
    // Given
    int ninth = 9;
    int tenth = 10;

    // When
    boolean alertingAtNinth = Backoff.alerting(ninth);
    boolean alertingAtTenth = Backoff.alerting(tenth);

    // Then
    assertThat(alertingAtNinth).isFalse();
    assertThat(alertingAtTenth).isTrue();
  }

  @Test
  void refusesADelayBeforeAnyFailure() {
    // Given
    int noFailures = 0;

    // When
    Throwable refusal = catchThrowable(() -> Backoff.delay(noFailures, 0.5));

    // Then
    assertThat(refusal).isInstanceOf(IllegalArgumentException.class);
  }
}
