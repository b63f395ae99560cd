package io.spiremgmt.backend.auth;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * The authenticated principal of a call: who it is (recorded as {@code created_by} and as the audit
 * actor), how it proved it, the roles it holds, its scope claims, and what the current call may
 * reach ({@link Access}, decided by {@link AccessPolicy} for the method being called).
 *
 * @param name the principal's name: a JWT's {@code upn}, {@code preferred_username} or {@code sub},
 *     {@code apikey:<name>} for an API key, the SPIFFE ID of an mTLS caller
 * @param method how the caller authenticated
 * @param roles the roles granted to the caller
 * @param namespaces the Kubernetes namespaces a Developer may work in
 * @param site the site a SiteAgent serves, or null
 * @param access what the current call may reach
 * @param apiKeyId the API key's id, for {@link AuthMethod#API_KEY}; null otherwise (a long call
 *     looks the key up by it again, see {@code CallWatch})
 * @param notAfter when the credentials stop being accepted: a JWT's {@code exp} plus the clock skew
 *     the verifier allows, an API key's expiry; null for an mTLS caller (its connection was
 *     authenticated at the handshake, and new calls on it are accepted as long as it lasts)
 */
public record Caller(
    String name,
    AuthMethod method,
    Set<Role> roles,
    Set<String> namespaces,
    UUID site,
    Access access,
    UUID apiKeyId,
    Instant notAfter) {

  /** How a caller proved its identity. */
  public enum AuthMethod {
    /** A JWT bearer token verified with SmallRye JWT. */
    JWT,
    /** An API key. */
    API_KEY,
    /** A client X.509-SVID over mutual TLS. */
    MTLS
  }

  /** This caller with the access decided for the current call. */
  public Caller withAccess(Access granted) {
    return new Caller(name, method, roles, namespaces, site, granted, apiKeyId, notAfter);
  }
}
