package io.spiremgmt.backend.sync;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.Metrics;
import io.spiremgmt.backend.support.TestDatabase;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The seed's metrics on /q/metrics, and the duties that refresh the gauges on one replica at once.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SyncMetricsTest {
  private final String token = Api.adminToken("ops@metrics");

  @Inject BackgroundDuties duties;

  @Test
  void countsGrpcCallsByMethodAndStatusWithTheirDuration() {
    // Given: an Admin (token)

    // When
    Api.sites(token).listSites(ListSitesRequest.getDefaultInstance());

    // Then
    String metrics = Metrics.scrape();
    assertThat(metrics)
        .contains(
            "grpc_requests_total{method=\"spire.mgmt.v1.SiteService/ListSites\",status=\"OK\"}")
        .contains(
            "grpc_request_duration_seconds_count{method=\"spire.mgmt.v1.SiteService/ListSites\"}")
        .contains(
            "grpc_request_duration_seconds_bucket{method=\"spire.mgmt.v1.SiteService/ListSites\"");
  }

  @Test
  void countsAppliedFailuresBySiteAndReason() {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Entry e = create(token, entry(td, "/fails", site.getId()));

    // When
    reportFailure(site, e, "SPIRE_UNAVAILABLE", "SPIRE server call failed: UNAVAILABLE");

    // Then
    assertThat(Metrics.scrape())
        .contains(
            "sync_failures_total{reason=\"SPIRE_UNAVAILABLE\",site=\"" + site.getId() + "\"} 1.0");
  }

  @Test
  void anUnknownFailureReasonIsCountedAsOtherSoTheLabelStaysBounded() {
    // Given
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Entry e = create(token, entry(td, "/made-up", site.getId()));

    // When: the agent sends a well-formed reason outside the fixed list
    reportFailure(site, e, "MADE_UP_REASON_A", "something new went wrong");

    // Then: the result is recorded, under the reason OTHER
    String metrics = Metrics.scrape();
    assertThat(metrics)
        .contains("sync_failures_total{reason=\"OTHER\",site=\"" + site.getId() + "\"} 1.0")
        .doesNotContain("MADE_UP_REASON_A");
    assertThat(
            DbProbe.queryString(
                "SELECT sync_status FROM workload_entry_sites WHERE workload_entry_id = '"
                    + e.getId()
                    + "'"))
        .isEqualTo("FAILED");
  }

  @Test
  void theDutiesRefreshTheGaugesAndRunOnOneReplicaAtATime() throws Exception {
    // Given: a site with a waiting change and an agent
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    create(token, entry(td, "/waiting", site.getId()));
    DbProbe.execute(
        "UPDATE workload_entry_sites SET changed_at = now() - interval '90 seconds'"
            + " WHERE site_id = '"
            + site.getId()
            + "'");

    // When
    boolean ran = duties.runOnce().await().atMost(Duration.ofSeconds(30));

    // Then
    assertThat(ran).isTrue();
    String metrics = Metrics.scrape();
    assertThat(metrics)
        .contains("sync_status_by_site{site=\"" + site.getId() + "\",status=\"PENDING\"} 1.0")
        .contains("sync_agent_connected{site=\"" + site.getId() + "\"} 1.0")
        .containsPattern("entries_total [1-9]");
    assertThat(gauge(metrics, "sync_oldest_pending_seconds", site)).isBetween(89.0, 200.0);

    // When: another replica runs them right now (holds the advisory lock)
    try (Connection other = DbProbe.connect()) {
      other.setAutoCommit(false);
      try (Statement st = other.createStatement()) {
        st.execute("SELECT pg_advisory_xact_lock(" + BackgroundDuties.LOCK_KEY + ")");
      }

      // Then: this replica skips its run
      assertThat(duties.runOnce().await().atMost(Duration.ofSeconds(30))).isFalse();
      other.rollback();
    }
    assertThat(duties.runOnce().await().atMost(Duration.ofSeconds(30))).isTrue();
  }

  @Test
  void syncLagIsTheTimeSinceTheSiteWasLastInSyncAndGrowsWhileItsAgentIsDead() throws Exception {
    // Given: a site whose one entry was synced five minutes ago, with nothing waiting since, and
    // whose agent stopped renewing its lease then
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    Entry e = create(token, entry(td, "/synced", site.getId()));
    Fixtures.report(
        token,
        site,
        SyncResult.newBuilder()
            .setEntryId(e.getId())
            .setRevision(1)
            .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
            .setSpireEntryId("spire-synced"));
    DbProbe.execute(
        "UPDATE workload_entry_sites SET last_sync_at = now() - interval '300 seconds'"
            + " WHERE site_id = '"
            + site.getId()
            + "'");
    DbProbe.execute(
        "UPDATE site_agents SET lease_expires_at = now() - interval '280 seconds',"
            + " last_poll_at = now() - interval '300 seconds' WHERE site_id = '"
            + site.getId()
            + "'");

    // When
    duties.runOnce().await().atMost(Duration.ofSeconds(30));

    // Then: the lag is the five minutes since it was last in sync, though no change waits
    String metrics = Metrics.scrape();
    assertThat(gauge(metrics, "sync_lag_seconds", site)).isBetween(299.0, 400.0);
    assertThat(gauge(metrics, "sync_oldest_pending_seconds", site)).isEqualTo(0.0);
    assertThat(gauge(metrics, "sync_agent_connected", site)).isEqualTo(0.0);
  }

  @Test
  void aLiveAgentPollingAnIdleSiteKeepsItsLagNearZero() throws Exception {
    // Given: a site with nothing waiting whose agent polled just now
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Fixtures.leased(token, site);
    DbProbe.execute(
        "UPDATE sites SET created_at = now() - interval '1 day' WHERE id = '" + site.getId() + "'");
    DbProbe.execute(
        "UPDATE site_agents SET last_poll_at = now() WHERE site_id = '" + site.getId() + "'");

    // When
    duties.runOnce().await().atMost(Duration.ofSeconds(30));

    // Then
    assertThat(gauge(Metrics.scrape(), "sync_lag_seconds", site)).isBetween(0.0, 30.0);
  }

  @Test
  void countsEachSitesPairsPastTenFailedAttempts() throws Exception {
    // Given: two entries at a site, one failed eleven times and one failed nine times
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Entry failing = create(token, entry(td, "/eleven", site.getId()));
    Entry retrying = create(token, entry(td, "/nine", site.getId()));
    DbProbe.execute(
        "UPDATE workload_entry_sites SET sync_status = 'FAILED', attempts = 11"
            + " WHERE workload_entry_id = '"
            + failing.getId()
            + "'");
    DbProbe.execute(
        "UPDATE workload_entry_sites SET sync_status = 'FAILED', attempts = 9"
            + " WHERE workload_entry_id = '"
            + retrying.getId()
            + "'");

    // When
    duties.runOnce().await().atMost(Duration.ofSeconds(30));

    // Then: only the pair past the alert threshold counts
    assertThat(gauge(Metrics.scrape(), "sync_alerting_pairs", site)).isEqualTo(1.0);
  }

  private static double gauge(String metrics, String name, Site site) {
    String prefix = name + "{site=\"" + site.getId() + "\"}";
    return metrics
        .lines()
        .filter(l -> l.startsWith(prefix))
        .map(Metrics::sample)
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(prefix + " not in /q/metrics"));
  }

  /** The site's agent reports a FAILED result for the entry's first revision. */
  private void reportFailure(Site site, Entry e, String reason, String error) {
    Fixtures.report(
        token,
        site,
        SyncResult.newBuilder()
            .setEntryId(e.getId())
            .setRevision(1)
            .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
            .setError(error)
            .setReason(reason));
  }
}
