package io.spiremgmt.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent refuses bad configuration with one sentence per problem, naming the property. */
class ConfigCheckTest {
  private static final String SITE = "0190d5a4-7c1e-7a9b-8c3d-1234567890ab";

  @Test
  void aCompleteConfigurationHasNoProblems() {
    // Given
    AgentConfig complete = config(SITE, "backend:8080", "spire-mgmt", 500, "30s");

    // When
    List<String> problems = ConfigCheck.problems(complete);

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void namesEveryProblem() {
    // Given
    AgentConfig bad = config("site-1", "no port", "bad/prefix", 0, "90s");

    // When
    List<String> problems = ConfigCheck.problems(bad);

    // Then
    assertThat(problems)
        .hasSize(5)
        .anySatisfy(p -> assertThat(p).startsWith("agent.poll-wait"))
        .anySatisfy(p -> assertThat(p).startsWith("agent.site-id").contains("site-1"))
        .anySatisfy(p -> assertThat(p).startsWith("agent.backend.address").contains("host:port"))
        .anySatisfy(p -> assertThat(p).startsWith("agent.owned-prefix").contains("bad/prefix"))
        .anySatisfy(p -> assertThat(p).startsWith("agent.spire.page-size"));
  }

  @Test
  void refusesAPollWaitTheBackendWouldCap() {
    // Given
    AgentConfig longWait = config(SITE, "backend:8080", "spire-mgmt", 500, "61s");

    // When
    List<String> problems = ConfigCheck.problems(longWait);

    // Then
    assertThat(problems).containsExactly("agent.poll-wait must be 0 to 60s, got PT1M1S");
  }

  @Test
  void refusesAnUnreadableTokenFile() {
    // Given
    AgentConfig base = config(SITE, "backend:8080", "spire-mgmt", 500, "30s");
    AgentConfig withToken =
        new Config(
            base.siteId(),
            new Backend("backend:8080", Optional.of(Path.of("/nonexistent/token")), true, false),
            base.ownedPrefix(),
            500,
            base.pollWait());

    // When
    List<String> problems = ConfigCheck.problems(withToken);

    // Then
    assertThat(problems)
        .singleElement()
        .satisfies(p -> assertThat(p).contains("/nonexistent/token is not readable"));
  }

  @Test
  void aTokenOverAPlaintextBackendConnectionIsRefusedNamingTheSettingsThatFixIt(@TempDir Path dir)
      throws Exception {
    // Given: a readable token file, and TLS to the backend left at its default (off)
    AgentConfig plaintext = withBackend(new Backend("backend:8080", token(dir), false, false));

    // When
    List<String> problems = ConfigCheck.problems(plaintext);

    // Then
    assertThat(problems)
        .containsExactly(
            "agent.backend.token-file (AGENT_BACKEND_TOKEN_FILE) is set but the backend connection"
                + " is plaintext, so the token would cross the network readable: set"
                + " agent.backend.tls=true (AGENT_BACKEND_TLS), or in development only"
                + " agent.backend.allow-plaintext-token=true (AGENT_BACKEND_ALLOW_PLAINTEXT_TOKEN)");
  }

  @Test
  void aTokenOverTlsIsAccepted(@TempDir Path dir) throws Exception {
    // Given
    AgentConfig overTls = withBackend(new Backend("backend:8443", token(dir), true, false));

    // When
    List<String> problems = ConfigCheck.problems(overTls);

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void aTokenOverPlaintextIsAcceptedWithTheDevelopmentSetting(@TempDir Path dir) throws Exception {
    // Given
    AgentConfig dev = withBackend(new Backend("localhost:8080", token(dir), false, true));

    // When
    List<String> problems = ConfigCheck.problems(dev);

    // Then
    assertThat(problems).isEmpty();
  }

  @Test
  void theDevProfileAllowsATokenOverPlaintextAndTheDefaultProfileDoesNot(@TempDir Path dir)
      throws Exception {
    // Given: the agent's own application.properties and a token to a plaintext backend
    Map<String, String> settings =
        Map.of(
            "agent.site-id",
            SITE,
            "agent.backend.address",
            "localhost:8080",
            "agent.backend.tls",
            "false",
            "agent.backend.token-file",
            token(dir).orElseThrow().toString(),
            "agent.spire.socket",
            "/tmp/spire.sock");

    // When
    List<String> dev = ConfigCheck.problems(load("dev", settings));
    List<String> prod = ConfigCheck.problems(load("prod", settings));

    // Then
    assertThat(dev).isEmpty();
    assertThat(prod)
        .singleElement()
        .satisfies(p -> assertThat(p).contains("agent.backend.allow-plaintext-token=true"));
  }

  @Test
  void theBackendConnectionIsTlsUnlessTheDevProfileOrASettingSaysOtherwise(@TempDir Path dir)
      throws Exception {
    // Given: a token and no TLS setting
    Map<String, String> settings =
        Map.of(
            "agent.site-id",
            SITE,
            "agent.backend.address",
            "backend:8443",
            "agent.backend.token-file",
            token(dir).orElseThrow().toString(),
            "agent.spire.socket",
            "/tmp/spire.sock");

    // When
    AgentConfig prod = load("prod", settings);
    AgentConfig dev = load("dev", settings);

    // Then: production speaks TLS (and so may send its token); development plaintext
    assertThat(prod.backend().tls()).isTrue();
    assertThat(ConfigCheck.problems(prod)).isEmpty();
    assertThat(dev.backend().tls()).isFalse();
  }

  @Test
  void mutualTlsToTheBackendNeedsTheBackendsSpiffeIdAndNoToken() {
    // Given
    AgentConfig base = config(SITE, "backend:8080", "spire-mgmt", 500, "30s");
    AgentConfig mtls =
        new Config(
            base.siteId(),
            new Backend(
                "backend:8080",
                Optional.of(Path.of("/nonexistent/token")),
                Optional.of("unix:/run/spire/agent.sock"),
                Optional.empty(),
                Optional.of("not-a-spiffe-id")),
            base.ownedPrefix(),
            500,
            base.pollWait());

    // When
    List<String> problems = ConfigCheck.problems(mtls);

    // Then
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "agent.backend.token-file (AGENT_BACKEND_TOKEN_FILE) /nonexistent/token is not readable",
            "agent.backend.spiffe-socket and agent.backend.spiffe-id (the backend's SPIFFE ID) go"
                + " together",
            "agent.backend.svid-spiffe-id must be a SPIFFE ID, got 'not-a-spiffe-id'",
            "agent.backend.token-file and agent.backend.spiffe-socket exclude each other: with mTLS"
                + " the backend knows the agent by its SVID, and a token would take precedence");
  }

  @Test
  void aTcpSpireConnectionNeedsItsSvidFilesAndTheServerId() {
    // Given
    AgentConfig base = config(SITE, "backend:8080", "spire-mgmt", 500, "30s");
    AgentConfig tcp =
        new Config(
            base.siteId(),
            new Backend("backend:8080", Optional.empty()),
            base.ownedPrefix(),
            500,
            base.pollWait(),
            true);

    // When
    List<String> problems = ConfigCheck.problems(tcp);

    // Then
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "agent.spire.svid-file /nonexistent/svid.pem is not readable",
            "agent.spire.key-file is required with agent.spire.address",
            "agent.spire.bundle-file is required with agent.spire.address",
            "agent.spire.server-id must be the SPIRE server's SPIFFE ID, e.g."
                + " spiffe://example.org/spire/server");
  }

  /** The agent's configuration as Quarkus reads it in {@code profile}, with {@code settings}. */
  private static AgentConfig load(String profile, Map<String, String> settings) throws Exception {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withProfile(profile)
            .withSources(
                new PropertiesConfigSource(
                    ConfigCheckTest.class.getResource("/application.properties"), 250))
            .withSources(new PropertiesConfigSource(settings, "test", 400))
            // Quarkus's form of durations ("30s"), as the agent reads them
            .withConverter(Duration.class, 200, new DurationConverter())
            .withMapping(AgentConfig.class)
            .build();
    return config.getConfigMapping(AgentConfig.class);
  }

  private static Optional<Path> token(Path dir) throws Exception {
    return Optional.of(Files.writeString(dir.resolve("agent.token"), "a-token"));
  }

  private static AgentConfig withBackend(Backend backend) {
    return new Config(SITE, backend, "spire-mgmt", 500, Duration.ofSeconds(30));
  }

  private static AgentConfig config(
      String site, String address, String prefix, int pageSize, String pollWait) {
    return new Config(
        site,
        new Backend(address, Optional.empty()),
        prefix,
        pageSize,
        Duration.parse("PT" + pollWait.toUpperCase()));
  }

  private record Backend(
      String address,
      Optional<Path> tokenFile,
      Optional<String> spiffeSocket,
      Optional<String> spiffeId,
      Optional<String> svidSpiffeId,
      boolean tls,
      boolean allowPlaintextToken)
      implements AgentConfig.Backend {
    Backend(String address, Optional<Path> tokenFile) {
      this(address, tokenFile, false, false);
    }

    Backend(String address, Optional<Path> tokenFile, boolean tls, boolean allowPlaintextToken) {
      this(
          address,
          tokenFile,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          tls,
          allowPlaintextToken);
    }

    Backend(
        String address,
        Optional<Path> tokenFile,
        Optional<String> spiffeSocket,
        Optional<String> spiffeId,
        Optional<String> svidSpiffeId) {
      this(address, tokenFile, spiffeSocket, spiffeId, svidSpiffeId, false, false);
    }
  }

  private record Config(
      String siteId,
      Backend backend,
      String ownedPrefix,
      int pageSize,
      Duration pollWait,
      boolean tcp)
      implements AgentConfig {
    Config(String siteId, Backend backend, String ownedPrefix, int pageSize, Duration pollWait) {
      this(siteId, backend, ownedPrefix, pageSize, pollWait, false);
    }

    @Override
    public Optional<String> instanceId() {
      return Optional.empty();
    }

    @Override
    public Spire spire() {
      return new Spire() {
        @Override
        public Optional<Path> socket() {
          return tcp ? Optional.empty() : Optional.of(Path.of("/tmp/spire.sock"));
        }

        @Override
        public Optional<String> address() {
          return tcp ? Optional.of("spire:8081") : Optional.empty();
        }

        @Override
        public Optional<Path> svidFile() {
          return tcp ? Optional.of(Path.of("/nonexistent/svid.pem")) : Optional.empty();
        }

        @Override
        public Optional<Path> keyFile() {
          return Optional.empty();
        }

        @Override
        public Optional<Path> bundleFile() {
          return Optional.empty();
        }

        @Override
        public Optional<String> serverId() {
          return Optional.empty();
        }

        @Override
        public int pageSize() {
          return pageSize;
        }

        @Override
        public int batchSize() {
          return 100;
        }

        @Override
        public Duration timeout() {
          return Duration.ofSeconds(30);
        }
      };
    }

    @Override
    public Duration fullReconcileInterval() {
      return Duration.ofMinutes(10);
    }

    @Override
    public Duration retryInitial() {
      return Duration.ofSeconds(1);
    }

    @Override
    public Duration retryMax() {
      return Duration.ofSeconds(60);
    }
  }
}
