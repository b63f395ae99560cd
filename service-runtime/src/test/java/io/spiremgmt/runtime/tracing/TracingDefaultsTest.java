package io.spiremgmt.runtime.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TracingDefaultsTest {
  private static Optional<String> sdkDisabled(Map<String, String> settings) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withSources(new PropertiesConfigSource(settings, "settings", 250))
            // Quarkus' defaults, as the run time sees them: below every other source.
            .withSources(
                new PropertiesConfigSource(
                    Map.of("quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317"),
                    "defaults",
                    Integer.MIN_VALUE))
            .withSources(new TracingDefaults())
            .build();
    return config.getOptionalValue("quarkus.otel.sdk.disabled", String.class);
  }

  @Test
  void turnsTracingOffWhenNoEndpointIsConfigured() {
    // Given / When
    Optional<String> disabled = sdkDisabled(Map.of("quarkus.otel.service.name", "x"));

    // Then
    assertThat(disabled).contains("true");
  }

  @Test
  void leavesTracingOnWhenAnOtlpEndpointIsConfigured() {
    // Given / When
    Optional<String> disabled =
        sdkDisabled(Map.of("quarkus.otel.exporter.otlp.endpoint", "http://collector:4317"));

    // Then
    assertThat(disabled).contains("false");
  }

  @Test
  void leavesTracingOnWhenATracesEndpointIsConfigured() {
    // Given / When
    Optional<String> disabled =
        sdkDisabled(Map.of("quarkus.otel.exporter.otlp.traces.endpoint", "http://collector:4317"));

    // Then
    assertThat(disabled).contains("false");
  }

  @Test
  void aBlankEndpointCountsAsNone() {
    // Given / When
    Optional<String> disabled = sdkDisabled(Map.of("quarkus.otel.exporter.otlp.endpoint", " "));

    // Then
    assertThat(disabled).contains("true");
  }

  @Test
  void anExplicitSdkSettingWins() {
    // Given / When
    Optional<String> disabled = sdkDisabled(Map.of("quarkus.otel.sdk.disabled", "false"));

    // Then
    assertThat(disabled).contains("false");
  }
}
