package io.spiremgmt.backend.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.spiremgmt.backend.auth.TokenIssuer;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

class ProductionReadinessCheckTest {
  private static final Map<String, String> SAFE =
      Map.of(
          "mp.jwt.verify.issuer", "https://backstage.example.org",
          "mp.jwt.verify.publickey.location", "https://backstage.example.org/jwks.json",
          "mp.jwt.verify.audiences", "spire-mgmt",
          "quarkus.http.ssl.certificate.files", "/tls/tls.crt",
          "quarkus.http.ssl.certificate.key-files", "/tls/tls.key",
          "quarkus.http.insecure-requests", "disabled");

  @Test
  void acceptsASafeConfiguration() {
    // Given
    Config safe = config(SAFE);

    // When
    var problems = ProductionReadinessCheck.problems(safe);

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void namesEveryUnsafeSettingAtOnce() {
    // Given: nothing configured
    Config empty = config(Map.of());

    // When
    var problems = ProductionReadinessCheck.problems(empty);

    // Then
    assertThat(problems)
        .containsExactly(
            "MP_JWT_VERIFY_ISSUER (the token issuer) is not set",
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION (the issuer's JWKS) is not set",
            "MP_JWT_VERIFY_AUDIENCES is empty: tokens for any service would be accepted",
            "no TLS certificate is configured, so gRPC would be plaintext: set"
                + " SPIRE_MGMT_AUTH_MTLS_WORKLOAD_API_SOCKET (mTLS with SPIFFE SVIDs) or"
                + " QUARKUS_HTTP_SSL_CERTIFICATE_FILES and QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES",
            "plaintext HTTP/gRPC is still served beside TLS: set QUARKUS_HTTP_INSECURE_REQUESTS=disabled");
  }

  @Test
  void refusesTheDevelopmentIssuerAndAnInlineKey() {
    // Given
    Map<String, String> dev = new HashMap<>(SAFE);
    dev.put("mp.jwt.verify.issuer", TokenIssuer.DEV_ISSUER);
    dev.put("mp.jwt.verify.publickey", "MIIBIjANBg...");

    // When
    var problems = ProductionReadinessCheck.problems(config(dev));

    // Then
    assertThat(problems).hasSize(2);
    assertThat(problems.get(0)).contains("development issuer");
    assertThat(problems.get(1)).contains("MP_JWT_VERIFY_PUBLICKEY (an inline key");
  }

  @Test
  void theSpiffeWorkloadApiIsTlsEnough() {
    // Given
    Map<String, String> mtls = new HashMap<>(SAFE);
    mtls.remove("quarkus.http.ssl.certificate.files");
    mtls.remove("quarkus.http.insecure-requests");
    mtls.put("spire-mgmt.auth.mtls.workload-api-socket", "unix:/run/spire/agent.sock");

    // When
    var problems = ProductionReadinessCheck.problems(config(mtls));

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void refusesAWildcardTrustDomain() {
    // Given
    Map<String, String> wildcard = new HashMap<>(SAFE);
    wildcard.put("spire-mgmt.auth.mtls.trust-domains", "prod.example.org,*");

    // When
    var problems = ProductionReadinessCheck.problems(config(wildcard));

    // Then
    assertThat(problems)
        .containsExactly(
            "SPIRE_MGMT_AUTH_MTLS_TRUST_DOMAINS holds a wildcard: name each trust domain whose SVIDs"
                + " are accepted");
  }

  @Test
  void refusesPlaintextServedBesideTls() {
    // Given
    Map<String, String> both = new HashMap<>(SAFE);
    both.put("quarkus.http.insecure-requests", "enabled");

    // When
    var problems = ProductionReadinessCheck.problems(config(both));

    // Then
    assertThat(problems)
        .containsExactly(
            "plaintext HTTP/gRPC is still served beside TLS: set QUARKUS_HTTP_INSECURE_REQUESTS=disabled");
  }

  @Test
  void refusesAStatementTimeoutThatIsOffMalformedOrTooLong() {
    // Given
    Map<String, String> off = new HashMap<>(SAFE);
    off.put("spire-mgmt.db.statement-timeout", "0");
    Map<String, String> javaForm = new HashMap<>(SAFE);
    javaForm.put("spire-mgmt.db.statement-timeout", "PT10S");
    Map<String, String> tooLong = new HashMap<>(SAFE);
    tooLong.put("spire-mgmt.db.statement-timeout", "10min");
    Map<String, String> fine = new HashMap<>(SAFE);
    fine.put("spire-mgmt.db.statement-timeout", "30s");

    // When
    var offProblems = ProductionReadinessCheck.problems(config(off));
    var javaFormProblems = ProductionReadinessCheck.problems(config(javaForm));
    var tooLongProblems = ProductionReadinessCheck.problems(config(tooLong));
    var fineProblems = ProductionReadinessCheck.problems(config(fine));

    // Then
    assertThat(offProblems)
        .containsExactly(
            "SPIRE_MGMT_DB_STATEMENT_TIMEOUT is '0': give it in PostgreSQL's form with a unit,"
                + " e.g. 10s, 500ms or 1min");
    assertThat(javaFormProblems).hasSize(1).first().asString().contains("PT10S");
    assertThat(tooLongProblems)
        .containsExactly(
            "SPIRE_MGMT_DB_STATEMENT_TIMEOUT is 10min: keep it between 1s (lists would be cut"
                + " short) and 5min (a stuck scan would hold a pool connection that long)");
    assertThat(fineProblems).isEmpty();
  }

  private static Config config(Map<String, String> values) {
    return new SmallRyeConfigBuilder()
        .withSources(new PropertiesConfigSource(values, "test", 500))
        .build();
  }
}
