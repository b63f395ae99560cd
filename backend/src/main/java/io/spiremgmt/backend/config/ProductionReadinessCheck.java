package io.spiremgmt.backend.config;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import io.spiremgmt.backend.auth.TokenIssuer;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Refuses to start the production profile with a setting that would make it unsafe, naming every
 * one at once: no JWT issuer or JWKS (tokens of anyone, or of nobody, would be accepted), the
 * development issuer or an inline key (how the dev signing key is passed), no audience, and
 * plaintext gRPC (neither the SPIFFE Workload API nor a TLS certificate, or plain HTTP still served
 * beside TLS), and a wildcard mTLS trust domain (refused in every profile by {@code MtlsPrincipals}
 * too).
 */
@Singleton
public class ProductionReadinessCheck {

  void onStart(@Observes StartupEvent event, Config config) {
    if (!ConfigUtils.getProfiles().contains("prod")) {
      return;
    }
    List<String> problems = problems(config);
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "refusing to start in production: "
              + String.join("; ", problems)
              + " (see README, Configuration)");
    }
  }

  /** Every unsafe production setting in {@code config}, one sentence each. */
  public static List<String> problems(Config config) {
    List<String> problems = new ArrayList<>();
    Optional<String> issuer = value(config, "mp.jwt.verify.issuer");
    if (issuer.isEmpty()) {
      problems.add("MP_JWT_VERIFY_ISSUER (the token issuer) is not set");
    } else if (issuer.get().equals(TokenIssuer.DEV_ISSUER)) {
      problems.add(
          "MP_JWT_VERIFY_ISSUER is the development issuer "
              + TokenIssuer.DEV_ISSUER
              + ": production must trust its own issuer, not the dev signing key");
    }
    if (value(config, "mp.jwt.verify.publickey").isPresent()) {
      problems.add(
          "MP_JWT_VERIFY_PUBLICKEY (an inline key, as the dev signing key is passed) is set:"
              + " give the issuer's JWKS in MP_JWT_VERIFY_PUBLICKEY_LOCATION instead");
    } else if (value(config, "mp.jwt.verify.publickey.location").isEmpty()) {
      problems.add("MP_JWT_VERIFY_PUBLICKEY_LOCATION (the issuer's JWKS) is not set");
    }
    if (value(config, "mp.jwt.verify.audiences").isEmpty()) {
      problems.add("MP_JWT_VERIFY_AUDIENCES is empty: tokens for any service would be accepted");
    }
    if (value(config, "spire-mgmt.auth.mtls.trust-domains").orElse("").contains("*")) {
      problems.add(
          "SPIRE_MGMT_AUTH_MTLS_TRUST_DOMAINS holds a wildcard: name each trust domain whose SVIDs"
              + " are accepted");
    }
    // With the SPIFFE Workload API configured the one port serves TLS 1.3 only
    // (MtlsServerCustomizer).
    if (value(config, "spire-mgmt.auth.mtls.workload-api-socket").isPresent()) {
      return problems;
    }
    boolean certificate =
        value(config, "quarkus.http.ssl.certificate.files").isPresent()
            || value(config, "quarkus.http.ssl.certificate.key-store-file").isPresent()
            || value(config, "quarkus.http.tls-configuration-name").isPresent();
    if (!certificate) {
      problems.add(
          "no TLS certificate is configured, so gRPC would be plaintext: set"
              + " SPIRE_MGMT_AUTH_MTLS_WORKLOAD_API_SOCKET (mTLS with SPIFFE SVIDs) or"
              + " QUARKUS_HTTP_SSL_CERTIFICATE_FILES and QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES");
    }
    if (!value(config, "quarkus.http.insecure-requests").orElse("enabled").equals("disabled")) {
      problems.add(
          "plaintext HTTP/gRPC is still served beside TLS: set QUARKUS_HTTP_INSECURE_REQUESTS=disabled");
    }
    return problems;
  }

  private static Optional<String> value(Config config, String key) {
    return config.getOptionalValue(key, String.class).filter(v -> !v.isBlank());
  }
}
