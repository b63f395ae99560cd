package io.spiremgmt.backend.auth;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Refuses to start the production profile without a JWT issuer and verification key: without them
 * SmallRye JWT would skip the issuer check or reject every caller.
 */
@Singleton
public class JwtConfigCheck {

  void onStart(@Observes StartupEvent event, Config config) {
    if (!ConfigUtils.getProfiles().contains("prod")) {
      return;
    }
    List<String> missing = missing(config);
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "refusing to start: production needs "
              + String.join(" and ", missing)
              + " (see README, Configuration)");
    }
  }

  static List<String> missing(Config config) {
    List<String> missing = new ArrayList<>();
    if (value(config, "mp.jwt.verify.issuer").isEmpty()) {
      missing.add("MP_JWT_VERIFY_ISSUER (the token issuer)");
    }
    if (value(config, "mp.jwt.verify.publickey.location").isEmpty()
        && value(config, "mp.jwt.verify.publickey").isEmpty()) {
      missing.add("MP_JWT_VERIFY_PUBLICKEY_LOCATION (the issuer's JWKS)");
    }
    return missing;
  }

  private static Optional<String> value(Config config, String key) {
    return config.getOptionalValue(key, String.class).filter(v -> !v.isBlank());
  }
}
