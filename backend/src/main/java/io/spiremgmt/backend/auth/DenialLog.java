package io.spiremgmt.backend.auth;

import io.smallrye.mutiny.Uni;

/**
 * Where {@link AccessInterceptor} writes the calls it denies: the audit trail. An interface here,
 * implemented by the audit feature, so authorization does not depend on audit (which sits above
 * it).
 */
public interface DenialLog {
  /**
   * Records that {@code actor} (null when not resolved yet) was denied {@code method} because of
   * {@code reason}; completes when recorded, counted, or failed (a failure is logged, never turned
   * into another answer).
   */
  Uni<Void> record(String actor, String method, String reason);
}
