package io.spiremgmt.bench;

import io.spiremgmt.dev.EmbeddedDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What the benchmarks share: the real backend beside an embedded PostgreSQL, and the figures. */
final class BenchSupport {
  private BenchSupport() {}

  /**
   * Starts the packaged backend in the dev profile against {@code db}, with its dev signing key and
   * admin token under {@code data} and its log in {@code data/backend.log}; returns once it is
   * ready.
   */
  static Process startBackend(EmbeddedDatabase db, Path data, int httpPort)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dquarkus.profile=dev");
    cmd.add("-Dquarkus.http.port=" + httpPort);
    cmd.add("-Dspire-mgmt.dev.data-dir=" + data);
    db.datasourceConfig().forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-Dquarkus.log.level=WARN");
    cmd.add("-jar");
    cmd.add("backend/target/quarkus-app/quarkus-run.jar");
    Process backend =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(data.resolve("backend.log").toFile())
            .start();
    try {
      awaitReady(httpPort, data);
    } catch (RuntimeException | InterruptedException e) {
      stop(backend);
      throw e;
    }
    return backend;
  }

  static void stop(Process backend) throws InterruptedException {
    backend.destroy();
    backend.waitFor(30, TimeUnit.SECONDS);
  }

  private static void awaitReady(int httpPort, Path data) throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + httpPort + "/q/health/ready"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // the backend is still starting
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "backend did not become ready; see " + data.resolve("backend.log"));
  }

  /** A JDBC connection to the embedded server's {@code postgres} database. */
  static Connection connect(EmbeddedDatabase db) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://localhost:" + db.port() + "/postgres", "postgres", "postgres");
  }

  /** One line of figures: count, rows, p50, p99 and max of {@code nanos}. */
  static void report(String name, List<Long> nanos, int rows) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    System.out.printf(
        Locale.ROOT,
        "%-34s n=%d rows=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n",
        name,
        sorted.size(),
        rows,
        pct(sorted, 0.50),
        pct(sorted, 0.99),
        sorted.get(sorted.size() - 1) / 1e6);
  }

  private static double pct(List<Long> sorted, double p) {
    int i = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, i)) / 1e6;
  }

  /**
   * The machine's load average (1, 5, 15 minutes) and CPU count: a figure only means something next
   * to how busy the machine was.
   */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0]
          + " "
          + parts[1]
          + " "
          + parts[2]
          + " on "
          + Runtime.getRuntime().availableProcessors()
          + " CPUs";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static String arg(String[] args, int i, String fallback) {
    return args.length > i ? args[i] : fallback;
  }
}
