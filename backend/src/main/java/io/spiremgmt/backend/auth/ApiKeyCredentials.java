package io.spiremgmt.backend.auth;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import java.util.UUID;

/**
 * What a long call needs to know of an API key while it runs (implemented by the {@code apikey}
 * feature, which sits above {@code auth}).
 */
public interface ApiKeyCredentials {
  /**
   * The identity the key with {@code id} grants now, read from the database; fails with an {@code
   * AuthenticationFailedException} whose cause is a {@code CredentialsRejectedException} saying why
   * when the key is gone, revoked or expired.
   */
  Uni<SecurityIdentity> current(UUID id);
}
