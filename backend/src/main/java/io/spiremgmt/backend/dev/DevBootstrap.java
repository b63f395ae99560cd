package io.spiremgmt.backend.dev;

import io.spiremgmt.backend.auth.TokenIssuer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Prepares the dev profile before Quarkus starts: a development JWT signing key (kept under the
 * data directory) with a ready admin token. Does nothing outside the dev profile, so a production
 * start can never trust a development key. The embedded PostgreSQL is not here: the quick start
 * ({@code ./quickstart.sh}, the dev module's {@code QuickStart}) runs one beside the backend and
 * passes its datasource settings, so this artifact carries no embedded database.
 */
public final class DevBootstrap {
  /** Where the dev token is published for the start-up banner. */
  static final String TOKEN_PROPERTY = "spire-mgmt.dev.admin-token";

  private static final Logger LOG = Logger.getLogger(DevBootstrap.class);

  private DevBootstrap() {}

  /** Whether the dev profile is active. */
  public static boolean isDevProfile() {
    String profile = setting("quarkus.profile");
    return profile != null && List.of(profile.split(",")).contains("dev");
  }

  /**
   * Makes what the dev profile needs and points Quarkus at it through system properties. Warns when
   * neither a system property nor the environment names a database: unless a configuration file
   * does, the start then fails to connect.
   */
  public static void prepare() {
    Path data =
        Path.of(orDefault(setting("spire-mgmt.dev.data-dir"), ".data/dev")).toAbsolutePath();
    if (setting("quarkus.datasource.reactive.url") == null) {
      LOG.warn(
          "no datasource set: ./quickstart.sh runs the dev profile with an embedded PostgreSQL;"
              + " otherwise set QUARKUS_DATASOURCE_REACTIVE_URL and QUARKUS_DATASOURCE_JDBC_URL"
              + " (and the username and password)");
    }
    if (setting("mp.jwt.verify.publickey") == null
        && setting("mp.jwt.verify.publickey.location") == null) {
      TokenIssuer issuer = new TokenIssuer(devKeys(data.resolve("jwt")), TokenIssuer.DEV_ISSUER);
      System.setProperty("mp.jwt.verify.publickey", issuer.publicKeyValue());
      System.setProperty("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
      String token = issuer.mint("dev-admin", List.of("Admin"), Duration.ofHours(12));
      write(data.resolve("admin.token"), token);
      System.setProperty(TOKEN_PROPERTY, token);
    }
  }

  private static KeyPair devKeys(Path dir) {
    Path priv = dir.resolve("private.der");
    Path pub = dir.resolve("public.der");
    try {
      KeyFactory rsa = KeyFactory.getInstance("RSA");
      if (Files.exists(priv) && Files.exists(pub)) {
        return new KeyPair(
            rsa.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(pub))),
            rsa.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(priv))));
      }
      KeyPair keys = TokenIssuer.newKeyPair();
      Files.createDirectories(dir);
      Files.write(priv, keys.getPrivate().getEncoded());
      Files.write(pub, keys.getPublic().getEncoded());
      return keys;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the dev signing key in " + dir, e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A setting from a system property or its environment-variable form. */
  private static String setting(String key) {
    String value = System.getProperty(key);
    if (value == null) {
      value = System.getenv(key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
    }
    return value == null || value.isBlank() ? null : value;
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
