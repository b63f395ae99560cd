package io.spiremgmt.agent.run;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiremgmt.agent.backend.SyncBackend;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.PollEntriesResponse;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The backend's SyncService in memory: it serves the desired entries and the changes a test queues
 * for the next polls, records every call, and can be down (every call fails UNAVAILABLE) or refuse
 * the next reports (made on their own or carried on a poll). A long poll with nothing queued
 * returns at once; tests move time themselves.
 */
final class FakeBackend implements SyncBackend {
  /** One report: a ReportSyncResult call, or results carried on a poll. */
  record Report(String reportId, List<SyncResult> results) {}

  /** One AcquireLease call. */
  record LeaseCall(String version, boolean spireReachable, String spireError) {}

  private final Deque<List<EntryChange>> queuedChanges = new ArrayDeque<>();
  private final Deque<Lease> leaseAnswers = new ArrayDeque<>();
  private final List<Duration> pollWaits = new ArrayList<>();
  private final List<Report> reportCalls = new ArrayList<>();
  private final List<Report> reports = new ArrayList<>();
  private final List<List<UnmanagedEntry>> reconcileReports = new ArrayList<>();
  private final List<String> reconcileReportIds = new ArrayList<>();
  private final List<LeaseCall> leaseCalls = new ArrayList<>();
  private final List<String> carriedOnPolls = new ArrayList<>();
  private final List<String> separate = new ArrayList<>();
  private boolean ignoresCarried;
  private List<SiteEntry> desired = List.of();
  private boolean down;
  private int reportsToRefuse;
  private int reconcileReportsToRefuse;
  private int reconcileReportCalls;
  private Runnable whilePolling = () -> {};
  private Runnable whileReporting = () -> {};
  private Runnable whileLeasing = () -> {};

  synchronized void desired(List<SiteEntry> entries) {
    desired = List.copyOf(entries);
  }

  /** Queues the changes the next poll returns. */
  synchronized void queue(EntryChange... changes) {
    queuedChanges.add(List.of(changes));
  }

  /** Queues the answer to the next AcquireLease. */
  synchronized void answerLease(Lease lease) {
    leaseAnswers.add(lease);
  }

  synchronized void down(boolean down) {
    this.down = down;
  }

  /** Refuses the next {@code count} reports with UNAVAILABLE. */
  synchronized void refuseReports(int count) {
    reportsToRefuse = count;
  }

  /** Refuses the next {@code count} reconcile reports with RESOURCE_EXHAUSTED (too large). */
  synchronized void refuseReconcileReports(int count) {
    reconcileReportsToRefuse = count;
  }

  /** Every reconcile report attempt, taken or refused. */
  synchronized int reconcileReportCalls() {
    return reconcileReportCalls;
  }

  /** The reconcile id of every reconcile report attempt, taken or refused, in order. */
  synchronized List<String> reconcileReportIds() {
    return List.copyOf(reconcileReportIds);
  }

  /** Runs {@code action} during each poll, before it returns. */
  synchronized void whilePolling(Runnable action) {
    whilePolling = action;
  }

  /** Runs {@code action} during each report, before it is taken or refused. */
  synchronized void whileReporting(Runnable action) {
    whileReporting = action;
  }

  /** Runs {@code action} during each AcquireLease, before it answers. */
  synchronized void whileLeasing(Runnable action) {
    whileLeasing = action;
  }

  /** Ignores the results carried on polls and never says it applied them, as an older backend. */
  synchronized void ignoreCarried() {
    ignoresCarried = true;
  }

  /** The report id of each report attempt carried on a poll, in order. */
  synchronized List<String> carriedOnPolls() {
    return List.copyOf(carriedOnPolls);
  }

  /** The report id of each ReportSyncResult attempt, in order. */
  synchronized List<String> separateReports() {
    return List.copyOf(separate);
  }

  synchronized List<Duration> pollWaits() {
    return List.copyOf(pollWaits);
  }

  /** Every report attempt, taken or refused. */
  synchronized List<Report> reportCalls() {
    return List.copyOf(reportCalls);
  }

  /** The reports the backend took. */
  synchronized List<Report> reports() {
    return List.copyOf(reports);
  }

  /** Every result the backend took, in order. */
  synchronized List<SyncResult> results() {
    return reports.stream().flatMap(r -> r.results().stream()).toList();
  }

  synchronized List<List<UnmanagedEntry>> reconcileReports() {
    return List.copyOf(reconcileReports);
  }

  synchronized List<LeaseCall> leaseCalls() {
    return List.copyOf(leaseCalls);
  }

  @Override
  public String agentId() {
    return "agent-a";
  }

  @Override
  public synchronized Lease acquireLease(
      String version, boolean spireReachable, String spireError) {
    leaseCalls.add(new LeaseCall(version, spireReachable, spireError));
    whileLeasing.run();
    failIfDown();
    return leaseAnswers.remove();
  }

  @Override
  public synchronized PollEntriesResponse poll(Duration wait, Carried carried) {
    if (carried != null && !ignoresCarried) {
      // Applied first, as the backend does: a refused report fails the poll.
      take(new Report(carried.reportId(), List.copyOf(carried.results())), true);
    }
    failIfDown();
    pollWaits.add(wait);
    List<EntryChange> changes = queuedChanges.isEmpty() ? List.of() : queuedChanges.remove();
    whilePolling.run();
    return PollEntriesResponse.newBuilder()
        .addAllChanges(changes)
        .setReportApplied(carried != null && !ignoresCarried)
        .build();
  }

  @Override
  public synchronized int report(String reportId, List<SyncResult> results) {
    take(new Report(reportId, List.copyOf(results)), false);
    return results.size();
  }

  private void take(Report report, boolean onPoll) {
    reportCalls.add(report);
    (onPoll ? carriedOnPolls : separate).add(report.reportId());
    whileReporting.run();
    failIfDown();
    if (reportsToRefuse > 0) {
      reportsToRefuse--;
      throw new StatusRuntimeException(Status.UNAVAILABLE);
    }
    reports.add(report);
  }

  @Override
  public synchronized List<SiteEntry> siteEntries(int pageSize) {
    failIfDown();
    return desired;
  }

  @Override
  public synchronized void reportReconcile(
      String reconcileId, List<UnmanagedEntry> unmanaged, long driftRepaired) {
    reconcileReportCalls++;
    reconcileReportIds.add(reconcileId);
    failIfDown();
    if (reconcileReportsToRefuse > 0) {
      reconcileReportsToRefuse--;
      throw new StatusRuntimeException(Status.RESOURCE_EXHAUSTED);
    }
    reconcileReports.add(List.copyOf(unmanaged));
  }

  private void failIfDown() {
    if (down) {
      throw new StatusRuntimeException(Status.UNAVAILABLE.withDescription("backend is down"));
    }
  }
}
