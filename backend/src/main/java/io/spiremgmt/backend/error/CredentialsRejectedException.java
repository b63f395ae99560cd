package io.spiremgmt.backend.error;

import io.quarkus.security.AuthenticationFailedException;

/**
 * Why checked credentials were refused (a revoked or expired API key, say), carried as the cause of
 * an {@link AuthenticationFailedException}. The message says what is wrong, never a secret, and is
 * shown to the caller with UNAUTHENTICATED.
 */
public final class CredentialsRejectedException extends RuntimeException {
  private CredentialsRejectedException(String reason) {
    super(reason, null, false, false);
  }

  /** The authentication failure for {@code reason}. */
  public static AuthenticationFailedException because(String reason) {
    return new AuthenticationFailedException(reason, new CredentialsRejectedException(reason));
  }
}
