package io.spiremgmt.backend.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How callers' scopes are read from their credentials ({@code spire-mgmt.auth.*}). */
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
}
