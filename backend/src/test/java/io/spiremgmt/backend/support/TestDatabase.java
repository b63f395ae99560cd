package io.spiremgmt.backend.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts one real PostgreSQL (embedded binaries, free loopback port) for the whole test JVM and a
 * test JWT signing key, and points Quarkus at both. The service runs as README's "Database roles"
 * describe: Flyway as the owner of the schema ({@link #OWNER}), the service as a role that owns
 * nothing ({@link #SERVICE}), with only the grants listed there.
 */
public class TestDatabase implements QuarkusTestResourceLifecycleManager {
  /** The service's database. */
  public static final String NAME = "spire_mgmt";

  /** The role that owns the schema and runs the migrations. */
  public static final String OWNER = "spire_mgmt_owner";

  /** The role the service runs as: it owns no table. */
  public static final String SERVICE = "spire_mgmt";

  private static EmbeddedDatabase database;
  private static KeyPair keys;

  /** The running database; starts it on first use. */
  public static synchronized EmbeddedDatabase database() {
    if (database == null) {
      database = EmbeddedDatabase.start(null);
      Runtime.getRuntime().addShutdownHook(new Thread(database::close));
      createRoles(database.port());
    }
    return database;
  }

  /** The JDBC URL of the service's database. */
  public static String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + database().port() + "/" + NAME;
  }

  /** README's "Database roles", as a superuser would run them. */
  private static void createRoles(int port) {
    String server = "jdbc:postgresql://localhost:" + port + "/";
    try (Connection c = DriverManager.getConnection(server + "postgres", "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + OWNER + " LOGIN PASSWORD 'owner'");
      s.execute("CREATE ROLE " + SERVICE + " LOGIN PASSWORD 'service'");
      s.execute("CREATE DATABASE " + NAME + " OWNER " + OWNER);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the test database roles", e);
    }
    try (Connection c = DriverManager.getConnection(server + NAME, "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("ALTER SCHEMA public OWNER TO " + OWNER);
      s.execute("REVOKE ALL ON DATABASE " + NAME + " FROM PUBLIC");
      s.execute("GRANT CONNECT ON DATABASE " + NAME + " TO " + SERVICE);
      s.execute("GRANT USAGE ON SCHEMA public TO " + SERVICE);
      s.execute(
          "ALTER DEFAULT PRIVILEGES FOR ROLE "
              + OWNER
              + " IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "
              + SERVICE);
      s.execute(
          "ALTER DEFAULT PRIVILEGES FOR ROLE "
              + OWNER
              + " IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "
              + SERVICE);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot grant the service role its privileges", e);
    }
  }

  /** The issuer of tokens the service under test accepts. */
  public static TokenIssuer issuer() {
    return issuer(TokenIssuer.DEV_ISSUER, TokenIssuer.AUDIENCE);
  }

  /** An issuer signing with the trusted test key but with other issuer or audience claims. */
  public static synchronized TokenIssuer issuer(String issuer, String audience) {
    if (keys == null) {
      keys = TokenIssuer.newKeyPair();
    }
    return new TokenIssuer(keys, issuer, audience);
  }

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>();
    int port = database().port();
    config.put("quarkus.datasource.reactive.url", "postgresql://localhost:" + port + "/" + NAME);
    config.put("quarkus.datasource.jdbc.url", jdbcUrl());
    config.put("quarkus.datasource.username", SERVICE);
    config.put("quarkus.datasource.password", "service");
    config.put("quarkus.flyway.username", OWNER);
    config.put("quarkus.flyway.password", "owner");
    config.put("mp.jwt.verify.publickey", issuer().publicKeyValue());
    config.put("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
    return config;
  }

  @Override
  public void stop() {
    // The database outlives each Quarkus test application; it stops with the JVM.
  }
}
