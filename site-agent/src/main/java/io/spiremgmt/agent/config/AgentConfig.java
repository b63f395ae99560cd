package io.spiremgmt.agent.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The site agent's configuration ({@code agent.*} properties, or {@code AGENT_*} environment
 * variables). {@link ConfigCheck} refuses to start with a message per problem.
 */
@ConfigMapping(prefix = "agent")
public interface AgentConfig {
  /** The id of the site this agent serves (a UUID from SiteService). */
  String siteId();

  /** This instance's id in the site lease; defaults to host name, process id and a random part. */
  Optional<String> instanceId();

  /** The backend. */
  Backend backend();

  /** The site's SPIRE server. */
  Spire spire();

  /** Entries this agent owns carry the SPIRE entry id {@code <prefix>.<central id>}. */
  @WithDefault("spire-mgmt")
  String ownedPrefix();

  /** How long one long poll waits for work before asking again. */
  @WithDefault("30s")
  Duration pollWait();

  /** How often the agent compares the whole SPIRE server with the central store. */
  @WithDefault("10m")
  Duration fullReconcileInterval();

  /** First wait after a failed call to the backend or SPIRE; doubles up to {@link #retryMax()}. */
  @WithDefault("1s")
  Duration retryInitial();

  /** Longest wait between retries. */
  @WithDefault("60s")
  Duration retryMax();

  /** The backend connection. */
  interface Backend {
    /** {@code host:port} of the backend's gRPC endpoint (or of Envoy in front of it). */
    String address();

    /**
     * Whether to use TLS (with the JVM's trust store): on by default; only the {@code dev} profile
     * (and a test harness against a plaintext backend) turns it off.
     */
    @WithDefault("true")
    boolean tls();

    /**
     * A file holding the credential the agent presents, re-read when it changes: a JWT (sent as
     * {@code authorization: Bearer}) or an API key ({@code smk_...}, sent as {@code x-api-key}).
     * Needs {@link #tls()} unless {@link #allowPlaintextToken()}.
     */
    Optional<Path> tokenFile();

    /**
     * Development only: lets the agent send its {@link #tokenFile() token} over a plaintext
     * connection, where anyone on the path can read and replay it. Off by default, so an agent with
     * a token and without {@link #tls()} refuses to start; the {@code dev} profile turns it on.
     */
    @WithDefault("false")
    boolean allowPlaintextToken();

    /**
     * The SPIFFE Workload API endpoint (e.g. {@code unix:/run/spire/agent/public/api.sock}): the
     * agent then calls the backend over mutual TLS 1.3 with its X.509-SVID, rotated without a
     * restart, and needs no token.
     */
    Optional<String> spiffeSocket();

    /** With {@link #spiffeSocket()}: the backend's SPIFFE ID, the only server identity accepted. */
    Optional<String> spiffeId();

    /**
     * With {@link #spiffeSocket()}: the agent's own SPIFFE ID, to pick its SVID when the Workload
     * API offers several; default: the first.
     */
    Optional<String> svidSpiffeId();
  }

  /**
   * The SPIRE server connection: its admin Unix socket, or its TCP endpoint with mutual TLS (the
   * agent's X.509-SVID must be an admin of the server: in its {@code admin_ids} or with an admin
   * entry).
   */
  interface Spire {
    /** The SPIRE server's admin Unix socket (e.g. {@code /tmp/spire-server/private/api.sock}). */
    Optional<Path> socket();

    /** {@code host:port} of the SPIRE server's TCP endpoint, instead of the socket. */
    Optional<String> address();

    /** With {@link #address()}: the agent's X.509-SVID chain (PEM), re-read when it changes. */
    Optional<Path> svidFile();

    /** With {@link #address()}: the SVID's private key (PKCS#8 PEM). */
    Optional<Path> keyFile();

    /** With {@link #address()}: the trust bundle (PEM CA certificates) the server must chain to. */
    Optional<Path> bundleFile();

    /** With {@link #address()}: the server's SPIFFE ID, e.g. {@code spiffe://td/spire/server}. */
    Optional<String> serverId();

    /** Entries per ListEntries page. */
    @WithDefault("500")
    int pageSize();

    /** Entries per Batch{Create,Update,Delete}Entry call. */
    @WithDefault("100")
    int batchSize();

    /** Deadline of one SPIRE call. */
    @WithDefault("30s")
    Duration timeout();
  }
}
