package io.spiremgmt.backend.request;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.EntryRequestUpdate;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.sync.EventLogTail;
import io.spiremgmt.backend.sync.SiteWakeups;
import io.spiremgmt.backend.sync.StreamReadiness;
import io.spiremgmt.backend.sync.SyncConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * StreamEntryRequestUpdates: follows the {@code entry_request_events} log (V10) for each subscriber
 * through an {@link EventLogTail} (woken by the {@code entry_request_events} NOTIFY, gap-free
 * cursors, flow control, the per-caller limit of {@code spire-mgmt.sync.max-streams-per-caller}). A
 * Developer's rows are selected in the fetch: its own requests and those of its namespaces. Each
 * update carries the request as it stands when the update is sent.
 */
@ApplicationScoped
public class EntryRequestStream {
  private static final int BATCH = 200;

  /** How long the log keeps events (a cursor older than that is CURSOR_EXPIRED). */
  static final Duration RETENTION = Duration.ofDays(7);

  private final EntryRequestEventRepository log;
  private final EntryRequestService service;
  private final Vertx vertx;
  private final EventLogTail<EntryRequestUpdate> tail;

  EntryRequestStream(
      EntryRequestEventRepository log,
      EntryRequestService service,
      Vertx vertx,
      SiteWakeups wakeups,
      MeterRegistry registry,
      SyncConfig config) {
    this.log = log;
    this.service = service;
    this.vertx = vertx;
    this.tail =
        new EventLogTail<>(
            new EventLogTail.Names(
                "StreamEntryRequestUpdates",
                "EntryRequestUpdate",
                "spire-mgmt.sync.max-streams-per-caller",
                "points before the retained entry request log (events are kept 7 days); list"
                    + " the requests again and stream without a cursor"),
            "r2",
            "r1",
            "entry_request_events",
            BATCH,
            config.maxStreamsPerCaller(),
            log.queries(),
            vertx,
            wakeups);
    Gauge.builder("entry_request_update_streams", tail, EventLogTail::live)
        .description("StreamEntryRequestUpdates subscribers followed by this replica")
        .register(registry);
  }

  /**
   * The updates a subscriber may see, after {@code cursor} (or from now).
   *
   * @param caller the caller's key for the per-caller stream limit
   * @param person the caller as a person, or null when it sees every request
   * @param scope a Developer's namespaces (with {@code person})
   */
  public Multi<EntryRequestUpdate> follow(
      String caller,
      String person,
      Set<String> scope,
      StreamReadiness.Readiness readiness,
      String cursor) {
    String[] namespaces = scope == null ? new String[0] : scope.toArray(String[]::new);
    return tail.follow(
        caller,
        readiness,
        cursor,
        (after, limit) -> log.after(after.id(), person, namespaces, limit).chain(this::rows));
  }

  /** The fetched events as rows, with the requests of those the subscriber is sent. */
  private Uni<List<EventLogTail.Row<EntryRequestUpdate>>> rows(
      List<EntryRequestEventRepository.Event> events) {
    List<UUID> ids =
        events.stream()
            .takeWhile(e -> !e.heldBack())
            .filter(EntryRequestEventRepository.Event::wanted)
            .map(EntryRequestEventRepository.Event::requestId)
            .distinct()
            .toList();
    Uni<Map<UUID, EntryRequestService.RequestView>> views =
        ids.isEmpty()
            ? Uni.createFrom().item(Map.of())
            : SessionContexts.onOwnContext(vertx, () -> service.views(ids));
    return views.map(
        byId ->
            events.stream()
                .map(
                    e -> {
                      EntryRequestService.RequestView r = byId.get(e.requestId());
                      return new EventLogTail.Row<EntryRequestUpdate>(
                          new EventLogTail.Position(e.id()),
                          e.heldBack(),
                          e.wanted() && r != null ? cursor -> toUpdate(e, r, cursor) : null);
                    })
                .toList());
  }

  private static EntryRequestUpdate toUpdate(
      EntryRequestEventRepository.Event e, EntryRequestService.RequestView r, String cursor) {
    return EntryRequestUpdate.newBuilder()
        .setEntryRequest(EntryRequestMapper.toProto(r.request(), r.approvals(), null))
        .setEvent(e.event())
        .setActor(e.actor())
        .setChangeTime(ProtoTime.toTimestamp(e.occurredAt()))
        .setCursor(cursor)
        .build();
  }

  /** Deletes events past the retention window. */
  Uni<Integer> purge() {
    return log.purgeOlderThan(RETENTION);
  }
}
