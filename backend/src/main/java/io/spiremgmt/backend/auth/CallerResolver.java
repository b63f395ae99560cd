package io.spiremgmt.backend.auth;

import com.google.protobuf.Message;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.CredentialsRejectedException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.Text;
import io.spiremgmt.runtime.logging.LogFields;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.MDC;

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

  /** Identity attribute: an API key's id (a {@link UUID}). */
  public static final String API_KEY_ATTRIBUTE = "spire-mgmt.api-key-id";

  /** Identity attribute: when an API key stops being accepted (an {@link Instant}). */
  public static final String NOT_AFTER_ATTRIBUTE = "spire-mgmt.not-after";

  private final CurrentIdentityAssociation identity;
  private final AuthConfig config;
  private final ApiKeyCredentials apiKeys;
  private final Duration jwtLeeway;

  CallerResolver(
      CurrentIdentityAssociation identity,
      AuthConfig config,
      ApiKeyCredentials apiKeys,
      @ConfigProperty(name = "smallrye.jwt.expiration.grace", defaultValue = "0") int grace,
      @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "60") int skew) {
    this.identity = identity;
    this.config = config;
    this.apiKeys = apiKeys;
    // SmallRye JWT accepts a token until exp plus this (the grace period when set, else the skew).
    this.jwtLeeway = Duration.ofSeconds(grace > 0 ? grace : Math.max(0, skew));
  }

  /**
   * The current caller, allowed to make the current call (from now on the {@code actor} of the
   * lines logged while serving it); fails with UNAUTHENTICATED when the call carries no valid
   * credentials and PERMISSION_DENIED when the authorization table refuses it.
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
              // Lines logged while serving the call name its caller; AccessInterceptor clears it
              // when the call closes.
              MDC.put(LogFields.ACTOR, caller.name());
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
      long exp = jwt.getExpirationTime();
      return new Caller(
          name,
          Caller.AuthMethod.JWT,
          roles,
          namespaces(jwt.getClaim(config.jwt().namespacesClaim())),
          site(jwt.getClaim(config.jwt().siteClaim())),
          null,
          null,
          exp > 0 ? Instant.ofEpochSecond(exp).plus(jwtLeeway) : null);
    }
    Caller.AuthMethod method = id.getAttribute(METHOD_ATTRIBUTE);
    Set<String> namespaces = id.getAttribute(NAMESPACES_ATTRIBUTE);
    UUID site = id.getAttribute(SITE_ATTRIBUTE);
    if (method == null) {
      throw new AuthenticationFailedException("unsupported credentials");
    }
    return new Caller(
        name,
        method,
        roles,
        namespaces == null ? Set.of() : Set.copyOf(namespaces),
        site,
        null,
        id.getAttribute(API_KEY_ATTRIBUTE),
        id.getAttribute(NOT_AFTER_ATTRIBUTE));
  }

  /**
   * Checks again that {@code caller}, allowed to call {@code method} with {@code request} when the
   * call began, still is: its credentials have not expired ({@link Caller#notAfter()}), an API key
   * is still there, unrevoked and unexpired (read again from the database, so its current role and
   * scope count), and {@link AccessPolicy} still grants the same access. Fails UNAUTHENTICATED for
   * credentials that are no longer accepted, PERMISSION_DENIED for a call no longer allowed; a
   * failure to read the key (a database outage) fails with that error, which is not a verdict.
   */
  public Uni<Void> recheck(Caller caller, String method, Message request, Instant now) {
    if (caller.notAfter() != null && !now.isBefore(caller.notAfter())) {
      throw ApiException.of(
          ErrorReason.UNAUTHENTICATED,
          "the call's credentials expired at "
              + caller.notAfter()
              + (caller.method() == Caller.AuthMethod.JWT ? " (with the allowed clock skew)" : "")
              + " while it was open; call again with fresh credentials");
    }
    Uni<Caller> current =
        caller.method() == Caller.AuthMethod.API_KEY && caller.apiKeyId() != null
            ? apiKeys
                .current(caller.apiKeyId())
                .map(this::toCaller)
                .onFailure(AuthenticationFailedException.class)
                .transform(
                    e ->
                        ApiException.of(
                            ErrorReason.UNAUTHENTICATED,
                            (e.getCause() instanceof CredentialsRejectedException r
                                    ? r.getMessage()
                                    : "the API key is no longer accepted")
                                + " while the call was open"))
            // A token's or an mTLS principal's roles cannot change while it is valid (the
            // principal mapping is read at start-up, and a TLS connection is authenticated once, at
            // its handshake): the same caller is decided again.
            : Uni.createFrom().item(caller);
    return current
        .invoke(
            fresh -> {
              Access granted = AccessPolicy.decide(method, fresh, request);
              if (!granted.equals(caller.access())) {
                throw ApiException.of(
                    ErrorReason.PERMISSION_DENIED,
                    "the caller's scope changed while the call was open; call again");
              }
            })
        .replaceWithVoid();
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
