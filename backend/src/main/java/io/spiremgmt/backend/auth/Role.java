package io.spiremgmt.backend.auth;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The roles a caller can hold. A JWT carries them in its groups claim, an API key has one, and an
 * mTLS caller gets them from the configured SPIFFE ID mapping. Claim values are the {@link
 * #claim()} names; unknown values grant nothing.
 */
public enum Role {
  /** Everything. */
  ADMIN("Admin"),
  /** Entries, sync and reading sites and audit; not site changes, API keys or the audit chain. */
  OPERATOR("Operator"),
  /** Entries within its namespaces (see {@code EntryScope}); reads sites. */
  DEVELOPER("Developer"),
  /** Reads everything but API keys and the audit chain; changes nothing. */
  VIEWER("Viewer"),
  /** A site agent: the lease, poll and report calls of its own site only. */
  SITE_AGENT("SiteAgent");

  private final String claim;

  Role(String claim) {
    this.claim = claim;
  }

  /** The name of the role in tokens, API keys and configuration. */
  public String claim() {
    return claim;
  }

  /** The role named {@code claim}, if any. */
  public static Optional<Role> fromClaim(String claim) {
    for (Role role : values()) {
      if (role.claim.equals(claim)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }

  /** The known roles among {@code claims}; unknown names are ignored. */
  public static Set<Role> fromClaims(Collection<String> claims) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String claim : claims) {
      fromClaim(claim).ifPresent(roles::add);
    }
    return roles;
  }
}
