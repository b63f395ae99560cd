package io.spiremgmt.backend.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.apikey.ApiKeySecrets;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;

/**
 * Turns an API key into an identity by looking its hash up in the database on every call, so a
 * revoked or expired key is refused at once on every replica. The principal is {@code
 * apikey:<name>}; the role, namespaces and site are the key's.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthMechanism.ApiKeyRequest> {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(ApiKeyIdentityProvider.class);

  private final Pool pool;

  ApiKeyIdentityProvider(Pool pool) {
    this.pool = pool;
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
    return pool.preparedQuery(
            "SELECT name, role, namespaces, site_id, revoked_at IS NOT NULL AS revoked,"
                + " expires_at <= now() AS expired FROM api_keys WHERE secret_hash = $1")
        .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(ApiKeySecrets.hash(request.secret()))))
        .map(
            rows -> {
              if (rows.rowCount() == 0) {
                throw CredentialsRejectedException.because("unknown API key");
              }
              return identity(rows.iterator().next());
            })
        .onFailure(e -> !rejected(e))
        .invoke(e -> LOG.errorf(e, "API key lookup failed"));
  }

  private static SecurityIdentity identity(Row row) {
    String name = row.getString("name");
    if (row.getBoolean("revoked")) {
      throw CredentialsRejectedException.because("API key '" + name + "' has been revoked");
    }
    if (row.getBoolean("expired")) {
      throw CredentialsRejectedException.because("API key '" + name + "' has expired");
    }
    String[] namespaces = row.getArrayOfStrings("namespaces");
    UUID site = row.getUUID("site_id");
    QuarkusSecurityIdentity.Builder b =
        QuarkusSecurityIdentity.builder()
            .setPrincipal(new QuarkusPrincipal("apikey:" + name))
            .addRole(row.getString("role"))
            .addAttribute(CallerResolver.METHOD_ATTRIBUTE, Caller.AuthMethod.API_KEY)
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
