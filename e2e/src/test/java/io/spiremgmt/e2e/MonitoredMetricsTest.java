package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The PromQL tokenizer that MonitoringMetricsEndToEndTest reads the metric names with. */
class MonitoredMetricsTest {
  @Test
  void findsTheMetricsOfAnExpressionButNotItsLabelsFunctionsOrKeywords() {
    // Given
    String expr =
        "sum by (namespace, job) (rate(grpc_requests_total{status=~\"INTERNAL|UNKNOWN\"}[5m]))"
            + " / ignoring (method) group_left sum without (status) (rate(grpc_requests_total[5m]))"
            + " > 0.05 and on (site) max by (site) (sync_alerting_pairs offset 1h) > bool 1e3";

    // When
    var names = MonitoredMetrics.inExpression(expr);

    // Then
    assertThat(names).containsExactlyInAnyOrder("grpc_requests_total", "sync_alerting_pairs");
  }

  @Test
  void findsHistogramSeriesAndIgnoresGrafanaVariablesAndStrings() {
    // Given
    String expr =
        "histogram_quantile(0.95, sum by (le) (rate(grpc_request_duration_seconds_bucket"
            + "{method!~\".*/(PollEntries)\", site=~\"$site\"}[$__rate_interval])))"
            + " + on() vector(0) * ${factor} + label_replace(up, \"x\", \"$1\", \"job\", \"(.*)\")";

    // When
    var names = MonitoredMetrics.inExpression(expr);

    // Then
    assertThat(names).containsExactlyInAnyOrder("grpc_request_duration_seconds_bucket", "up");
  }

  @Test
  void readsTheSampleNamesOfAnExposition() {
    // Given
    String exposition =
        """
        # HELP sync_lag_seconds Time since each site was last known in sync
        # TYPE sync_lag_seconds gauge
        sync_lag_seconds{site="a"} 1.5
        entries_total 3.0
        """;

    // When / Then
    assertThat(MonitoredMetrics.exported(exposition))
        .containsExactlyInAnyOrder("sync_lag_seconds", "entries_total");
  }
}
