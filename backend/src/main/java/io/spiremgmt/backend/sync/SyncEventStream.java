package io.spiremgmt.backend.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * StreamSyncUpdates: follows the {@code sync_events} log (see the V5 migration) for each subscriber
 * through an {@link EventLogTail} (woken by the {@code sync_events} NOTIFY, gap-free cursors, flow
 * control, per-caller limit of {@code spire-mgmt.sync.max-streams-per-caller}), selecting the
 * subscriber's sites, entries and, for a Developer, namespaces in the fetch.
 */
@ApplicationScoped
public class SyncEventStream {
  private static final int BATCH = 500;

  private final SyncEventRepository log;
  private final EventLogTail<SyncUpdate> tail;
  private final Counter read;

  SyncEventStream(
      SyncEventRepository log,
      Vertx vertx,
      SiteWakeups wakeups,
      MeterRegistry registry,
      SyncConfig config) {
    this.log = log;
    this.tail =
        new EventLogTail<>(
            new EventLogTail.Names(
                "StreamSyncUpdates",
                "SyncUpdate",
                "spire-mgmt.sync.max-streams-per-caller",
                "points before the retained sync event log (events are kept for"
                    + " spire-mgmt.sync.event-retention), so changes after it may be lost;"
                    + " read the current state with GetSyncStatus and stream again without a"
                    + " cursor"),
            "e2",
            "e1",
            "sync_events",
            BATCH,
            config.maxStreamsPerCaller(),
            log.queries(),
            vertx,
            wakeups);
    Gauge.builder("sync_update_streams", tail, EventLogTail::live)
        .description("StreamSyncUpdates subscribers followed by this replica")
        .register(registry);
    this.read =
        Counter.builder("sync_update_events_read")
            .description("Rows StreamSyncUpdates streams read from the sync event log")
            .register(registry);
  }

  /**
   * The updates for the given sites and entries (empty: all) that {@code access} reaches (a
   * Developer: entries of its namespaces), after {@code cursor} (or now), for {@code caller},
   * fetched as fast as {@code readiness} says the client reads.
   */
  public Multi<SyncUpdate> follow(
      String caller,
      Access access,
      StreamReadiness.Readiness readiness,
      List<UUID> sites,
      List<UUID> entries,
      String cursor) {
    // A Developer sees only events of entries in its namespaces (recorded on each event when it
    // was written, V11), filtered in the fetch; its cursor still advances past every row scanned.
    String[] namespaces =
        access.kind() == Access.Kind.NAMESPACES ? access.namespaces().toArray(String[]::new) : null;
    UUID[] siteIds = sites.toArray(UUID[]::new);
    UUID[] entryIds = entries.toArray(UUID[]::new);
    return tail.follow(
        caller,
        readiness,
        cursor,
        (after, limit) ->
            log.after(after.id(), siteIds, entryIds, namespaces, limit)
                .invoke(events -> read.increment(events.size()))
                .map(
                    events ->
                        events.stream()
                            .map(
                                e ->
                                    new EventLogTail.Row<SyncUpdate>(
                                        new EventLogTail.Position(e.id()),
                                        e.heldBack(),
                                        e.wanted() ? c -> toUpdate(e, c) : null))
                            .toList()));
  }

  private static SyncUpdate toUpdate(SyncEventRepository.Event e, String cursor) {
    return SyncUpdate.newBuilder()
        .setEntryId(e.entryId().toString())
        .setSiteId(e.siteId().toString())
        .setSyncState(state(e.syncState()))
        .setRevision(e.revision())
        .setLastError(e.lastError() == null ? "" : e.lastError())
        .setChangeTime(ProtoTime.toTimestamp(e.occurredAt()))
        .setCursor(cursor)
        .build();
  }

  private static SyncState state(String s) {
    return switch (s) {
      case "PENDING" -> SyncState.SYNC_STATE_PENDING;
      case "SYNCED" -> SyncState.SYNC_STATE_SYNCED;
      case "FAILED" -> SyncState.SYNC_STATE_FAILED;
      case "DELETING" -> SyncState.SYNC_STATE_DELETING;
      case "REMOVED" -> SyncState.SYNC_STATE_REMOVED;
      default -> SyncState.SYNC_STATE_UNSPECIFIED;
    };
  }
}
