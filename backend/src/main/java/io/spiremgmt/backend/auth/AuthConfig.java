package io.spiremgmt.backend.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How callers authenticate and how their scopes are read ({@code spire-mgmt.auth.*}). */
@ConfigMapping(prefix = "spire-mgmt.auth")
public interface AuthConfig {

  /**
   * JWT claims beyond the roles (which SmallRye JWT reads from {@code smallrye.jwt.path.groups}).
   */
  Jwt jwt();

  /** JWT claim names. */
  interface Jwt {
    /**
     * The claim listing a Developer's Kubernetes namespaces: a JSON array of strings, or one string
     * of names separated by spaces or commas.
     */
    @WithDefault("namespaces")
    String namespacesClaim();

    /** The claim naming a SiteAgent's site id. */
    @WithDefault("site_id")
    String siteClaim();
  }

  /**
   * The Kubernetes cluster domain: a Developer's DNS names must be service names of its namespaces,
   * {@code <service>.<namespace>.svc} or {@code <service>.<namespace>.svc.<cluster domain>}.
   */
  @WithDefault("cluster.local")
  String clusterDomain();

  /**
   * How often a long call (StreamSyncUpdates, a PollEntries long poll) checks again that its
   * caller's credentials are still accepted and still grant the call: an API key revoked or
   * expired, a JWT expired, a role or scope removed end the call within about this long.
   */
  @WithDefault("5s")
  Duration recheckInterval();

  /** Mutual TLS with SPIFFE X.509-SVIDs. */
  Mtls mtls();

  /** Mutual TLS settings. */
  interface Mtls {
    /**
     * The SPIFFE Workload API endpoint, e.g. {@code unix:/run/spire/agent/public/api.sock}. When
     * set, the gRPC port serves TLS 1.3 only, with this service's X.509-SVID (rotated as the
     * Workload API rotates it, without a restart), and asks callers for theirs.
     */
    Optional<String> workloadApiSocket();

    /**
     * This service's SPIFFE ID, to pick its SVID when the Workload API returns several; default:
     * the first.
     */
    Optional<String> spiffeId();

    /**
     * Trust domains whose client SVIDs are accepted; default: this service's own. A wildcard is
     * refused.
     */
    Optional<List<String>> trustDomains();

    /**
     * SPIFFE IDs of proxies (Envoy) that connect with their own SVID on behalf of users: a call
     * from one of them must carry its user's token or API key; the proxy's SVID alone authenticates
     * nobody (UNAUTHENTICATED). A proxy may not also be a principal.
     */
    Optional<List<String>> proxies();

    /** How long start-up waits for the first SVID. */
    @WithDefault("30s")
    Duration initTimeout();

    /**
     * Callers by SPIFFE ID, e.g. {@code
     * spire-mgmt.auth.mtls.principals."spiffe://example.org/agent/eu-1".role=SiteAgent} (a -D
     * option; in a properties file the colon is escaped, {@code "spiffe\://..."}). A valid SVID
     * that is not listed authenticates but holds no role.
     */
    Map<String, Principal> principals();

    /** What an mTLS caller is. */
    interface Principal {
      /** Its role: Admin, Operator, Developer, Viewer or SiteAgent. */
      String role();

      /** A SiteAgent's site id. */
      Optional<String> siteId();

      /** A Developer's namespaces. */
      Optional<List<String>> namespaces();
    }
  }
}
