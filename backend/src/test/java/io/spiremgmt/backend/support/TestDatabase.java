package io.spiremgmt.backend.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.spiremgmt.backend.auth.TokenIssuer;
import io.spiremgmt.dev.EmbeddedDatabase;
import java.security.KeyPair;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts one real PostgreSQL (embedded binaries, free loopback port) for the whole test JVM and a
 * test JWT signing key, and points Quarkus at both.
 */
public class TestDatabase implements QuarkusTestResourceLifecycleManager {
  private static EmbeddedDatabase database;
  private static KeyPair keys;

  /** The running database; starts it on first use. */
  public static synchronized EmbeddedDatabase database() {
    if (database == null) {
      database = EmbeddedDatabase.start(null);
      Runtime.getRuntime().addShutdownHook(new Thread(database::close));
    }
    return database;
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
    Map<String, String> config = new HashMap<>(database().datasourceConfig());
    config.put("mp.jwt.verify.publickey", issuer().publicKeyValue());
    config.put("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
    return config;
  }

  @Override
  public void stop() {
    // The database outlives each Quarkus test application; it stops with the JVM.
  }
}
