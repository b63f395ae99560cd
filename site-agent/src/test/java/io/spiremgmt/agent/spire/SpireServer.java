package io.spiremgmt.agent.spire;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code spire-server} (built once per machine by {@code tools/spire/install.sh}) for one
 * trust domain, on loopback, with its own admin socket and data directory, and a datastore of its
 * own: sqlite (SPIRE's default) or a PostgreSQL database (what production SPIRE runs).
 */
public final class SpireServer implements AutoCloseable {
  private final Path binary;
  private final Path dir;
  private Process process;
  private final List<SpireEntryClient> clients = new ArrayList<>();

  private final String trustDomain;
  private final int port;

  private SpireServer(Path binary, Path dir, String trustDomain, int port) {
    this.binary = binary;
    this.dir = dir;
    this.trustDomain = trustDomain;
    this.port = port;
  }

  /** The admin SPIFFE ID the server is configured with ({@code admin_ids}). */
  public String adminId() {
    return "spiffe://" + trustDomain + "/site-agent";
  }

  /** The server's own SPIFFE ID. */
  public String serverId() {
    return "spiffe://" + trustDomain + "/spire/server";
  }

  /** {@code host:port} of the TCP endpoint (mutual TLS with X.509-SVIDs). */
  public String tcpAddress() {
    return "127.0.0.1:" + port;
  }

  /**
   * Mints an X.509-SVID for {@code spiffeId} with the server's CA into {@code out}: {@code
   * svid.pem}, {@code key.pem} and {@code bundle.pem}.
   */
  public void mint(String spiffeId, Path out) throws Exception {
    Path fresh = Files.createTempDirectory(dir, "mint");
    String output = cli("x509", "mint", "-spiffeID", spiffeId, "-write", fresh.toString());
    for (String f : List.of("svid.pem", "key.pem", "bundle.pem")) {
      if (!Files.exists(fresh.resolve(f))) {
        throw new IllegalStateException("x509 mint wrote no " + f + ": " + output);
      }
      Files.createDirectories(out);
      // Replace atomically, as a rotating helper would.
      Files.move(
          fresh.resolve(f),
          out.resolve(f),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /**
   * Builds (if needed) and starts a server for {@code trustDomain}; returns once it answers
   * healthchecks.
   */
  public static SpireServer start(String trustDomain) throws Exception {
    return start(trustDomain, null);
  }

  /**
   * Like {@link #start(String)}, but with SPIRE's SQL datastore on PostgreSQL: {@code
   * postgresConnection} is a libpq connection string (for example {@code "host=127.0.0.1 port=5432
   * dbname=spire_a user=postgres password=postgres sslmode=disable"}) of a database this server has
   * to itself; SPIRE creates its tables there. With null the datastore is sqlite in the data
   * directory.
   */
  public static SpireServer start(String trustDomain, String postgresConnection) throws Exception {
    Path binary = install("server");
    Path dir = Files.createTempDirectory("spire-" + trustDomain);
    String datastore =
        postgresConnection == null
            ? """
              database_type = "sqlite3"
              connection_string = "%s"
              """
                .formatted(dir.resolve("datastore.sqlite3"))
            : """
              database_type = "postgres"
              connection_string = "%s"
              max_open_conns = 20
              """
                .formatted(postgresConnection);
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Path config = dir.resolve("server.conf");
    Files.writeString(
        config,
        """
        server {
          bind_address = "127.0.0.1"
          bind_port = "%d"
          socket_path = "%s"
          trust_domain = "%s"
          data_dir = "%s"
          log_level = "WARN"
          admin_ids = ["spiffe://%s/site-agent"]
        }
        plugins {
          DataStore "sql" {
            plugin_data {
              %s
            }
          }
          NodeAttestor "join_token" {
            plugin_data {}
          }
          KeyManager "memory" {
            plugin_data {}
          }
        }
        """
            .formatted(
                port,
                dir.resolve("api.sock"),
                trustDomain,
                dir.resolve("data"),
                trustDomain,
                datastore.strip()));
    SpireServer server = new SpireServer(binary, dir, trustDomain, port);
    server.launch();
    return server;
  }

  /** Starts the server process on the existing configuration and data; returns once healthy. */
  private void launch() throws Exception {
    Files.deleteIfExists(socket());
    process =
        new ProcessBuilder(
                binary.toString(), "run", "-config", dir.resolve("server.conf").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "spire-server exited: " + Files.readString(dir.resolve("server.log")));
      }
      if (Files.exists(socket()) && cli("healthcheck").contains("healthy")) {
        return;
      }
      Thread.sleep(200);
    }
    close();
    throw new IllegalStateException(
        "spire-server did not become healthy: " + Files.readString(dir.resolve("server.log")));
  }

  /** Kills the server at once (SIGKILL), as a crash would; its data stays. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Starts the server again on the same socket, port and data after {@link #kill()}. */
  public void restart() throws Exception {
    launch();
  }

  /**
   * A client on the admin socket with page and batch size 2 (boundaries crossed cheaply); closed
   * with the server.
   */
  public SpireEntryClient client() {
    SpireEntryClient client = SpireEntryClient.overUnixSocket(socket(), 2, 2, 30);
    clients.add(client);
    return client;
  }

  /**
   * A client on the admin socket with these page and batch sizes and at most {@code maxBatchBytes}
   * per batch write; closed with the server.
   */
  public SpireEntryClient client(int pageSize, int batchSize, int maxBatchBytes) {
    SpireEntryClient client =
        SpireEntryClient.overUnixSocket(socket(), pageSize, batchSize, maxBatchBytes, 30);
    clients.add(client);
    return client;
  }

  /** The trust domain it serves. */
  public String trustDomain() {
    return trustDomain;
  }

  /** The TCP port agents attest and fetch SVIDs on. */
  public int port() {
    return port;
  }

  /**
   * A fresh single-use join token for a node; {@code spiffe://<td>/spire/agent/join_token/<token>}.
   */
  public String joinToken() throws IOException, InterruptedException {
    String out = cli("token", "generate", "-ttl", "600");
    return out.lines()
        .filter(l -> l.startsWith("Token: "))
        .map(l -> l.substring("Token: ".length()).trim())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no token in: " + out));
  }

  /** The admin Unix socket. */
  public Path socket() {
    return dir.resolve("api.sock");
  }

  /** Runs a {@code spire-server} CLI command against this server's socket; its standard output. */
  public String cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(binary.toString()));
    cmd.addAll(List.of(args));
    cmd.add("-socketPath");
    cmd.add(socket().toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  /**
   * Builds (once per machine) and returns {@code spire-server} or {@code spire-agent} ({@code
   * component} "server" or "agent") with {@code tools/spire/install.sh}.
   */
  public static Path install(String component) throws IOException, InterruptedException {
    Path script = Path.of("..", "tools", "spire", "install.sh").toAbsolutePath().normalize();
    Process p =
        new ProcessBuilder("bash", script.toString(), component)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("tools/spire/install.sh failed");
    }
    return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
  }

  @Override
  public void close() throws Exception {
    clients.forEach(SpireEntryClient::close);
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
