package io.spiremgmt.runtime.tracing;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Tracing is off unless an OTLP endpoint is configured: with neither {@value #TRACES_ENDPOINT} nor
 * {@value #ENDPOINT} set, this source sets {@value #SDK_DISABLED}{@code =true}, so nothing tries to
 * export (Quarkus would otherwise send spans to {@code localhost:4317} and log each failed
 * connect). Its ordinal ({@value #ORDINAL}) is below every user source, so an explicit {@value
 * #SDK_DISABLED} still wins; an endpoint counts only when a source above it sets one.
 */
public final class TracingDefaults implements ConfigSourceFactory {
  static final String TRACES_ENDPOINT = "quarkus.otel.exporter.otlp.traces.endpoint";
  static final String ENDPOINT = "quarkus.otel.exporter.otlp.endpoint";
  static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
  static final int ORDINAL = 50;

  @Override
  public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
    boolean endpoint = set(context.getValue(TRACES_ENDPOINT)) || set(context.getValue(ENDPOINT));
    // Always an explicit value, never nothing: Quarkus records what a source yields at build time
    // (no endpoint there) as a run-time default, which only an explicit value overrides at start.
    return List.of(
        new PropertiesConfigSource(
            Map.of(SDK_DISABLED, Boolean.toString(!endpoint)),
            endpoint
                ? "tracing on: an OTLP endpoint is configured"
                : "tracing off: no OTLP endpoint",
            ORDINAL));
  }

  /**
   * Whether a source above this one sets {@code v}. Quarkus' own default of the OTLP endpoint
   * ({@code http://localhost:4317}) is visible here at run time, from a source below every other
   * one: it must not count as configured, or tracing would be on (and failing to export) wherever
   * nobody set an endpoint.
   */
  private static boolean set(ConfigValue v) {
    return v != null
        && v.getValue() != null
        && !v.getValue().isBlank()
        && v.getConfigSourceOrdinal() > ORDINAL;
  }
}
