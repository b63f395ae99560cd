package io.spiremgmt.backend.request;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.spiremgmt.api.v1.EntryRequestUpdate;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.sync.SiteWakeups;
import io.spiremgmt.backend.sync.StreamReadiness;
import io.spiremgmt.backend.sync.SyncConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * StreamEntryRequestUpdates: follows the {@code entry_request_events} log for each subscriber,
 * woken by the {@code entry_request_events} NOTIFY on this replica's LISTEN connection and by a
 * slow timer, in (xid, id) order once every older transaction has finished (so a cursor never skips
 * an event that commits late), as fast as the client reads. A Developer's stream is filtered in the
 * query to its own requests and those of its namespaces; each update carries the request as it
 * stands when the update is sent.
 */
@ApplicationScoped
public class EntryRequestStream {
  private static final Logger LOG = Logger.getLogger(EntryRequestStream.class);
  private static final String CHANNEL = "entry_request_events";
  private static final int BATCH = 200;
  private static final long SAFETY_POLL_MS = 5000;
  private static final long HELD_BACK_RETRY_MS = 20;
  private static final Pattern CURSOR = Pattern.compile("r1:(-?[0-9]{1,19}):([0-9]{1,19})");

  /** How long the log keeps events (a cursor older than that is CURSOR_EXPIRED). */
  static final Duration RETENTION = Duration.ofDays(7);

  private final EntryRequestEventRepository log;
  private final EntryRequestService service;
  private final Vertx vertx;
  private final SiteWakeups wakeups;
  private final Set<Follower> followers = ConcurrentHashMap.newKeySet();
  private final ConcurrentMap<String, Integer> perCaller = new ConcurrentHashMap<>();
  private final int maxPerCaller;

  EntryRequestStream(
      EntryRequestEventRepository log,
      EntryRequestService service,
      Vertx vertx,
      SiteWakeups wakeups,
      MeterRegistry registry,
      SyncConfig config) {
    Gauge.builder("entry_request_update_streams", followers, Set::size)
        .description("StreamEntryRequestUpdates subscribers followed by this replica")
        .register(registry);
    this.log = log;
    this.service = service;
    this.vertx = vertx;
    this.wakeups = wakeups;
    this.maxPerCaller = config.maxStreamsPerCaller();
  }

  /** A position in the log: after the event (xid, id). */
  record Cursor(long xid, long id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(("r1:" + xid + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String text) {
      try {
        Matcher m =
            CURSOR.matcher(new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8));
        if (m.matches()) {
          return new Cursor(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        }
      } catch (IllegalArgumentException e) {
        // Falls through to the error.
      }
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "cursor",
          "is not a cursor from an EntryRequestUpdate; resume with the last update's cursor or"
              + " omit it");
    }
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
    Cursor start = cursor.isEmpty() ? null : Cursor.decode(cursor);
    return wakeups
        .listenChannel(CHANNEL, payload -> followers.forEach(Follower::wake))
        .chain(() -> start != null ? retained(start) : now())
        .onItem()
        .transformToMulti(
            from ->
                Multi.createFrom()
                    .<EntryRequestUpdate>emitter(
                        emitter -> {
                          if (!acquire(caller)) {
                            emitter.fail(
                                ApiException.of(
                                    ErrorReason.TOO_MANY_STREAMS,
                                    "the caller already has "
                                        + maxPerCaller
                                        + " StreamEntryRequestUpdates streams open (the limit,"
                                        + " spire-mgmt.sync.max-streams-per-caller); close one"
                                        + " first"));
                            return;
                          }
                          Follower f =
                              new Follower(
                                  emitter,
                                  readiness,
                                  person,
                                  scope == null ? null : scope.toArray(String[]::new),
                                  from);
                          followers.add(f);
                          long timer = vertx.setPeriodic(SAFETY_POLL_MS, t -> f.wake());
                          emitter.onTermination(
                              () -> {
                                followers.remove(f);
                                vertx.cancelTimer(timer);
                                release(caller);
                              });
                          readiness.onReady(f::wake);
                          f.wake();
                        }));
  }

  private boolean acquire(String caller) {
    boolean[] ok = {false};
    perCaller.compute(
        caller,
        (k, n) -> {
          int held = n == null ? 0 : n;
          ok[0] = held < maxPerCaller;
          return ok[0] ? held + 1 : n;
        });
    return ok[0];
  }

  private void release(String caller) {
    perCaller.computeIfPresent(caller, (k, n) -> n <= 1 ? null : n - 1);
  }

  private Uni<Cursor> retained(Cursor cursor) {
    return log.contains(cursor.xid(), cursor.id())
        .map(
            kept -> {
              if (!kept) {
                throw ApiException.field(
                    ErrorReason.CURSOR_EXPIRED,
                    "cursor",
                    "points before the retained entry request log (events are kept 7 days);"
                        + " list the requests again and stream without a cursor");
              }
              return cursor;
            });
  }

  private Uni<Cursor> now() {
    return log.oldestRunningXid().map(xmin -> new Cursor(xmin - 1, Long.MAX_VALUE));
  }

  /** Deletes events past the retention window. */
  Uni<Integer> purge() {
    return log.purgeOlderThan(RETENTION);
  }

  /** One subscriber's position and its fetch loop; fetches never overlap. */
  private final class Follower {
    private final MultiEmitter<? super EntryRequestUpdate> emitter;
    private final StreamReadiness.Readiness readiness;
    private final String person;
    private final String[] scope;
    private Cursor cursor;
    private boolean fetching;
    private boolean again;

    Follower(
        MultiEmitter<? super EntryRequestUpdate> emitter,
        StreamReadiness.Readiness readiness,
        String person,
        String[] scope,
        Cursor cursor) {
      this.emitter = emitter;
      this.readiness = readiness;
      this.person = person;
      this.scope = scope;
      this.cursor = cursor;
    }

    synchronized void wake() {
      if (emitter.isCancelled()) {
        return;
      }
      if (fetching || !readiness.isReady()) {
        again = true;
        return;
      }
      fetching = true;
      again = false;
      log.after(cursor.xid(), cursor.id(), person, scope == null ? new String[0] : scope, BATCH)
          .chain(this::withRequests)
          .subscribe()
          .with(this::deliver, this::failed);
    }

    private record Batch(
        List<EntryRequestEventRepository.Event> events,
        Map<UUID, EntryRequestService.RequestView> requests) {}

    private Uni<Batch> withRequests(List<EntryRequestEventRepository.Event> events) {
      List<UUID> ids =
          events.stream()
              .takeWhile(e -> !e.heldBack())
              .filter(EntryRequestEventRepository.Event::wanted)
              .map(EntryRequestEventRepository.Event::requestId)
              .distinct()
              .toList();
      if (ids.isEmpty()) {
        return Uni.createFrom().item(new Batch(events, Map.of()));
      }
      return SessionContexts.onOwnContext(vertx, () -> service.views(ids))
          .map(views -> new Batch(events, views));
    }

    private void deliver(Batch batch) {
      boolean heldBack = false;
      int seen = 0;
      for (EntryRequestEventRepository.Event event : batch.events()) {
        seen++;
        if (event.heldBack()) {
          heldBack = true;
          break;
        }
        EntryRequestService.RequestView r = batch.requests().get(event.requestId());
        if (event.wanted() && r != null) {
          emitter.emit(
              EntryRequestUpdate.newBuilder()
                  .setEntryRequest(EntryRequestMapper.toProto(r.request(), r.approvals(), null))
                  .setEvent(event.event())
                  .setActor(event.actor())
                  .setChangeTime(ProtoTime.toTimestamp(event.occurredAt()))
                  .setCursor(new Cursor(event.xid(), event.id()).encode())
                  .build());
        }
        cursor = new Cursor(event.xid(), event.id());
      }
      boolean more;
      synchronized (this) {
        fetching = false;
        more = again || (!heldBack && seen == BATCH);
      }
      if (more) {
        wake();
      } else if (heldBack) {
        vertx.setTimer(HELD_BACK_RETRY_MS, t -> wake());
      }
    }

    private void failed(Throwable t) {
      LOG.warnf("entry request stream fetch failed, retrying: %s", t.getMessage());
      synchronized (this) {
        fetching = false;
      }
      vertx.setTimer(1000, x -> wake());
    }
  }
}
