package io.spiremgmt.dev;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The quick start ({@code ./quickstart.sh}): runs the packaged backend in the dev profile as a
 * child process and, when no datasource is configured, an embedded PostgreSQL for it under the dev
 * data directory ({@code .data/dev/pg}). The database stops after the backend does; Ctrl-C stops
 * both. The backend's own dev bootstrap adds the dev signing key and admin token.
 *
 * <p>usage: {@code QuickStart <backend quarkus-run.jar> [backend arguments...]}
 */
public final class QuickStart {
  private static final Logger LOG = System.getLogger(QuickStart.class.getName());

  /** How long the backend gets to stop before the database goes. */
  private static final long STOP_SECONDS = 30;

  private QuickStart() {}

  public static void main(String... args) throws IOException, InterruptedException {
    if (args.length < 1) {
      System.err.println("usage: QuickStart <backend quarkus-run.jar> [backend arguments...]");
      System.exit(2);
    }
    Path data =
        Path.of(orDefault(setting("spire-mgmt.dev.data-dir"), ".data/dev")).toAbsolutePath();
    // Registered first, so whatever has started when the JVM exits is stopped: the backend, then
    // the
    // database (whose own shutdown hook is off, so it cannot go first).
    AtomicReference<EmbeddedDatabase> db = new AtomicReference<>();
    AtomicReference<Process> backend = new AtomicReference<>();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(backend.get(), db.get()), "quick-start-stop"));
    if (setting("quarkus.datasource.reactive.url") == null) {
      LOG.log(
          Level.INFO,
          "no datasource configured: starting an embedded PostgreSQL in {0} (dev only)",
          data.resolve("pg"));
      db.set(EmbeddedDatabase.start(data.resolve("pg"), false));
    }
    backend.set(start(args[0], Arrays.asList(args).subList(1, args.length), db.get()));
    System.exit(backend.get().waitFor());
  }

  private static Process start(String jar, List<String> args, EmbeddedDatabase db)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dquarkus.profile=dev");
    command.add("-jar");
    command.add(jar);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    if (db != null) {
      // As environment variables, the form an operator would use; they stay off the command line.
      Map<String, String> env = builder.environment();
      db.datasourceConfig().forEach((key, value) -> env.put(environmentName(key), value));
    }
    return builder.start();
  }

  /**
   * Lets the backend stop first (it got the same Ctrl-C, or gets SIGTERM now), then the database.
   */
  private static void stop(Process backend, EmbeddedDatabase db) {
    try {
      if (backend != null && backend.isAlive()) {
        backend.destroy();
        if (!backend.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
          backend.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  /**
   * A setting from a system property or its environment-variable form (as the backend reads it).
   */
  private static String setting(String key) {
    String value = System.getProperty(key);
    if (value == null) {
      value = System.getenv(environmentName(key));
    }
    return value == null || value.isBlank() ? null : value;
  }

  private static String environmentName(String key) {
    return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
