package io.spiremgmt.backend.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads the service's Prometheus metrics (port 8081). */
public final class Metrics {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Metrics() {}

  /** The whole {@code /q/metrics} text. */
  public static String scrape() {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create("http://localhost:8081/q/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of an unlabelled gauge or counter, or 0 when absent. */
  public static double gauge(String name) {
    return scrape()
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(sample(l).substring(l.indexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  /**
   * A series line without its exemplar: with OpenTelemetry present, a counter's line ends in {@code
   * # {span_id="…",trace_id="…"} 1.0 <time>} (OpenMetrics), naming the trace of its last update.
   */
  public static String sample(String line) {
    int exemplar = line.indexOf(" # ");
    return exemplar < 0 ? line : line.substring(0, exemplar);
  }
}
