package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.ErrorInfo;
import com.sun.security.auth.module.UnixSystem;
import io.restassured.response.Response;
import io.spiffe.workloadapi.DefaultWorkloadApiClient;
import io.spiffe.workloadapi.WorkloadApiClient;
import io.spiremgmt.agent.spire.SpireAgent;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.ListSitesResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Envoy as it runs in production, with real parts: a real spire-server and spire-agent; Envoy takes
 * its own X.509-SVID and the trust bundle from the agent's SDS API and calls the packaged backend
 * (in SVID mTLS mode, listing Envoy's SPIFFE ID as a proxy) over mutual TLS, accepting only the
 * backend's SPIFFE ID. A browser's gRPC-Web call needs its user's token: Envoy's SVID alone
 * authenticates no one.
 */
class EnvoyMtlsEndToEndTest {
  private static final String TD = "mesh.test";
  private static final String BACKEND_ID = "spiffe://" + TD + "/spire-mgmt/backend";
  private static final String ENVOY_ID = "spiffe://" + TD + "/spire-mgmt/envoy";
  private static final String IMPOSTOR_ID = "spiffe://" + TD + "/impostor";
  private static final String ORIGIN = "https://backstage.e2e.test";
  private static final String LIST_SITES = "/spire.mgmt.v1.SiteService/ListSites";
  private static final int SVID_TTL = 20;

  private static SpireServer mesh;
  private static SpireAgent node;
  private static Cluster cluster;
  private static int backend;
  private static EnvoyProcess envoy;
  private static String viewer;
  private static Site site;

  @BeforeAll
  static void start() throws Exception {
    mesh = SpireServer.start(TD);
    node = SpireAgent.start(mesh);
    // Envoy, the backends and this test run as the same user: one selector, three SVIDs told apart
    // by SPIFFE ID (Envoy asks for its own by name).
    List<SpireEntry.Selector> sameUser =
        List.of(new SpireEntry.Selector("unix", "uid:" + new UnixSystem().getUid()));
    mesh.client()
        .create(
            List.of(
                TestEntries.of("reg-backend", BACKEND_ID, node.nodeId(), sameUser, SVID_TTL),
                TestEntries.of("reg-envoy", ENVOY_ID, node.nodeId(), sameUser, SVID_TTL),
                TestEntries.of("reg-impostor", IMPOSTOR_ID, node.nodeId(), sameUser, SVID_TTL)));
    awaitSvids(BACKEND_ID, ENVOY_ID, IMPOSTOR_ID);
    // Backend 0 serves plaintext (to set up data); the one behind Envoy serves SVID mTLS only.
    cluster = Cluster.start(Map.of());
    backend = cluster.startBackend(svidMode(BACKEND_ID));
    site = createSite();
    viewer = cluster.token("alice", Set.of("Viewer"), Map.of());
    envoy =
        EnvoyProcess.startMtls(
            "envoy-mtls",
            cluster.backend(backend).port(),
            ORIGIN,
            new EnvoyProcess.Mtls(node.socket(), ENVOY_ID, BACKEND_ID),
            true);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {envoy, cluster, node, mesh}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Waits until the agent serves an SVID for each of {@code ids} to this process's user. */
  private static void awaitSvids(String... ids) throws Exception {
    try (WorkloadApiClient api =
        DefaultWorkloadApiClient.newClient(
            DefaultWorkloadApiClient.ClientOptions.builder()
                .spiffeSocketPath(node.address())
                .build())) {
      await("SVIDs for " + List.of(ids))
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(
              () ->
                  api.fetchX509Context().getX509Svids().stream()
                      .map(s -> s.getSpiffeId().toString())
                      .toList()
                      .containsAll(List.of(ids)));
    }
  }

  /** A backend's SVID mTLS mode as {@code spiffeId}, with Envoy's SPIFFE ID as a proxy. */
  private static Map<String, String> svidMode(String spiffeId) {
    return Map.of(
        "spire-mgmt.auth.mtls.workload-api-socket",
        node.address(),
        "spire-mgmt.auth.mtls.spiffe-id",
        spiffeId,
        "spire-mgmt.auth.mtls.proxies",
        ENVOY_ID);
  }

  private static Site createSite() {
    return cluster
        .sites(0)
        .createSite(
            CreateSiteRequest.newBuilder()
                .setSite(
                    Site.newBuilder()
                        .setName("envoy-mtls-" + Cluster.unique())
                        .setRegion("region-mesh")
                        .setTrustDomain(TD)
                        .setSpireServerAddr("unix://" + mesh.socket())
                        .setStatus(SiteStatus.SITE_STATUS_ACTIVE))
                .build());
  }

  /** ListSites in binary gRPC-Web through {@code through}, as {@code userAgent}, with a token. */
  private static Response listSites(EnvoyProcess through, String userAgent, String token) {
    var request =
        GrpcWeb.request(through.url(), GrpcWeb.BINARY)
            .header("User-Agent", userAgent)
            .body(GrpcWeb.frame(ListSitesRequest.getDefaultInstance().toByteArray()));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return request.post(LIST_SITES);
  }

  /** The access log line of the request made as {@code userAgent}, once Envoy has written it. */
  private static String requestLogLine(EnvoyProcess of, String userAgent) {
    return logLine(of, "\"log\":\"request\"", "\"user_agent\":\"" + userAgent + "\"");
  }

  /**
   * The router's upstream log line of that request: the one with the request's {@code request_id}.
   */
  private static String upstreamLogLine(EnvoyProcess of, String userAgent) {
    Matcher id = REQUEST_ID.matcher(requestLogLine(of, userAgent));
    assertThat(id.find()).as("a request_id").isTrue();
    return logLine(of, "\"log\":\"upstream\"", "\"request_id\":\"" + id.group(1) + "\"");
  }

  private static final Pattern REQUEST_ID = Pattern.compile("\"request_id\":\"([^\"]+)\"");

  private static String logLine(EnvoyProcess of, String kind, String marker) {
    String[] line = new String[1];
    await("the access log line with " + kind + " and " + marker)
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              line[0] =
                  of.accessLog().stream()
                      .filter(l -> l.contains(kind) && l.contains(marker))
                      .findFirst()
                      .orElse(null);
              return line[0] != null;
            });
    return line[0];
  }

  @Test
  void callWithAUsersTokenGoesThroughEnvoyToTheBackendOverMutualTls() throws Exception {
    // Given: a Viewer's token, and a site
    String agent = "e2e-token-" + Cluster.unique();

    // When: ListSites through Envoy
    Response r = listSites(envoy, agent, viewer);

    // Then: the user's answer
    Map<String, String> status = GrpcWeb.status(r);
    assertThat(status).containsEntry("grpc-status", "0");
    GrpcWeb.Frames frames = GrpcWeb.parse(r.asByteArray());
    assertThat(ListSitesResponse.parseFrom(frames.messages().get(0)).getSitesList())
        .extracting(Site::getId)
        .contains(site.getId());
    // And Envoy's upstream log line has the backend's gRPC status and both ends' SPIFFE IDs
    assertThat(upstreamLogLine(envoy, agent))
        .contains("\"grpc_status\":\"OK\"")
        .contains("\"upstream_spiffe_id\":\"" + BACKEND_ID + "\"")
        .contains("\"envoy_spiffe_id\":\"" + ENVOY_ID + "\"");
  }

  @Test
  void callWithoutTokenIsUnauthenticatedThoughEnvoysSvidIsValid() throws Exception {
    // Given: no authorization header
    String agent = "e2e-no-token-" + Cluster.unique();

    // When
    Response r = listSites(envoy, agent, null);

    // Then: UNAUTHENTICATED from the backend, which saw Envoy's SVID on the connection and names it
    Map<String, String> status = GrpcWeb.status(r);
    assertThat(status).containsEntry("grpc-status", "16");
    assertThat(status.get("grpc-message")).contains(ENVOY_ID).contains("proxy");
    ErrorInfo info = GrpcWeb.errorInfo(status.get("grpc-status-details-bin"));
    assertThat(info.getReason()).isEqualTo("UNAUTHENTICATED");
    assertThat(info.getDomain()).isEqualTo("spire-mgmt.io");
    assertThat(GrpcWeb.parse(r.asByteArray()).messages()).isEmpty();
    // And Envoy's upstream log line has the status
    assertThat(upstreamLogLine(envoy, agent)).contains("\"grpc_status\":\"UNAUTHENTICATED\"");
  }

  @Test
  void envoyRefusesABackendPresentingAnotherSpiffeId() throws Exception {
    // Given: a backend replica with a valid SVID of the trust domain, but not the backend's ID, and
    // an Envoy sent to it
    int impostor = cluster.startBackend(svidMode(IMPOSTOR_ID));
    try (EnvoyProcess misled =
        EnvoyProcess.startMtls(
            "envoy-misled",
            cluster.backend(impostor).port(),
            ORIGIN,
            new EnvoyProcess.Mtls(node.socket(), ENVOY_ID, BACKEND_ID),
            false)) {
      await("a handshake refused for the SPIFFE ID")
          .atMost(Duration.ofSeconds(30))
          .until(() -> misled.stat("cluster.spire_mgmt_backend.ssl.fail_verify_san") > 0);
      String agent = "e2e-impostor-" + Cluster.unique();

      // When: a user's call through that Envoy
      Response r = listSites(misled, agent, viewer);

      // Then: UNAVAILABLE, and no call reached the impostor
      assertThat(GrpcWeb.status(r)).containsEntry("grpc-status", "14");
      assertThat(GrpcWeb.parse(r.asByteArray()).messages()).isEmpty();
      assertThat(cluster.backend(impostor).get("/q/metrics")).doesNotContain("grpc_requests_total");
      // And Envoy's log says why: the SPIFFE ID (the URI SAN) did not match
      assertThat(requestLogLine(misled, agent))
          .contains("\"response_flags\":\"UF\"")
          .contains("CERTIFICATE_VERIFY_FAILED")
          .contains("SAN_match");
    } finally {
      cluster.backend(impostor).close();
    }
  }

  @Test
  void envoyPicksUpItsRotatedSvidFromTheAgent() throws Exception {
    // Given: the SVID Envoy started with
    Svid first = envoySvid();

    // When: the agent has rotated it and the first one has expired
    await("Envoy holds a rotated SVID and the first has expired")
        .atMost(Duration.ofSeconds(SVID_TTL * 3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                !envoySvid().serial().equals(first.serial())
                    && Instant.now().isAfter(first.notAfter().plusSeconds(1)));
    // And Envoy must open new connections: the backend restarts
    cluster.backend(backend).kill();
    cluster.backend(backend).restart();
    String healthy =
        "spire_mgmt_backend::127.0.0.1:"
            + cluster.backend(backend).port()
            + "::health_flags::healthy";
    await("Envoy's health check reconnected")
        .atMost(Duration.ofSeconds(30))
        .until(() -> envoy.admin("/clusters").contains(healthy));

    // Then: the backend authenticates Envoy's rotated SVID (and names it), and a user's call passes
    Response anonymous = listSites(envoy, "e2e-rotated-" + Cluster.unique(), null);
    assertThat(GrpcWeb.status(anonymous)).containsEntry("grpc-status", "16");
    assertThat(GrpcWeb.status(anonymous).get("grpc-message")).contains(ENVOY_ID);
    Response r = listSites(envoy, "e2e-rotated-" + Cluster.unique(), viewer);
    assertThat(GrpcWeb.status(r)).containsEntry("grpc-status", "0");
  }

  private record Svid(String serial, Instant notAfter) {}

  private static final Pattern CERT_CHAIN =
      Pattern.compile(
          "\"cert_chain\"\\s*:\\s*\\[\\s*\\{[^}]*?\"serial_number\"\\s*:\\s*\"([0-9a-fA-F]+)\"[\\s\\S]*?"
              + "\"expiration_time\"\\s*:\\s*\"([^\"]+)\"");

  /** Envoy's client certificate (its SVID) as its admin interface's {@code /certs} lists it. */
  private static Svid envoySvid() throws Exception {
    String certs = envoy.admin("/certs");
    Matcher m = CERT_CHAIN.matcher(certs);
    if (!m.find()) {
      throw new AssertionError("no client certificate in Envoy's /certs: " + certs);
    }
    return new Svid(m.group(1), Instant.parse(m.group(2)));
  }
}
