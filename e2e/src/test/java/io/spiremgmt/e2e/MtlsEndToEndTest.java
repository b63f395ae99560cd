package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.security.auth.module.UnixSystem;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import io.spiffe.bundle.BundleSource;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeTrustManager;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.DefaultWorkloadApiClient;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.WorkloadApiClient;
import io.spiffe.workloadapi.X509Context;
import io.spiremgmt.agent.spire.SpireAgent;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireServer;
import io.spiremgmt.agent.spire.TestEntries;
import io.spiremgmt.agent.tls.SvidKeyManager;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.AuditServiceGrpc;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListSitesRequest;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS with SPIFFE X.509-SVIDs, end to end: a real spire-server and spire-agent; the packaged
 * backend and site agent get their SVIDs from the agent's Workload API, call each other over TLS
 * 1.3, and keep working across SVID rotations (a 20 s TTL, so every SVID they started with has
 * expired before the last checks). A valid SVID that is not mapped to a principal holds no role; a
 * certificate of another trust domain is refused in the handshake.
 */
class MtlsEndToEndTest {
  private static final String TD = "mesh.test";
  private static final String BACKEND_ID = "spiffe://" + TD + "/backend";
  private static final String AGENT_ID = "spiffe://" + TD + "/agent/a";
  private static final String STRANGER_ID = "spiffe://" + TD + "/stranger";
  private static final String PROXY_ID = "spiffe://" + TD + "/proxy/envoy";
  private static final int SVID_TTL = 20;

  private static SpireServer mesh;
  private static SpireServer foreign;
  private static SpireAgent node;
  private static EmbeddedDatabase db;
  private static TokenIssuer issuer;
  private static String adminToken;
  private static WorkloadApiClient workloadApi;
  private static DefaultX509Source strangerSvids;
  private static DefaultX509Source proxySvids;
  private static JavaProcess backend;
  private static JavaProcess agent;
  private static String site;

  @BeforeAll
  static void start() throws Exception {
    mesh = SpireServer.start(TD);
    foreign = SpireServer.start("other.test");
    node = SpireAgent.start(mesh);
    long uid = new UnixSystem().getUid();
    // The backend, the agent and this test run as the same user: three SVIDs for one selector,
    // told apart by SPIFFE ID.
    List<SpireEntry.Selector> sameUser = List.of(new SpireEntry.Selector("unix", "uid:" + uid));
    mesh.client()
        .create(
            List.of(
                registration("reg-backend", BACKEND_ID, sameUser),
                registration("reg-agent", AGENT_ID, sameUser),
                registration("reg-stranger", STRANGER_ID, sameUser),
                registration("reg-proxy", PROXY_ID, sameUser)));
    workloadApi =
        DefaultWorkloadApiClient.newClient(
            DefaultWorkloadApiClient.ClientOptions.builder()
                .spiffeSocketPath(node.address())
                .build());
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svid(BACKEND_ID) != null
                    && svid(AGENT_ID) != null
                    && svid(STRANGER_ID) != null
                    && svid(PROXY_ID) != null);
    strangerSvids = svidSource(STRANGER_ID);
    proxySvids = svidSource(PROXY_ID);
    db = EmbeddedDatabase.start(null);
    issuer = new TokenIssuer(TokenIssuer.newKeyPair(), TokenIssuer.DEV_ISSUER);
    adminToken = issuer.mint("mtls-admin", Set.of("Admin"), Duration.ofHours(1));
    // The site must exist before the agent's SPIFFE ID can be mapped to it.
    backend = JavaProcess.start("mtls-backend", backendJar(), backendProperties(null));
    site = createSite();
    backend.close();
    backend = JavaProcess.start("mtls-backend", backendJar(), backendProperties(site));
  }

  /** The Workload API's SVIDs for {@code spiffeId}, as a source. */
  private static DefaultX509Source svidSource(String spiffeId) throws Exception {
    return DefaultX509Source.newSource(
        DefaultX509Source.X509SourceOptions.builder()
            .spiffeSocketPath(node.address())
            .svidPicker(
                svids ->
                    svids.stream()
                        .filter(s -> s.getSpiffeId().toString().equals(spiffeId))
                        .findFirst()
                        .orElseThrow())
            .build());
  }

  private static SpireEntry registration(String id, String spiffeId, List<SpireEntry.Selector> s) {
    return TestEntries.of(id, spiffeId, node.nodeId(), s, SVID_TTL);
  }

  private static Path backendJar() {
    return Path.of(System.getProperty("e2e.backend.jar"));
  }

  private static Map<String, String> backendProperties(String agentSite) {
    Map<String, String> props = new HashMap<>(db.datasourceConfig());
    props.put("quarkus.profile", "e2e");
    props.put("mp.jwt.verify.publickey", issuer.publicKeyValue());
    props.put("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
    props.put("spire-mgmt.auth.mtls.workload-api-socket", node.address());
    props.put("spire-mgmt.auth.mtls.spiffe-id", BACKEND_ID);
    props.put("spire-mgmt.auth.mtls.proxies", PROXY_ID);
    if (agentSite != null) {
      String principal = "spire-mgmt.auth.mtls.principals.\"" + AGENT_ID + "\"";
      props.put(principal + ".role", "SiteAgent");
      props.put(principal + ".site-id", agentSite);
    }
    return props;
  }

  private static String createSite() throws Exception {
    ManagedChannel ch = channel(null, new AtomicReference<>());
    try {
      Site created =
          SiteServiceGrpc.newBlockingStub(ch)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)))
              .createSite(
                  CreateSiteRequest.newBuilder()
                      .setSite(
                          Site.newBuilder()
                              .setName("site-mesh")
                              .setRegion("mesh")
                              .setTrustDomain(TD)
                              .setSpireServerAddr("unix://" + mesh.socket())
                              .setStatus(SiteStatus.SITE_STATUS_ACTIVE))
                      .build());
      return created.getId();
    } finally {
      ch.shutdownNow();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c :
        new AutoCloseable[] {
          agent, backend, strangerSvids, proxySvids, workloadApi, db, node, foreign, mesh
        }) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** The current SVID for {@code spiffeId} from the Workload API, or null. */
  private static X509Svid svid(String spiffeId) {
    try {
      X509Context context = workloadApi.fetchX509Context();
      return context.getX509Svids().stream()
          .filter(s -> s.getSpiffeId().toString().equals(spiffeId))
          .findFirst()
          .orElse(null);
    } catch (Exception e) {
      return null;
    }
  }

  private static Metadata bearer(String token) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return m;
  }

  /**
   * A fresh TLS 1.3 channel to the backend that accepts only the backend's SPIFFE ID and records
   * the certificate it presented; the client presents {@code clientKeys} (none when null).
   */
  private static ManagedChannel channel(
      KeyManager clientKeys, AtomicReference<X509Certificate> seen) throws Exception {
    BundleSource<X509Bundle> bundles = strangerSvids::getBundleForTrustDomain;
    SpiffeTrustManager spiffe =
        new SpiffeTrustManager(bundles, () -> Set.of(SpiffeId.parse(BACKEND_ID)));
    X509ExtendedTrustManager recording =
        new X509ExtendedTrustManager() {
          @Override
          public void checkServerTrusted(X509Certificate[] chain, String auth, SSLEngine engine)
              throws CertificateException {
            seen.set(chain[0]);
            spiffe.checkServerTrusted(chain, auth, engine);
          }

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String auth, Socket s)
              throws CertificateException {
            seen.set(chain[0]);
            spiffe.checkServerTrusted(chain, auth, s);
          }

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String auth)
              throws CertificateException {
            seen.set(chain[0]);
            spiffe.checkServerTrusted(chain, auth);
          }

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String auth, SSLEngine engine) {
            throw new UnsupportedOperationException("client side only");
          }

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String auth, Socket s) {
            throw new UnsupportedOperationException("client side only");
          }

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String auth) {
            throw new UnsupportedOperationException("client side only");
          }

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SslContextBuilder ssl =
        GrpcSslContexts.forClient().protocols("TLSv1.3").trustManager(recording);
    if (clientKeys != null) {
      ssl.keyManager(clientKeys);
    }
    return NettyChannelBuilder.forAddress("localhost", backend.port())
        .sslContext(ssl.build())
        .build();
  }

  private static <T> T withChannel(
      KeyManager keys, AtomicReference<X509Certificate> seen, ChannelCall<T> call)
      throws Exception {
    ManagedChannel ch = channel(keys, seen);
    try {
      return call.apply(ch);
    } finally {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The certificate the backend presents on a new connection, after an Admin call over it. */
  private static X509Certificate backendCertificate() throws Exception {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    withChannel(
        null,
        seen,
        ch ->
            SiteServiceGrpc.newBlockingStub(ch)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)))
                .listSites(ListSitesRequest.getDefaultInstance()));
    return seen.get();
  }

  private interface ChannelCall<T> {
    T apply(ManagedChannel channel) throws Exception;
  }

  private static Entry createEntry(String name) throws Exception {
    return withChannel(
        null,
        new AtomicReference<>(),
        ch ->
            WorkloadEntryServiceGrpc.newBlockingStub(ch)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)))
                .createEntry(
                    CreateEntryRequest.newBuilder()
                        .setEntry(
                            Entry.newBuilder()
                                .setSpiffeId("spiffe://" + TD + "/workload/" + name)
                                .setParentId(node.nodeId())
                                .addSelectors(
                                    Selector.newBuilder().setType("k8s:ns").setValue("payments"))
                                .addSiteIds(site))
                        .build()));
  }

  /** The one SPIFFE ID URI SAN of a certificate. */
  private static String spiffeIdOf(X509Certificate cert) throws Exception {
    return cert.getSubjectAlternativeNames().stream()
        .filter(san -> Integer.valueOf(6).equals(san.get(0)))
        .map(san -> (String) san.get(1))
        .findFirst()
        .orElseThrow();
  }

  private static boolean inSpire(Entry e) {
    return mesh.client().listAll().stream()
        .anyMatch(s -> s.id().equals(Cluster.PREFIX + e.getId()));
  }

  @Test
  void backendAndAgentTalkOverMutualTlsWithTheirSvidsAndKeepWorkingAcrossRotations()
      throws Exception {
    // Given: the agent, authenticated by its SVID alone (no token)
    agent =
        JavaProcess.start(
            "mtls-agent",
            Path.of(System.getProperty("e2e.agent.jar")),
            Map.of(
                "agent.site-id",
                site,
                "agent.instance-id",
                "mtls-agent",
                "agent.backend.address",
                "localhost:" + backend.port(),
                "agent.backend.spiffe-socket",
                node.address(),
                "agent.backend.spiffe-id",
                BACKEND_ID,
                "agent.backend.svid-spiffe-id",
                AGENT_ID,
                "agent.spire.socket",
                mesh.socket().toString(),
                "agent.poll-wait",
                "5s",
                "quarkus.log.category.\"io.spiremgmt\".level",
                "DEBUG",
                "agent.retry-max",
                "2s"));
    X509Certificate original = backendCertificate();

    // When / Then: an entry reaches SPIRE through the agent, which the backend knows by its SVID
    Entry first = createEntry("first");
    await().atMost(Duration.ofSeconds(30)).until(() -> inSpire(first));
    // The agent's first handshake used an SVID issued before now.
    Instant firstSynced = Instant.now();
    List<AuditEvent> events =
        withChannel(
            null,
            new AtomicReference<>(),
            ch ->
                AuditServiceGrpc.newBlockingStub(ch)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)))
                    .listAuditEvents(
                        ListAuditEventsRequest.newBuilder()
                            .setTargetType("entry")
                            .setTargetId(first.getId())
                            .build())
                    .getAuditEventsList());
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.getAction()).isEqualTo("entry.sync");
              assertThat(e.getActor()).isEqualTo(AGENT_ID);
            });
    assertThat(spiffeIdOf(original)).isEqualTo(BACKEND_ID);

    // When: every SVID either side started with has expired
    await()
        .atMost(Duration.ofSeconds(SVID_TTL * 3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                Instant.now().isAfter(original.getNotAfter().toInstant().plusSeconds(1))
                    && Instant.now().isAfter(firstSynced.plusSeconds(SVID_TTL + 2)));

    // Then: a new connection gets the backend's rotated SVID, from the same process
    X509Certificate later = backendCertificate();
    assertThat(later.getSerialNumber()).isNotEqualTo(original.getSerialNumber());
    assertThat(later.getNotAfter().toInstant()).isAfter(Instant.now());

    // ... and after a backend crash the agent reconnects, presenting its rotated SVID
    backend.kill();
    backend.restart();
    Entry second = createEntry("second");
    await().atMost(Duration.ofSeconds(60)).until(() -> inSpire(second));
  }

  @Test
  void aValidSvidWithoutAMappingHoldsNoRole() throws Exception {
    assertThatThrownBy(
            () ->
                withChannel(
                    new SpiffeKeyManager(strangerSvids),
                    new AtomicReference<>(),
                    ch ->
                        SiteServiceGrpc.newBlockingStub(ch)
                            .listSites(ListSitesRequest.getDefaultInstance())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("the caller has none");
            });
  }

  @Test
  void aProxysSvidAloneAuthenticatesNoOneButCarriesItsUsersToken() throws Exception {
    // Given: the backend lists the proxy's SPIFFE ID in spire-mgmt.auth.mtls.proxies
    // When: the proxy calls with its SVID only
    // Then: UNAUTHENTICATED, naming the proxy
    assertThatThrownBy(
            () ->
                withChannel(
                    new SpiffeKeyManager(proxySvids),
                    new AtomicReference<>(),
                    ch ->
                        SiteServiceGrpc.newBlockingStub(ch)
                            .listSites(ListSitesRequest.getDefaultInstance())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription()).contains(PROXY_ID).contains("proxy");
            });
    // And with its user's token on the same mTLS connection the call is the user's
    var sites =
        withChannel(
            new SpiffeKeyManager(proxySvids),
            new AtomicReference<>(),
            ch ->
                SiteServiceGrpc.newBlockingStub(ch)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)))
                    .listSites(ListSitesRequest.getDefaultInstance()));
    assertThat(sites.getSitesList()).isNotEmpty();
  }

  @Test
  void aCertificateOfAnotherTrustDomainIsRefused() throws Exception {
    // Given: an SVID with the same path, minted by another trust domain's CA
    Path svid = Files.createTempDirectory("foreign-svid");
    foreign.mint("spiffe://other.test/agent/a", svid);
    KeyManager keys = new SvidKeyManager(svid.resolve("svid.pem"), svid.resolve("key.pem"));

    // When / Then
    assertThatThrownBy(
            () ->
                withChannel(
                    keys,
                    new AtomicReference<>(),
                    ch ->
                        SiteServiceGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listSites(ListSitesRequest.getDefaultInstance())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void withoutACertificateOrTokenACallIsUnauthenticated() throws Exception {
    assertThatThrownBy(
            () ->
                withChannel(
                    null,
                    new AtomicReference<>(),
                    ch ->
                        SiteServiceGrpc.newBlockingStub(ch)
                            .listSites(ListSitesRequest.getDefaultInstance())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }
}
