package io.spiremgmt.backend.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.backend.support.TestDatabase;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The running backend, configured with no OTLP endpoint (the test profile sets none), has the
 * OpenTelemetry SDK off: service-runtime's TracingDefaults does not take Quarkus' default endpoint
 * for a configured one (it did, and the quick start logged a failed export every few seconds).
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class TracingOffTest {

  @Test
  void theSdkIsOffWithoutAConfiguredEndpoint() {
    // Given: the backend as started for the tests

    // When
    boolean disabled =
        ConfigProvider.getConfig().getValue("quarkus.otel.sdk.disabled", Boolean.class);

    // Then
    assertThat(disabled).isTrue();
  }
}
