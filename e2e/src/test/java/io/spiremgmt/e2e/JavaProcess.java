package io.spiremgmt.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
      ctx.init(
          null,
          new javax.net.ssl.TrustManager[] {
            // Extended, so JSSE adds no host name check either (an SVID names no host).
            new javax.net.ssl.X509ExtendedTrustManager() {
              @Override
              public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public void checkClientTrusted(
                  java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}

              @Override
              public void checkServerTrusted(
                  java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}

              @Override
              public void checkClientTrusted(
                  java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}

              @Override
              public void checkServerTrusted(
                  java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}

              @Override
              public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
              }
            }
          },
          null);
      return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(ctx).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private final String name;
  private final Path jar;
  private final Map<String, String> properties;
  private final int httpPort;
  private final List<String> args;
  private Process process;

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
    p.launch();
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
    launch();
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

  /** GET {@code path} on the process's HTTP port; the body. */
  String get(String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private void launch() throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: package the module first");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Xmx" + System.getProperty("e2e.jvm.xmx", "320m"));
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dquarkus.http.port=" + httpPort);
    cmd.add("-Dquarkus.log.console.json.enabled=false");
    properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(args);
    Path log = logs().resolve(name + ".log");
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited; see " + log);
      }
      boolean tls = properties.containsKey("spire-mgmt.auth.mtls.workload-api-socket");
      try {
        HttpResponse<Void> r =
            (tls ? PROBE_TLS : HTTP)
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                (tls ? "https" : "http")
                                    + "://localhost:"
                                    + httpPort
                                    + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " did not become ready; see " + log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
