package io.spiremgmt.backend.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The audit trail's settings ({@code spire-mgmt.audit.*}). */
@ConfigMapping(prefix = "spire-mgmt.audit")
public interface AuditConfig {

  /**
   * How often each replica tries to seal committed events into the hash chain (one replica seals at
   * a time). VerifyAuditChain counts events younger than this as unsealed.
   */
  @WithDefault("1s")
  Duration sealInterval();

  /**
   * Denials of one caller and method audited one by one per {@link #denialWindow()}, on each
   * replica; the rest are counted into one summary event when the window ends.
   */
  @WithDefault("20")
  int denialLimit();

  /** The window {@link #denialLimit()} counts in. */
  @WithDefault("60s")
  Duration denialWindow();
}
