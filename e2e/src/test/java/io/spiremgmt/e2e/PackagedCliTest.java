package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.api.v1.Entry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged programs as an operator runs them: the agent's {@code --dry-run} prints the plan and
 * changes nothing, bad agent configuration (a token over plaintext among it) is refused with one
 * line per problem, and the backend's production profile refuses unsafe settings, naming each.
 */
class PackagedCliTest {
  private static Cluster cluster;
  private static Converge converge;

  @BeforeAll
  static void start() throws Exception {
    cluster = Cluster.start(Map.of("a", Cluster.PROD));
    converge = new Converge(cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void withACertificateTheBackendServesTls13Only() throws Exception {
    // Given: a backend serving TLS with a certificate (a keystore made with the JDK's keytool)
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("tls");
    java.nio.file.Path keystore = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    int tlsPort = JavaProcess.freePort();
    Map<String, String> props = new java.util.HashMap<>(cluster.backendProperties());
    props.put("quarkus.profile", "e2e");
    props.put("quarkus.http.ssl-port", Integer.toString(tlsPort));
    props.put("quarkus.http.ssl.certificate.key-store-file", keystore.toString());
    props.put("quarkus.http.ssl.certificate.key-store-password", "changeit");
    try (JavaProcess backend =
        JavaProcess.start(
            "backend-certificate", Path.of(System.getProperty("e2e.backend.jar")), props)) {
      // The TLS listener may open a moment after the plaintext one answers ready.
      org.awaitility.Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .ignoreExceptionsInstanceOf(java.net.ConnectException.class)
          .until(() -> handshake(tlsPort, "TLSv1.3") != null);

      // When / Then: a TLS 1.3 client gets in, a client offering TLS 1.2 at most does not
      assertThat(handshake(tlsPort, "TLSv1.3")).isEqualTo("TLSv1.3");
      assertThatThrownBy(() -> handshake(tlsPort, "TLSv1.2"))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }
  }

  /** Handshakes with the loopback port offering only {@code protocol}; the protocol agreed. */
  private static String handshake(int port, String protocol) throws Exception {
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(
        null,
        new javax.net.ssl.TrustManager[] {
          // The test checks the protocol, not the (self-signed) certificate.
          new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
              return new java.security.cert.X509Certificate[0];
            }
          }
        },
        null);
    try (javax.net.ssl.SSLSocket socket =
        (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return socket.getSession().getProtocol();
    }
  }

  @Test
  void aDryRunPrintsWhatItWouldChangeAndChangesNothing() throws Exception {
    // Given: an entry no agent applied yet, and a hand-made SPIRE entry
    Entry e = converge.create(converge.entry(Cluster.PROD, "/dry/app", "a"));
    cluster
        .spire("a")
        .cli(
            "entry",
            "create",
            "-entryID",
            "hand-made-dry",
            "-spiffeID",
            "spiffe://" + Cluster.PROD + "/legacy/dry",
            "-parentID",
            "spiffe://" + Cluster.PROD + "/agent/x",
            "-selector",
            "unix:uid:1");
    var before = cluster.allSpireEntries("a");

    // When
    Run run = agent(cluster.agentProperties("a", "dry-run-1"), "--dry-run");

    // Then
    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .contains("would create " + Cluster.PREFIX + e.getId())
        .contains("unmanaged hand-made-dry spiffe://" + Cluster.PROD + "/legacy/dry")
        .contains("nothing was changed");
    assertThat(cluster.allSpireEntries("a")).containsExactlyInAnyOrderElementsOf(before);
    assertThat(converge.agent("a").getAgentId()).as("a dry run takes no lease").isEmpty();
  }

  @Test
  void badConfigurationIsRefusedWithOneLinePerProblem() throws Exception {
    Map<String, String> props = new java.util.HashMap<>(cluster.agentProperties("a", "bad"));
    props.put("agent.site-id", "site-a");
    props.put("agent.backend.address", "no-port");
    props.put("agent.spire.batch-size", "0");

    Run run = agent(props);

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out())
        .contains("refusing to start")
        .contains("agent.site-id (AGENT_SITE_ID) must be the site's UUID")
        .contains("agent.backend.address (AGENT_BACKEND_ADDRESS) must be host:port")
        .contains("agent.spire.batch-size must be 1 to 1000, got 0");
  }

  @Test
  void thePackagedAgentRefusesToSendItsTokenOverPlaintextWithoutTheDevelopmentSetting()
      throws Exception {
    // Given: the cluster's agent settings (a token, the plaintext backend) without the setting
    // that allows a token over plaintext
    Map<String, String> props = new java.util.HashMap<>(cluster.agentProperties("a", "plain"));
    props.remove("agent.backend.allow-plaintext-token");

    // When
    Run run = agent(props);

    // Then
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out())
        .contains("refusing to start")
        .contains("agent.backend.token-file (AGENT_BACKEND_TOKEN_FILE) is set but the backend")
        .contains("agent.backend.tls=true (AGENT_BACKEND_TLS)")
        .contains("agent.backend.allow-plaintext-token=true (AGENT_BACKEND_ALLOW_PLAINTEXT_TOKEN)");
    assertThat(converge.agent("a").getAgentId()).as("a refused agent takes no lease").isEmpty();
  }

  @Test
  void theBackendRefusesToStartInProductionWithUnsafeSettingsNamingEach() throws Exception {
    // Given: the cluster's database, the test issuer's inline key, plaintext, prod profile
    Map<String, String> props = cluster.backendProperties();

    // When
    Run run = run("e2e.backend.jar", props);

    // Then
    assertThat(run.exit()).isNotZero();
    assertThat(run.out())
        .contains("refusing to start in production")
        .contains("MP_JWT_VERIFY_ISSUER is the development issuer")
        .contains("MP_JWT_VERIFY_PUBLICKEY (an inline key")
        .contains("no TLS certificate is configured")
        .contains("QUARKUS_HTTP_INSECURE_REQUESTS=disabled");
  }

  private record Run(int exit, String out) {}

  private static Run agent(Map<String, String> props, String... args) throws Exception {
    return run("e2e.agent.jar", props, args);
  }

  private static Run run(String jarProperty, Map<String, String> props, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Dquarkus.http.port=0");
    props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-jar");
    cmd.add(Path.of(System.getProperty(jarProperty)).toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }
}
