package io.spiremgmt.agent.backend;

import com.google.protobuf.CodedOutputStream;
import io.spiremgmt.agent.wire.ByteBudget;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.UnmanagedEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * A full reconcile's report cut into ReportReconcile requests the backend accepts: the unmanaged
 * entries (at most {@link #MAX_UNMANAGED} listed, all counted) in parts of at most {@link
 * #MAX_PART_BYTES} each. A report that fits one part is one request without a reconcile id (the
 * form every backend takes); a larger one is several requests under one reconcile id, every one but
 * the last with {@code more_parts}, which the backend assembles and records with the last part.
 */
public final class ReconcileParts {
  /**
   * Most bytes of unmanaged entries in one part: a quarter of the backend's 4 MiB inbound message
   * limit, so a part fits whatever the other fields hold. A single entry larger than this (SPIRE
   * sets no bound on an entry's selectors) still makes a part of its own.
   */
  public static final int MAX_PART_BYTES = 1024 * 1024;

  /** Most unmanaged entries listed in one report, over all its parts (the backend's limit). */
  public static final int MAX_UNMANAGED = 10_000;

  private ReconcileParts() {}

  /**
   * The requests that report {@code unmanaged} and {@code driftRepaired} for reconcile {@code
   * reconcileId} at {@code siteId} as agent {@code agentId}, in the order to send them.
   */
  public static List<ReportReconcileRequest> requests(
      String siteId,
      String agentId,
      String reconcileId,
      List<UnmanagedEntry> unmanaged,
      long driftRepaired) {
    List<List<UnmanagedEntry>> parts =
        split(unmanaged.subList(0, Math.min(unmanaged.size(), MAX_UNMANAGED)), MAX_PART_BYTES);
    List<ReportReconcileRequest> requests = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      ReportReconcileRequest.Builder request =
          ReportReconcileRequest.newBuilder()
              .setSiteId(siteId)
              .setAgentId(agentId)
              .setUnmanagedCount(unmanaged.size())
              .addAllUnmanagedEntries(parts.get(i))
              .setDriftRepaired(driftRepaired);
      if (parts.size() > 1) {
        request.setReconcileId(reconcileId).setMoreParts(i < parts.size() - 1);
      }
      requests.add(request.build());
    }
    return requests;
  }

  /**
   * {@code entries} in order, cut into parts of at most {@code budget} bytes of serialized entries
   * (as they are encoded in the request) and at least one entry each; one empty part when there are
   * none.
   */
  static List<List<UnmanagedEntry>> split(List<UnmanagedEntry> entries, int budget) {
    List<List<UnmanagedEntry>> parts =
        ByteBudget.split(
            entries,
            e ->
                CodedOutputStream.computeMessageSize(
                    ReportReconcileRequest.UNMANAGED_ENTRIES_FIELD_NUMBER, e),
            budget,
            Integer.MAX_VALUE);
    return parts.isEmpty() ? List.of(List.of()) : parts;
  }
}
