package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spiremgmt.api.v1.ApprovalMode;
import io.spiremgmt.api.v1.ApprovalPolicy;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestState;
import io.spiremgmt.api.v1.GetApprovalPolicyRequest;
import io.spiremgmt.api.v1.RequestedChange;
import io.spiremgmt.api.v1.SiteApprovalPolicy;
import io.spiremgmt.api.v1.SubmitEntryRequestRequest;
import io.spiremgmt.api.v1.UpdateApprovalPolicyRequest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every metric that the alert rules and the Grafana dashboard under {@code k8s/base/monitoring}
 * query is really exported: after an entry synced, an entry request left waiting and a sync
 * failure, the packaged backend's and a real site agent's {@code /q/metrics} show each name the
 * files use.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MonitoringMetricsEndToEndTest {
  /** Metrics of CloudNativePG's default monitoring queries, not of our services. */
  static final Set<String> CLOUDNATIVEPG = Set.of("cnpg_pg_replication_lag");

  private static Cluster cluster;
  private static Converge converge;
  private static JavaProcess agent;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start(Map.of("a", Cluster.PROD));
    converge = new Converge(cluster);
    agent = cluster.startAgent("a", "metrics-a", Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyMetricTheRulesAndTheDashboardQueryIsExportedByTheBackendOrTheAgent() throws Exception {
    // Given: the metric names of the rules and the dashboard
    Set<String> queried = new TreeSet<>();
    for (String expr : MonitoredMetrics.ruleExpressions()) {
      queried.addAll(MonitoredMetrics.inExpression(expr));
    }
    for (String expr : MonitoredMetrics.dashboardExpressions()) {
      queried.addAll(MonitoredMetrics.inExpression(expr));
    }
    queried.addAll(MonitoredMetrics.dashboardVariableMetrics());
    assertThat(queried)
        .as("names read from the rules and the dashboard")
        .contains("sync_agent_connected", "grpc_requests_total", "agent_lease_held")
        .containsAll(CLOUDNATIVEPG);

    // Given: an entry synced to site A by its agent
    Entry synced = converge.create(converge.entry(Cluster.PROD, "/monitored", "a"));
    converge.held("a", synced);

    // Given: a Developer's entry request waiting for approval at site A
    ApprovalPolicy policy =
        cluster.requests(0).getApprovalPolicy(GetApprovalPolicyRequest.getDefaultInstance());
    cluster
        .requests(0)
        .updateApprovalPolicy(
            UpdateApprovalPolicyRequest.newBuilder()
                .setPolicy(
                    policy.toBuilder()
                        .addSites(
                            SiteApprovalPolicy.newBuilder()
                                .setSiteId(cluster.site("a").getId())
                                .setMode(ApprovalMode.APPROVAL_MODE_DEVELOPER_CHANGES)
                                .setApprovalsRequired(1)))
                .build());
    String developer =
        cluster.token(
            "dev@metrics", Set.of("Developer"), Map.of("namespaces", List.of("payments")));
    EntryRequest waiting =
        cluster
            .requests(0, developer)
            .submitEntryRequest(
                SubmitEntryRequestRequest.newBuilder()
                    .setChange(
                        RequestedChange.newBuilder()
                            .setCreate(
                                converge.inNamespace(Cluster.PROD, "payments", "waits", "a")))
                    .setJustification("left waiting for the metrics")
                    .build());
    assertThat(waiting.getState()).isEqualTo(EntryRequestState.ENTRY_REQUEST_STATE_PENDING);

    // Given: site A's SPIRE server down, so that the next entry fails there
    cluster.spire("a").kill();
    converge.create(converge.entry(Cluster.PROD, "/fails", "a"));

    // When: the backend and the agent are scraped (until the gauges' next refresh shows it all)
    Set<String> expected = new TreeSet<>(queried);
    expected.removeAll(CLOUDNATIVEPG);
    await()
        .atMost(Converge.WITHIN)
        .untilAsserted(
            () -> {
              Set<String> exported = new TreeSet<>();
              exported.addAll(MonitoredMetrics.exported(cluster.backend(0).get("/q/metrics")));
              exported.addAll(MonitoredMetrics.exported(agent.get("/q/metrics")));

              // Then: each name the rules and the dashboard query is among them
              assertThat(exported)
                  .as("sample names of the backend's and the agent's /q/metrics")
                  .containsAll(expected);
            });
  }
}
