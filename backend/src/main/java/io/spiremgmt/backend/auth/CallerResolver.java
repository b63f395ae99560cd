package io.spiremgmt.backend.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.CredentialsRejectedException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.Text;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Resolves the {@link Caller} of the current gRPC call from the request's security identity and
 * decides, with {@link AccessPolicy}, what this call may reach. Every gRPC edge starts with {@link
 * #current()}.
 */
@ApplicationScoped
public class CallerResolver {
  /** Longest principal name accepted (the audit actor column's size). */
  public static final int MAX_NAME = 512;

  /** Identity attribute: the namespaces of a non-JWT caller (a {@code Set<String>}). */
  public static final String NAMESPACES_ATTRIBUTE = "spire-mgmt.namespaces";

  /** Identity attribute: the site of a non-JWT caller (a {@link UUID}). */
  public static final String SITE_ATTRIBUTE = "spire-mgmt.site";

  /** Identity attribute: how a non-JWT caller authenticated (a {@link Caller.AuthMethod}). */
  public static final String METHOD_ATTRIBUTE = "spire-mgmt.auth-method";

  private final CurrentIdentityAssociation identity;
  private final AuthConfig config;

  CallerResolver(CurrentIdentityAssociation identity, AuthConfig config) {
    this.identity = identity;
    this.config = config;
  }

  /**
   * The current caller, allowed to make the current call; fails with UNAUTHENTICATED when the call
   * carries no valid credentials and PERMISSION_DENIED when the authorization table refuses it.
   */
  public Uni<Caller> current() {
    AccessInterceptor.CallAccess call = AccessInterceptor.CALL.get();
    return identity
        .getDeferredIdentity()
        .map(
            id -> {
              Caller caller = toCaller(id);
              if (call == null) {
                throw ApiException.of(
                    ErrorReason.PERMISSION_DENIED, "no authorization context: denied by default");
              }
              call.caller = caller.name();
              return caller.withAccess(AccessPolicy.decide(call.method, caller, call.request));
            });
  }

  Caller toCaller(SecurityIdentity id) {
    if (id == null || id.isAnonymous()) {
      throw new UnauthorizedException();
    }
    String name = id.getPrincipal().getName();
    if (name == null
        || name.isEmpty()
        || name.length() > MAX_NAME
        || Text.controlCharacterProblem(name) != null) {
      throw new AuthenticationFailedException(
          "the credentials' principal name is empty, too long or not printable");
    }
    Set<Role> roles = Role.fromClaims(id.getRoles());
    if (id.getPrincipal() instanceof JsonWebToken jwt) {
      if (name.startsWith("apikey:") || name.startsWith("spiffe://")) {
        // Would pass for an API key or an mTLS caller in the audit trail.
        throw CredentialsRejectedException.because(
            "a token's principal name may not start with 'apikey:' or 'spiffe://'");
      }
      return new Caller(
          name,
          Caller.AuthMethod.JWT,
          roles,
          namespaces(jwt.getClaim(config.jwt().namespacesClaim())),
          site(jwt.getClaim(config.jwt().siteClaim())),
          null);
    }
    Caller.AuthMethod method = id.getAttribute(METHOD_ATTRIBUTE);
    Set<String> namespaces = id.getAttribute(NAMESPACES_ATTRIBUTE);
    UUID site = id.getAttribute(SITE_ATTRIBUTE);
    if (method == null) {
      throw new AuthenticationFailedException("unsupported credentials");
    }
    return new Caller(
        name, method, roles, namespaces == null ? Set.of() : Set.copyOf(namespaces), site, null);
  }

  /** The namespaces in a claim: a JSON array of strings or one separated string; else none. */
  static Set<String> namespaces(Object claim) {
    Set<String> out = new LinkedHashSet<>();
    if (claim instanceof JsonArray array) {
      for (JsonValue v : array) {
        if (v instanceof JsonString s) {
          addNamespaces(out, s.getString());
        }
      }
    } else if (claim instanceof JsonString s) {
      addNamespaces(out, s.getString());
    } else if (claim instanceof String s) {
      addNamespaces(out, s);
    } else if (claim instanceof Collection<?> values) {
      values.forEach(v -> addNamespaces(out, String.valueOf(v)));
    }
    return Set.copyOf(out);
  }

  private static void addNamespaces(Set<String> out, String text) {
    for (String part : text.split("[\\s,]+")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
  }

  /** The site in a claim, or null when absent or not a UUID. */
  static UUID site(Object claim) {
    String text =
        claim instanceof JsonString s ? s.getString() : claim instanceof String s ? s : null;
    if (text == null) {
      return null;
    }
    try {
      UUID site = UUID.fromString(text);
      return site.toString().equals(text.toLowerCase()) ? site : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
