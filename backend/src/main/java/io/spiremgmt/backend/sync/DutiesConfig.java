package io.spiremgmt.backend.sync;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The backend's background duties ({@code spire-mgmt.duties.*}). */
@ConfigMapping(prefix = "spire-mgmt.duties")
public interface DutiesConfig {

  /**
   * How often the duties run (on one replica at a time): the sync gauges are refreshed, stale
   * agents noticed and old sync events purged at this pace.
   */
  @WithDefault("30s")
  Duration interval();
}
