package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MtlsPrincipalsTest {
  private static final String AGENT = "spire-mgmt.auth.mtls.principals.\"spiffe://td/agent/eu\"";

  private static AuthConfig config(Map<String, String> values) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(AuthConfig.class)
            // Quarkus's own converters are not here: give the Duration in ISO form.
            .withSources(
                new PropertiesConfigSource(
                    Map.of(
                        "spire-mgmt.auth.mtls.init-timeout",
                        "PT30S",
                        "spire-mgmt.auth.recheck-interval",
                        "PT5S"),
                    "defaults",
                    100))
            .withSources(new PropertiesConfigSource(values, "test", 500))
            .build();
    return config.getConfigMapping(AuthConfig.class);
  }

  @Test
  void mapsAnSvidToItsRoleAndSite() {
    // Given
    String site = UUID.randomUUID().toString();
    AuthConfig config = config(Map.of(AGENT + ".role", "SiteAgent", AGENT + ".site-id", site));

    // When
    SecurityIdentity agent = new MtlsPrincipals(config).identity("spiffe://td/agent/eu");
    SecurityIdentity stranger = new MtlsPrincipals(config).identity("spiffe://td/someone");

    // Then
    assertThat(MtlsPrincipals.problems(config.mtls())).isEmpty();
    assertThat(agent.getPrincipal().getName()).isEqualTo("spiffe://td/agent/eu");
    assertThat(agent.getRoles()).containsExactly("SiteAgent");
    assertThat((UUID) agent.getAttribute(CallerResolver.SITE_ATTRIBUTE)).hasToString(site);
    assertThat(stranger.getRoles()).isEmpty();
  }

  @Test
  void refusesAWildcardTrustDomainAndIncompletePrincipals() {
    // Given
    String dev = "spire-mgmt.auth.mtls.principals.\"spiffe://td/dev\"";
    String viewer = "spire-mgmt.auth.mtls.principals.\"spiffe://td/viewer\"";
    AuthConfig config =
        config(
            Map.of(
                "spire-mgmt.auth.mtls.trust-domains",
                "td,*",
                AGENT + ".role",
                "SiteAgent",
                dev + ".role",
                "Developer",
                viewer + ".role",
                "Viewer",
                viewer + ".site-id",
                UUID.randomUUID().toString(),
                "spire-mgmt.auth.mtls.principals.\"spiffe://elsewhere/x\".role",
                "Viewer"));

    // When
    var problems = MtlsPrincipals.problems(config.mtls());

    // Then
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "spire-mgmt.auth.mtls.trust-domains holds a wildcard ('*'): name each trust domain"
                + " whose SVIDs are accepted",
            AGENT + ".site-id: a SiteAgent needs its site's UUID",
            dev + ".namespaces: a Developer needs its namespaces",
            viewer + ".site-id: only a SiteAgent has a site",
            "spire-mgmt.auth.mtls.principals.\"spiffe://elsewhere/x\": trust domain elsewhere is not"
                + " in spire-mgmt.auth.mtls.trust-domains, so it could never match");
  }

  @Test
  void refusesAProxyThatIsNotASpiffeIdOrIsAlsoAPrincipal() {
    // Given a proxy list with a good entry, a malformed one and one mapped to a role
    AuthConfig config =
        config(
            Map.of(
                "spire-mgmt.auth.mtls.proxies",
                "spiffe://td/envoy,not-an-id,spiffe://td/agent/eu",
                AGENT + ".role",
                "SiteAgent",
                AGENT + ".site-id",
                UUID.randomUUID().toString()));

    // When
    var problems = MtlsPrincipals.problems(config.mtls());
    MtlsPrincipals principals = new MtlsPrincipals(config);

    // Then
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "spire-mgmt.auth.mtls.proxies: 'not-an-id' is not a SPIFFE ID",
            "spire-mgmt.auth.mtls.proxies: spiffe://td/agent/eu is also a principal; a proxy's"
                + " SVID authenticates no one, so it can hold no role");
    assertThat(principals.proxy("spiffe://td/envoy")).isTrue();
    assertThat(principals.proxy("spiffe://td/someone")).isFalse();
  }
}
