package io.spiremgmt.backend.request;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Entry requests ({@code spire-mgmt.requests.*}). */
@ConfigMapping(prefix = "spire-mgmt.requests")
public interface RequestConfig {
  /** How long a request may stay PENDING before it expires. */
  @WithDefault("P7D")
  Duration expireAfter();

  /** How often expired requests are ended and the request gauges refreshed. */
  @WithDefault("30s")
  Duration sweepInterval();
}
