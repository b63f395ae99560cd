package io.spiremgmt.backend.apikey;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.auth.ApiKeyAuthMechanism;
import io.spiremgmt.backend.auth.ApiKeyCredentials;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.error.CredentialsRejectedException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Turns an API key into an identity by looking its hash up in the database on every call, so a
 * revoked or expired key is refused at once on every replica. The principal is {@code
 * apikey:<name>}; the role, namespaces and site are the key's. A long call looks its key up again
 * by id ({@link ApiKeyCredentials}), so a revocation ends it too.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider
    implements IdentityProvider<ApiKeyAuthMechanism.ApiKeyRequest>, ApiKeyCredentials {
  private static final Logger LOG = Logger.getLogger(ApiKeyIdentityProvider.class);

  private final ApiKeyRepository keys;

  ApiKeyIdentityProvider(ApiKeyRepository keys) {
    this.keys = keys;
  }

  @Override
  public Class<ApiKeyAuthMechanism.ApiKeyRequest> getRequestType() {
    return ApiKeyAuthMechanism.ApiKeyRequest.class;
  }

  @Override
  public Uni<SecurityIdentity> authenticate(
      ApiKeyAuthMechanism.ApiKeyRequest request, AuthenticationRequestContext context) {
    if (!ApiKeySecrets.wellFormed(request.secret())) {
      return Uni.createFrom()
          .failure(CredentialsRejectedException.because("the x-api-key value is not an API key"));
    }
    return keys.findBySecretHash(ApiKeySecrets.hash(request.secret()))
        .map(
            key -> {
              if (key == null) {
                throw CredentialsRejectedException.because("unknown API key");
              }
              return identity(key);
            })
        .onFailure(e -> !rejected(e))
        .invoke(e -> LOG.errorf(e, "API key lookup failed"));
  }

  @Override
  public Uni<SecurityIdentity> current(UUID id) {
    return keys.findById(id)
        .map(
            key -> {
              if (key == null) {
                throw CredentialsRejectedException.because("the API key no longer exists");
              }
              return identity(key);
            });
  }

  private static SecurityIdentity identity(ApiKeyRepository.Credential key) {
    String name = key.name();
    if (key.revoked()) {
      throw CredentialsRejectedException.because("API key '" + name + "' has been revoked");
    }
    if (key.expired()) {
      throw CredentialsRejectedException.because("API key '" + name + "' has expired");
    }
    String[] namespaces = key.namespaces();
    UUID site = key.siteId();
    QuarkusSecurityIdentity.Builder b =
        QuarkusSecurityIdentity.builder()
            .setPrincipal(new QuarkusPrincipal("apikey:" + name))
            .addRole(key.role())
            .addAttribute(CallerResolver.METHOD_ATTRIBUTE, Caller.AuthMethod.API_KEY)
            .addAttribute(CallerResolver.API_KEY_ATTRIBUTE, key.id())
            .addAttribute(CallerResolver.NOT_AFTER_ATTRIBUTE, key.expiresAt())
            .addAttribute(
                CallerResolver.NAMESPACES_ATTRIBUTE,
                namespaces == null ? Set.of() : Set.copyOf(Arrays.asList(namespaces)));
    if (site != null) {
      b.addAttribute(CallerResolver.SITE_ATTRIBUTE, site);
    }
    return b.build();
  }

  private static boolean rejected(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof CredentialsRejectedException) {
        return true;
      }
    }
    return false;
  }
}
