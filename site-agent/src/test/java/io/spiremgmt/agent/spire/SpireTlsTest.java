package io.spiremgmt.agent.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SPIRE server's TCP endpoint with mutual TLS: the agent's admin X.509-SVID (minted by the real
 * server's CA) is accepted, another SVID is refused, a server with an unexpected SPIFFE ID is
 * refused, and a rotated SVID file is used by the next connection.
 */
class SpireTlsTest {
  private static final String TD = "tls.example.org";
  private static SpireServer server;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    server = SpireServer.start(TD);
    dir = Files.createTempDirectory("svid");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anAdminSvidManagesEntriesOverTcp() throws Exception {
    // Given
    Path svid = dir.resolve("admin");
    server.mint(server.adminId(), svid);

    try (SpireEntryClient client = tls(svid, server.serverId())) {
      // When
      SpireEntry entry = TestEntries.entry(TD, "tls-created", "/tls/created", 600);
      List<SpireEntryClient.ItemResult> created = client.create(List.of(entry));

      // Then
      assertThat(created.get(0).ok()).isTrue();
      assertThat(client.listAll()).extracting(SpireEntry::id).contains("tls-created");
    }
  }

  @Test
  void anSvidThatIsNotAnAdminIsRefused() throws Exception {
    // Given
    Path svid = dir.resolve("workload");
    server.mint("spiffe://" + TD + "/some/workload", svid);

    try (SpireEntryClient client = tls(svid, server.serverId())) {
      // When / Then
      assertThatThrownBy(client::listAll)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }
  }

  @Test
  void aServerWithAnotherSpiffeIdIsRefused() throws Exception {
    // Given
    Path svid = dir.resolve("admin-2");
    server.mint(server.adminId(), svid);

    try (SpireEntryClient client = tls(svid, "spiffe://" + TD + "/impostor")) {
      // When / Then
      assertThatThrownBy(client::listAll)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void aRotatedSvidIsUsedByTheNextConnectionWithoutARestart() throws Exception {
    // Given: a working connection with the admin SVID
    Path svid = dir.resolve("rotating");
    server.mint(server.adminId(), svid);
    try (SpireEntryClient client = tls(svid, server.serverId())) {
      assertThat(client.listAll()).isNotNull();

      // When: the files are replaced by another SVID (here one that is not an admin, to see it)
      server.mint("spiffe://" + TD + "/rotated/away", svid);
      client.reconnect();

      // Then: the new connection presents the new SVID
      assertThatThrownBy(client::listAll)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

      // When: the admin SVID is back
      server.mint(server.adminId(), svid);
      client.reconnect();

      // Then
      assertThat(client.listAll()).isNotNull();
    }
  }

  @Test
  void anEndpointOfferingOnlyTls12IsRefusedInTheHandshake() throws Exception {
    // Given an endpoint that presents a valid SVID but speaks TLS 1.2 at most
    Path svid = dir.resolve("old-tls");
    server.mint(server.adminId(), svid);
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(
        new javax.net.ssl.KeyManager[] {
          new io.spiffe.provider.SpiffeKeyManager(
              io.spiremgmt.agent.tls.SvidFiles.svid(
                  svid.resolve("svid.pem"), svid.resolve("key.pem")))
        },
        null,
        null);
    java.util.concurrent.CompletableFuture<Throwable> handshake =
        new java.util.concurrent.CompletableFuture<>();
    try (javax.net.ssl.SSLServerSocket endpoint =
        (javax.net.ssl.SSLServerSocket)
            context
                .getServerSocketFactory()
                .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      endpoint.setEnabledProtocols(new String[] {"TLSv1.2"});
      Thread accept =
          new Thread(
              () -> {
                try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) endpoint.accept()) {
                  socket.startHandshake();
                  handshake.complete(null);
                } catch (Exception e) {
                  handshake.complete(e);
                }
              });
      accept.start();

      // When the agent's SPIRE client calls it (expecting that very SVID)
      try (SpireEntryClient client =
          SpireEntryClient.overTls(
              "127.0.0.1:" + endpoint.getLocalPort(),
              svid.resolve("svid.pem"),
              svid.resolve("key.pem"),
              svid.resolve("bundle.pem"),
              server.adminId(),
              2,
              2,
              5)) {
        assertThatThrownBy(client::listAll)
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      }

      // Then the handshake failed on the protocol version: TLS 1.2 is never negotiated
      Throwable failure = handshake.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(failure).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      accept.join(10_000);
    }
  }

  private static SpireEntryClient tls(Path svid, String serverId) {
    return SpireEntryClient.overTls(
        server.tcpAddress(),
        svid.resolve("svid.pem"),
        svid.resolve("key.pem"),
        svid.resolve("bundle.pem"),
        serverId,
        2,
        2,
        10);
  }
}
