package io.spiremgmt.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

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
            new Backend("backend:8080", Optional.of(Path.of("/nonexistent/token"))),
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
      Optional<String> svidSpiffeId)
      implements AgentConfig.Backend {
    Backend(String address, Optional<Path> tokenFile) {
      this(address, tokenFile, Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Override
    public boolean tls() {
      return false;
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
