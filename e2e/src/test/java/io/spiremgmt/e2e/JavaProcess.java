package io.spiremgmt.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A packaged Quarkus application ({@code quarkus-run.jar}) run as its own JVM, configured with
 * system properties, logging to a file under {@code target/e2e-logs}; it can be killed with SIGKILL
 * and started again with the same configuration.
 */
final class JavaProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * For the readiness probe of a backend serving mTLS only: the probe asks whether the port is up,
   * not who is behind it, so it trusts any certificate (what the tests trust is checked by them).
   */
  private static final HttpClient PROBE_TLS = trustingClient();

  private static HttpClient trustingClient() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLSv1.3");
      ctx.init(
          null,
          new TrustManager[] {
            // Extended, so JSSE adds no host name check either (an SVID names no host).
            new X509ExtendedTrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] c, String a) {}

              @Override
              public void checkServerTrusted(X509Certificate[] c, String a) {}

              @Override
              public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}

              @Override
              public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}

              @Override
              public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}

              @Override
              public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          null);
      return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(ctx).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private final String name;
  private final Path jar;
  private final Map<String, String> properties;
  private final int httpPort;
  private final List<String> args;
  private Process process;
  private boolean paused;

  private JavaProcess(
      String name, Path jar, Map<String, String> properties, int httpPort, List<String> args) {
    this.name = name;
    this.jar = jar;
    this.properties = properties;
    this.httpPort = httpPort;
    this.args = args;
  }

  /** Starts {@code jar} and waits until its {@code /q/health/ready} answers 200. */
  static JavaProcess start(String name, Path jar, Map<String, String> properties, String... args)
      throws Exception {
    JavaProcess p = new JavaProcess(name, jar, properties, freePort(), List.of(args));
    p.spawn();
    p.awaitReady();
    return p;
  }

  /** A free loopback port. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The log directory of the run. */
  static Path logs() throws IOException {
    Path dir = Path.of(System.getProperty("e2e.logs", "target/e2e-logs"));
    Files.createDirectories(dir);
    return dir;
  }

  /** The HTTP (and gRPC) port. */
  int port() {
    return httpPort;
  }

  /** Starts the process again after {@link #kill()}; waits until ready. */
  void restart() throws Exception {
    spawn();
    awaitReady();
  }

  /**
   * Starts the process again after {@link #kill()} or {@link #close()} and returns at once, so that
   * a test can watch (and interrupt) what it does while it starts.
   */
  void restartWithoutWaiting() throws IOException {
    spawn();
  }

  /** SIGKILL, as a crash. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Whether the process runs. */
  boolean alive() {
    return process.isAlive();
  }

  /**
   * SIGSTOP: every thread of the process stands still (as in a long GC pause or a frozen VM) while
   * its sockets stay open and the clocks go on, until {@link #resume()}.
   */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT after {@link #pause()}. */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
    paused = false;
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + this.name + " failed");
    }
  }

  /** A mark in the process's log: {@link #loggedSince(long)} reads what it writes after it. */
  long logMark() throws IOException {
    return Files.size(log());
  }

  /** What the process has logged since {@code mark} (see {@link #logMark()}). */
  String loggedSince(long mark) throws IOException {
    byte[] all = Files.readAllBytes(log());
    return new String(all, (int) mark, all.length - (int) mark, StandardCharsets.UTF_8);
  }

  /** GET {@code path} on the process's HTTP port; the body. */
  String get(String path) throws IOException, InterruptedException {
    return (tls() ? PROBE_TLS : HTTP)
        .send(
            HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /**
   * The value of one series on the process's {@code /q/metrics}, named as Prometheus prints it
   * (e.g. {@code sync_polls_waiting} or {@code agent_lease_held{site="..."}}); throws if the
   * process does not export it.
   */
  double metric(String series) throws IOException, InterruptedException {
    String prefix = series + " ";
    return get("/q/metrics")
        .lines()
        .filter(line -> line.startsWith(prefix))
        .map(line -> line.substring(prefix.length()))
        // A counter's line may end in an OpenMetrics exemplar (" # {trace_id=...} 1.0 <time>").
        .map(value -> value.contains(" # ") ? value.substring(0, value.indexOf(" # ")) : value)
        .mapToDouble(value -> Double.parseDouble(value.trim()))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(name + " exports no " + series));
  }

  private void spawn() throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: package the module first");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmOptions());
    cmd.add("-Dquarkus.http.port=" + httpPort);
    cmd.add("-Dquarkus.log.console.json.enabled=false");
    properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(args);
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
            .start();
  }

  /**
   * The JVM options: {@code e2e.jvm.opts.<kind>} when set, where the kind is the process name up to
   * its first '-' ({@code backend}, {@code agent}), as a benchmark of production memory sets them;
   * else a small heap ({@code e2e.jvm.xmx}, default 320m) and C1 only, which start fastest for
   * tests.
   */
  private List<String> jvmOptions() {
    String kind = name.contains("-") ? name.substring(0, name.indexOf('-')) : name;
    String opts = System.getProperty("e2e.jvm.opts." + kind, "").trim();
    if (!opts.isEmpty()) {
      return List.of(opts.split("\\s+"));
    }
    return List.of("-Xmx" + System.getProperty("e2e.jvm.xmx", "320m"), "-XX:TieredStopAtLevel=1");
  }

  /** The operating system's id of the running process. */
  long pid() {
    return process.pid();
  }

  /** Whether the process serves HTTPS only (a backend in SVID mTLS mode). */
  private boolean tls() {
    return properties.containsKey("spire-mgmt.auth.mtls.workload-api-socket");
  }

  private String baseUrl() {
    return (tls() ? "https" : "http") + "://localhost:" + httpPort;
  }

  /** Waits until {@code /q/health/ready} answers 200; fails at once if the process exits. */
  private void awaitReady() throws IOException {
    Path log = log();
    try {
      await(name + " ready")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> ready(log));
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(name + " did not become ready; see " + log, e);
    }
  }

  private Path log() throws IOException {
    return logs().resolve(name + ".log");
  }

  /**
   * Whether {@code /q/health/ready} answers 200; throws (ending the wait at once) if the process
   * has exited.
   */
  private boolean ready(Path log) throws InterruptedException {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " exited; see " + log);
    }
    URI health = URI.create(baseUrl() + "/q/health/ready");
    try {
      return (tls() ? PROBE_TLS : HTTP)
              .send(
                  HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException notYet) {
      // Not listening yet.
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      if (paused) {
        // A stopped process would not act on SIGTERM until continued.
        try {
          resume();
        } catch (IOException e) {
          kill();
          return;
        }
      }
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
