package io.spiremgmt.agent.backend;

import io.grpc.StatusRuntimeException;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.time.Duration;
import java.util.List;

/**
 * The backend's SyncService as the agent calls it: for one site, as one agent instance. Every call
 * may fail with a {@link StatusRuntimeException}, which the caller retries with backoff.
 */
public interface SyncBackend {
  /** This agent instance's id. */
  String agentId();

  /** Takes or renews the site lease, telling the backend how SPIRE answered last. */
  Lease acquireLease(String version, boolean spireReachable, String spireError);

  /** Most results in one ReportSyncResult or one poll (the backend's limit). */
  int MAX_RESULTS = 1000;

  /**
   * Results carried on a poll, reported under {@code reportId}.
   *
   * @param reportId the report's id, the same on every retry
   * @param results at most {@link #MAX_RESULTS}
   */
  record Carried(String reportId, List<SyncResult> results) {}

  /**
   * Long-polls up to {@code wait} for the site's due changes, first reporting {@code carried} (when
   * not null) in the same call; the answer's {@code report_applied} says whether the backend took
   * them (one that predates carried results ignores them).
   */
  PollEntriesResponse poll(Duration wait, Carried carried);

  /**
   * Reports results; the number that changed a stored state. Retrying with the same {@code
   * reportId} changes nothing twice.
   */
  int report(String reportId, List<SyncResult> results);

  /** Every entry the site must hold, read {@code pageSize} at a time. */
  List<SiteEntry> siteEntries(int pageSize);

  /**
   * Records a finished full reconcile and the unmanaged entries it found, as one report however
   * many messages it takes. Sending it again with the same {@code reconcileId} (after a failure)
   * lists nothing twice; a new id starts a new report.
   */
  void reportReconcile(String reconcileId, List<UnmanagedEntry> unmanaged, long driftRepaired);
}
