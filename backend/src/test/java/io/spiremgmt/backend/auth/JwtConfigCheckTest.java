package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

class JwtConfigCheckTest {

  @Test
  void namesEveryMissingJwtSetting() {
    // Given
    Config empty = config(Map.of());

    // When
    var missing = JwtConfigCheck.missing(empty);

    // Then
    assertThat(missing)
        .containsExactly(
            "MP_JWT_VERIFY_ISSUER (the token issuer)",
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION (the issuer's JWKS)");
  }

  @Test
  void acceptsIssuerWithJwksLocation() {
    // Given
    Config complete =
        config(
            Map.of(
                "mp.jwt.verify.issuer", "https://backstage.example.org",
                "mp.jwt.verify.publickey.location", "https://backstage.example.org/jwks.json"));

    // When / Then
    assertThat(JwtConfigCheck.missing(complete)).isEmpty();
  }

  private static Config config(Map<String, String> values) {
    return new SmallRyeConfigBuilder()
        .withSources(new PropertiesConfigSource(values, "test", 500))
        .build();
  }
}
