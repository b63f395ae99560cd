package io.spiremgmt.backend.auth;

import java.util.Set;

/**
 * The authenticated principal of a call: who it is (recorded as {@code created_by} and as the audit
 * actor), how it proved it, and the roles it holds. RBAC scopes (a developer's namespaces, an
 * agent's site) are added here by the security work.
 *
 * @param name the principal's name: a JWT's {@code upn}, {@code preferred_username} or {@code sub}
 * @param method how the caller authenticated
 * @param roles the roles granted to the caller (from the JWT {@code groups} claim)
 */
public record Caller(String name, AuthMethod method, Set<String> roles) {

  /** How a caller proved its identity. */
  public enum AuthMethod {
    /** A JWT bearer token verified with SmallRye JWT. */
    JWT
  }
}
