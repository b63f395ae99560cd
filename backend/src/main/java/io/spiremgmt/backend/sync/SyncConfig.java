package io.spiremgmt.backend.sync;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Sync settings ({@code spire-mgmt.sync.*}). */
@ConfigMapping(prefix = "spire-mgmt.sync")
public interface SyncConfig {

  /**
   * How long a site's lease lasts unless its agent renews it. A standby takes over at most this
   * long after the active agent stopped; agents renew at a third of it.
   */
  @WithDefault("15s")
  Duration leaseTtl();

  /**
   * How long sync events are kept for StreamSyncUpdates: a subscriber can resume from a cursor at
   * most this old.
   */
  @WithDefault("7d")
  Duration eventRetention();

  /**
   * How many StreamSyncUpdates streams one caller (token subject, API key or agent) may hold open
   * at once on a replica; one more is refused RESOURCE_EXHAUSTED. A dashboard needs one stream: a
   * stream follows any number of sites and entries.
   */
  @WithDefault("8")
  int maxStreamsPerCaller();
}
