package io.spiremgmt.agent.packaged;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainIntegrationTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent (the fast-jar of {@code ./mvnw package}, or with {@code -Pnative} the native
 * executable), run as its own process: a bad configuration is refused before anything is called,
 * with one line per problem naming the setting, and exit code 2.
 */
@QuarkusMainIntegrationTest
@TestProfile(PackagedAgentIT.BadConfig.class)
class PackagedAgentIT {

  /** A site ID that is no UUID and a backend address without a port. */
  public static class BadConfig implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "agent.site-id", "site-1",
          "agent.backend.address", "no-port",
          "agent.spire.socket", "/nonexistent/api.sock");
    }
  }

  @Test
  @Launch(
      value = {},
      exitCode = 2)
  void refusesABadConfigurationNamingEachSetting(LaunchResult result) {
    // Given: the BadConfig settings
    // When: the packaged agent is started (@Launch)
    // Then
    assertThat(result.getErrorOutput()).contains("site-agent: refusing to start:");
    assertThat(result.getErrorOutput())
        .contains("agent.site-id (AGENT_SITE_ID) must be the site's UUID")
        .contains("agent.backend.address (AGENT_BACKEND_ADDRESS) must be host:port, got 'no-port'");
  }

  @Test
  @Launch(
      value = {"--no-such-flag"},
      exitCode = 2)
  void refusesAnUnknownArgument(LaunchResult result) {
    // Given: an argument the agent does not know
    // When: the packaged agent is started with it (@Launch)
    // Then
    assertThat(result.getErrorOutput()).contains("unknown argument --no-such-flag; try --help");
  }
}
