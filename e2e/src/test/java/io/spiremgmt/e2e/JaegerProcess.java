package io.spiremgmt.e2e;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Jaeger (v2, the all-in-one {@code jaeger} binary that {@code tools/jaeger/install.sh}
 * builds) with in-memory storage: OTLP/gRPC in and its HTTP query API out, each on a free loopback
 * port, and nothing else listening. Its log goes to {@code target/e2e-logs/jaeger.log}.
 */
final class JaegerProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int otlpPort;
  private final int queryPort;

  private JaegerProcess(Process process, int otlpPort, int queryPort) {
    this.process = process;
    this.otlpPort = otlpPort;
    this.queryPort = queryPort;
  }

  /** Starts Jaeger and waits until its query API answers. */
  static JaegerProcess start() throws Exception {
    int otlp = JavaProcess.freePort();
    int otlpHttp = JavaProcess.freePort();
    int query = JavaProcess.freePort();
    int queryGrpc = JavaProcess.freePort();
    // The all-in-one configuration (cmd/jaeger/internal/all-in-one.yaml) cut down to OTLP in,
    // memory storage and the query API, on ports of our choosing; no internal metrics port.
    String yaml =
        """
        service:
          extensions: [jaeger_storage, jaeger_query]
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch]
              exporters: [jaeger_storage_exporter]
          telemetry:
            metrics:
              level: none
            logs:
              level: info
        extensions:
          jaeger_query:
            storage:
              traces: memstore
            http:
              endpoint: 127.0.0.1:%d
            grpc:
              endpoint: 127.0.0.1:%d
          jaeger_storage:
            backends:
              memstore:
                memory:
                  max_traces: 100000
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
              http:
                endpoint: 127.0.0.1:%d
        processors:
          batch:
            timeout: 200ms
        exporters:
          jaeger_storage_exporter:
            trace_storage: memstore
        """
            .formatted(query, queryGrpc, otlp, otlpHttp);
    Path config = JavaProcess.logs().resolve("jaeger.yaml");
    Files.writeString(config, yaml);
    Path log = JavaProcess.logs().resolve("jaeger.log");
    Process process =
        new ProcessBuilder(List.of(binary().toString(), "--config", config.toString()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    JaegerProcess jaeger = new JaegerProcess(process, otlp, query);
    try {
      await("Jaeger's query API answering")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> jaeger.alive(log) && jaeger.status("/api/services") == 200);
    } catch (ConditionTimeoutException e) {
      jaeger.close();
      throw new IllegalStateException("Jaeger did not become ready; see " + log, e);
    }
    return jaeger;
  }

  /**
   * The jaeger binary: the {@code e2e.jaeger} system property when set (CI passes the one it
   * built), else the one {@code tools/jaeger/install.sh} builds from the Go module proxy once per
   * machine.
   */
  static Path binary() throws IOException, InterruptedException {
    String configured = System.getProperty("e2e.jaeger", "");
    if (!configured.isBlank()) {
      Path binary = Path.of(configured);
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(
            "e2e.jaeger="
                + configured
                + " is not an executable file; build one with tools/jaeger/install.sh");
      }
      return binary;
    }
    Path script = Path.of("..", "tools", "jaeger", "install.sh").toAbsolutePath().normalize();
    Process p =
        new ProcessBuilder("bash", script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(
          "tools/jaeger/install.sh failed (it needs Go and the Go module proxy); or pass"
              + " -De2e.jaeger=/path/to/jaeger");
    }
    return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
  }

  /** The OTLP/gRPC endpoint, as {@code quarkus.otel.exporter.otlp.endpoint} takes it. */
  String otlpEndpoint() {
    return "http://127.0.0.1:" + otlpPort;
  }

  /**
   * The traces (the query API's JSON: {@code traceID}, {@code spans}, {@code processes}) holding a
   * span of {@code service} named {@code operation}, newest first, at most 100.
   */
  List<JsonObject> traces(String service, String operation)
      throws IOException, InterruptedException {
    String body =
        get(
            "/api/traces?limit=100&lookback=1h&service="
                + URLEncoder.encode(service, StandardCharsets.UTF_8)
                + "&operation="
                + URLEncoder.encode(operation, StandardCharsets.UTF_8));
    JsonArray data = new JsonObject(body).getJsonArray("data");
    List<JsonObject> out = new ArrayList<>();
    if (data != null) {
      data.forEach(t -> out.add((JsonObject) t));
    }
    return out;
  }

  /** One trace by id (the query API's JSON), or null when Jaeger has none. */
  JsonObject trace(String traceId) throws IOException, InterruptedException {
    HttpResponse<String> r = send("/api/traces/" + traceId);
    if (r.statusCode() == 404) {
      return null;
    }
    JsonArray data = new JsonObject(r.body()).getJsonArray("data");
    return data == null || data.isEmpty() ? null : data.getJsonObject(0);
  }

  private String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = send(path);
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private int status(String path) throws IOException, InterruptedException {
    return send(path).statusCode();
  }

  private HttpResponse<String> send(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + queryPort + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private boolean alive(Path log) {
    if (!process.isAlive()) {
      throw new IllegalStateException("Jaeger exited; see " + log);
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
