package io.spiremgmt.backend.sync;

import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.ListSiteEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.sync.lease.LeaseService;
import io.spiremgmt.backend.sync.lease.Unmanaged;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.Text;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Checks and translates the SyncService requests into what the sync services take. Pure: nothing is
 * read or written, and a bad request fails with INVALID_ARGUMENT naming the field at fault before
 * any service is called.
 */
public final class SyncRequestValidator {
  /** Longest wait a poll may ask for; a longer one is lowered to it. */
  public static final Duration MAX_WAIT = Duration.ofSeconds(60);

  /** Most results in one report. */
  public static final int MAX_RESULTS = 1000;

  /** Longest error text an agent may report. */
  public static final int MAX_ERROR = 4096;

  /**
   * Most unmanaged entries one reconcile report lists: in one message, and over all the parts of a
   * report sent in parts.
   */
  public static final int MAX_UNMANAGED = 10_000;

  /** Longest reconcile id of a report sent in parts. */
  public static final int MAX_RECONCILE_ID = 128;

  private static final Pattern RECONCILE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** Most ids in a TriggerSync, GetSyncStatus or StreamSyncUpdates filter. */
  public static final int MAX_IDS = 1000;

  private static final Pattern REASON = Pattern.compile("[A-Z_]{1,32}");

  /**
   * The failure reasons kept as they are (the ones the site agent sends, plus ENTRY_TOO_LARGE for
   * an entry SPIRE cannot take). Any other well-formed reason becomes {@link #OTHER_REASON}, and an
   * empty one {@link #UNKNOWN_REASON}: the reason is a metric label, so its values must stay few
   * whatever an agent sends. Mapping, not refusing, keeps a newer agent's FAILED results recorded
   * (a refusal would fail its whole report); the error text keeps the detail.
   */
  public static final Set<String> KNOWN_REASONS =
      Set.of("SPIRE_UNAVAILABLE", "SPIRE_REJECTED", "CONFLICT", "ENTRY_TOO_LARGE");

  /** The reason recorded for a well-formed reason outside {@link #KNOWN_REASONS}. */
  public static final String OTHER_REASON = "OTHER";

  /** The reason recorded when the agent sent none. */
  public static final String UNKNOWN_REASON = "UNKNOWN";

  private SyncRequestValidator() {}

  /**
   * A checked poll.
   *
   * @param siteId the site
   * @param agentId the polling agent
   * @param waitFor how long to wait for work, at most {@link #MAX_WAIT}
   * @param report the results of the agent's previous pass it carries, checked as a report is; null
   *     when it carries none
   */
  public record Poll(
      UUID siteId, String agentId, Duration waitFor, SyncReportService.Report report) {}

  /**
   * A poll: the site, the agent, the wait (lowered to {@link #MAX_WAIT}) and the results it
   * carries, checked as {@link #report} checks them (a report id is required with them).
   */
  public static Poll poll(PollEntriesRequest r) {
    Duration wait = Duration.ZERO;
    if (r.hasWait()) {
      if (r.getWait().getSeconds() < 0 || r.getWait().getNanos() < 0) {
        throw ApiException.field(ErrorReason.INVALID_FIELD, "wait", "must not be negative");
      }
      wait =
          r.getWait().getSeconds() >= MAX_WAIT.getSeconds()
              ? MAX_WAIT
              : Duration.ofSeconds(r.getWait().getSeconds(), r.getWait().getNanos());
    }
    UUID site = Ids.parse(r.getSiteId(), "site_id");
    String agent = agentId(r.getAgentId());
    SyncReportService.Report report =
        r.getResultsCount() == 0
            ? null
            : report(site, agent, r.getResultsList(), r.getReportId(), "report_id");
    return new Poll(site, agent, wait, report);
  }

  /** A report of sync results, at most {@link #MAX_RESULTS}, each checked. */
  public static SyncReportService.Report report(ReportSyncResultRequest r) {
    return report(
        Ids.parse(r.getSiteId(), "site_id"),
        agentId(r.getAgentId()),
        r.getResultsList(),
        r.getRequestId(),
        "request_id");
  }

  private static SyncReportService.Report report(
      UUID site, String agent, List<SyncResult> given, String requestId, String requestIdField) {
    if (given.size() > MAX_RESULTS) {
      throw ApiException.field(
          ErrorReason.BATCH_TOO_LARGE,
          "results",
          "a report holds at most "
              + MAX_RESULTS
              + " results (got "
              + given.size()
              + "); split it");
    }
    List<SyncReport> results = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      results.add(result(given.get(i), "results[" + i + "]"));
    }
    return new SyncReportService.Report(
        site, agent, results, Ids.requestId(requestId, requestIdField));
  }

  private static SyncReport result(SyncResult r, String at) {
    if (r.getRevision() <= 0) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, at + ".revision", "the applied revision is required");
    }
    SyncReport.Outcome outcome =
        switch (r.getOutcome()) {
          case SYNC_OUTCOME_SYNCED -> SyncReport.Outcome.SYNCED;
          case SYNC_OUTCOME_FAILED -> SyncReport.Outcome.FAILED;
          case SYNC_OUTCOME_DELETED -> SyncReport.Outcome.DELETED;
          case SYNC_OUTCOME_UNSPECIFIED, UNRECOGNIZED ->
              throw ApiException.field(
                  ErrorReason.MISSING_FIELD,
                  at + ".outcome",
                  "SYNCED, FAILED or DELETED is required");
        };
    if (outcome == SyncReport.Outcome.SYNCED && r.getSpireEntryId().isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD,
          at + ".spire_entry_id",
          "a SYNCED result names the SPIRE entry id");
    }
    Text.check(r.getSpireEntryId(), at + ".spire_entry_id", 255);
    checkError(r.getError(), at + ".error");
    if (!r.getReason().isEmpty() && !REASON.matcher(r.getReason()).matches()) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, at + ".reason", "1 to 32 of [A-Z_], e.g. SPIRE_UNAVAILABLE");
    }
    return new SyncReport(
        Ids.parse(r.getEntryId(), at + ".entry_id"),
        r.getRevision(),
        outcome,
        r.getSpireEntryId(),
        r.getError().isEmpty() ? "failed (no detail reported)" : r.getError(),
        reason(r.getReason()));
  }

  /**
   * A checked request for a page of a site's desired state.
   *
   * @param siteId the site
   * @param pageSize entries per page ({@link SyncPollService#DEFAULT_SITE_PAGE} when not given)
   * @param pageToken the previous page's token, or empty
   */
  public record SitePage(UUID siteId, int pageSize, String pageToken) {}

  /** A desired-state page request: the site, the agent (required), the page. */
  public static SitePage sitePage(ListSiteEntriesRequest r) {
    UUID site = Ids.parse(r.getSiteId(), "site_id");
    agentId(r.getAgentId());
    int size =
        PageSize.of(r.getPageSize() == 0 ? SyncPollService.DEFAULT_SITE_PAGE : r.getPageSize());
    return new SitePage(site, size, r.getPageToken());
  }

  /** A lease request: the site, the agent, its version and its view of SPIRE. */
  public static LeaseService.Request lease(AcquireLeaseRequest r) {
    UUID site = Ids.parse(r.getSiteId(), "site_id");
    String agent = agentId(r.getAgentId());
    String version = Text.check(r.getAgentVersion(), "agent_version", 64);
    checkError(r.getSpireError(), "spire_error");
    return new LeaseService.Request(site, agent, version, r.getSpireReachable(), r.getSpireError());
  }

  /**
   * A reconcile report, or a part of one: counts not negative, at most {@link #MAX_UNMANAGED}
   * entries listed, a well-formed reconcile id (required when more parts follow).
   */
  public static LeaseService.Reconcile reconcile(ReportReconcileRequest r) {
    UUID site = Ids.parse(r.getSiteId(), "site_id");
    String agent = agentId(r.getAgentId());
    String reconcileId = r.getReconcileId();
    if (reconcileId.isEmpty()) {
      if (r.getMoreParts()) {
        throw ApiException.field(
            ErrorReason.MISSING_FIELD,
            "reconcile_id",
            "a report sent in parts names its reconcile on every part");
      }
    } else if (!RECONCILE_ID.matcher(reconcileId).matches()) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "reconcile_id",
          "'"
              + Ids.clip(reconcileId)
              + "' is not 1 to "
              + MAX_RECONCILE_ID
              + " of [A-Za-z0-9._-] starting with a letter or digit (a UUID will do)");
    }
    if (r.getUnmanagedEntriesCount() > MAX_UNMANAGED) {
      throw ApiException.field(
          ErrorReason.BATCH_TOO_LARGE,
          "unmanaged_entries",
          "list at most " + MAX_UNMANAGED + " entries; count the rest");
    }
    if (r.getUnmanagedCount() < r.getUnmanagedEntriesCount() || r.getDriftRepaired() < 0) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "unmanaged_count",
          "must count at least the listed entries, and counts are not negative");
    }
    List<Unmanaged> unmanaged = new ArrayList<>();
    for (int i = 0; i < r.getUnmanagedEntriesCount(); i++) {
      UnmanagedEntry u = r.getUnmanagedEntries(i);
      String at = "unmanaged_entries[" + i + "]";
      if (u.getSpireEntryId().isEmpty()) {
        throw ApiException.field(
            ErrorReason.MISSING_FIELD, at + ".spire_entry_id", "the SPIRE id is required");
      }
      for (int j = 0; j < u.getSelectorsCount(); j++) {
        Text.check(u.getSelectors(j), at + ".selectors[" + j + "]", 2048);
      }
      unmanaged.add(
          new Unmanaged(
              Text.check(u.getSpireEntryId(), at + ".spire_entry_id", 255),
              Text.check(u.getSpiffeId(), at + ".spiffe_id", 2048),
              Text.check(u.getParentId(), at + ".parent_id", 2048),
              List.copyOf(u.getSelectorsList())));
    }
    return new LeaseService.Reconcile(
        site,
        agent,
        reconcileId.isEmpty() ? null : reconcileId,
        !r.getMoreParts(),
        r.getUnmanagedCount(),
        unmanaged);
  }

  /** The sites TriggerSync wakes: at least one is required. */
  public static List<UUID> triggerSites(List<String> values) {
    if (values.isEmpty()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, "site_ids", "name the sites to wake");
    }
    return ids(values, "site_ids");
  }

  /** A list of ids, at most {@link #MAX_IDS}, each a UUID. */
  public static List<UUID> ids(List<String> values, String field) {
    if (values.size() > MAX_IDS) {
      throw ApiException.field(ErrorReason.BATCH_TOO_LARGE, field, "at most " + MAX_IDS + " ids");
    }
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      ids.add(Ids.parse(values.get(i), field + "[" + i + "]"));
    }
    return ids;
  }

  /** The agent instance id: required, at most 128 characters. */
  public static String agentId(String value) {
    if (value.isEmpty()) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "agent_id", "the agent instance id is required");
    }
    return Text.check(value, "agent_id", 128);
  }

  private static String reason(String reason) {
    if (reason.isEmpty()) {
      return UNKNOWN_REASON;
    }
    return KNOWN_REASONS.contains(reason) ? reason : OTHER_REASON;
  }

  private static void checkError(String error, String field) {
    if (error.length() > MAX_ERROR || error.indexOf(0) >= 0) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, field, "at most " + MAX_ERROR + " characters and no NUL");
    }
  }
}
