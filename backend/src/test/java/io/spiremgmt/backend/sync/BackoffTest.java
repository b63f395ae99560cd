package io.spiremgmt.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {

  @ParameterizedTest
  @CsvSource({"1, 5000", "2, 10000", "3, 20000", "6, 160000", "7, 300000", "30, 300000"})
  void doublesFromFiveSecondsUpToFiveMinutes(int attempts, long baseMillis) {
    assertThat(Backoff.delay(attempts, 0.5)).isEqualTo(Duration.ofMillis(baseMillis));
    assertThat(Backoff.delay(attempts, 0.0))
        .isEqualTo(Duration.ofMillis(Math.round(baseMillis * 0.8)));
    assertThat(Backoff.delay(attempts, 0.999999).toMillis())
        .isBetween(baseMillis, Math.round(baseMillis * 1.2));
  }

  @Test
  void flagsForAlertingFromTheTenthFailure() {
    assertThat(Backoff.alerting(9)).isFalse();
    assertThat(Backoff.alerting(10)).isTrue();
    assertThatThrownBy(() -> Backoff.delay(0, 0.5)).isInstanceOf(IllegalArgumentException.class);
  }
}
