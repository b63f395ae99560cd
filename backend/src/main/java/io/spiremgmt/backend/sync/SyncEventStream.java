package io.spiremgmt.backend.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.SyncUpdate;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * StreamSyncUpdates: follows the {@code sync_events} log (see the V5 migration) for each
 * subscriber, woken by the {@code sync_events} NOTIFY on this replica's LISTEN connection and by a
 * slow timer (a notification lost while that connection reconnects is made up for). Events are
 * delivered in (xid, id) order once every older transaction has finished, which is what makes a
 * cursor gap-free.
 *
 * <p>Bounded: a stream fetches its next batch only while its gRPC transport takes more ({@link
 * StreamReadiness}), so a client that does not read costs at most one batch of memory; a stream
 * advances its cursor past every row it scanned, not only the rows its filter selected; a cursor
 * whose event was purged is refused; each caller holds at most {@code
 * spire-mgmt.sync.max-streams-per-caller} streams at once.
 */
@ApplicationScoped
public class SyncEventStream {
  private static final Logger LOG = Logger.getLogger(SyncEventStream.class);
  private static final String CHANNEL = "sync_events";
  private static final int BATCH = 500;
  private static final long SAFETY_POLL_MS = 5000;
  private static final long HELD_BACK_RETRY_MS = 20;
  private static final Pattern CURSOR = Pattern.compile("e1:(-?[0-9]{1,19}):([0-9]{1,19})");

  private final SyncEventRepository log;
  private final Vertx vertx;
  private final SiteWakeups wakeups;
  private final Set<Follower> followers = ConcurrentHashMap.newKeySet();
  private final ConcurrentMap<String, Integer> perCaller = new ConcurrentHashMap<>();
  private final int maxPerCaller;
  private final Counter read;

  SyncEventStream(
      SyncEventRepository log,
      Vertx vertx,
      SiteWakeups wakeups,
      MeterRegistry registry,
      SyncConfig config) {
    Gauge.builder("sync_update_streams", followers, Set::size)
        .description("StreamSyncUpdates subscribers followed by this replica")
        .register(registry);
    this.read =
        Counter.builder("sync_update_events_read")
            .description("Rows StreamSyncUpdates streams read from the sync event log")
            .register(registry);
    this.log = log;
    this.vertx = vertx;
    this.wakeups = wakeups;
    this.maxPerCaller = config.maxStreamsPerCaller();
  }

  /** A position in the event log: after the event (xid, id). */
  record Cursor(long xid, long id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(("e1:" + xid + ":" + id).getBytes(StandardCharsets.UTF_8));
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
          "is not a cursor from a SyncUpdate; resume with the last update's cursor or omit it");
    }
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
    Cursor start = cursor.isEmpty() ? null : Cursor.decode(cursor);
    return wakeups
        .listenChannel(CHANNEL, this::wakeAll)
        .chain(() -> start != null ? retained(start) : now())
        .onItem()
        .transformToMulti(
            from ->
                Multi.createFrom()
                    .<SyncUpdate>emitter(
                        emitter -> {
                          if (!acquire(caller)) {
                            emitter.fail(
                                ApiException.of(
                                    ErrorReason.TOO_MANY_STREAMS,
                                    "the caller already has "
                                        + maxPerCaller
                                        + " StreamSyncUpdates streams open (the limit,"
                                        + " spire-mgmt.sync.max-streams-per-caller); close one"
                                        + " first, or follow several sites and entries in one"
                                        + " stream"));
                            return;
                          }
                          Follower f =
                              new Follower(emitter, readiness, sites, entries, namespaces, from);
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

  /** {@code cursor} if its event is still in the log; else the events after it were purged. */
  private Uni<Cursor> retained(Cursor cursor) {
    return log.contains(cursor.xid(), cursor.id())
        .map(
            kept -> {
              if (!kept) {
                throw ApiException.field(
                    ErrorReason.CURSOR_EXPIRED,
                    "cursor",
                    "points before the retained sync event log (events are kept for"
                        + " spire-mgmt.sync.event-retention), so changes after it may be lost;"
                        + " read the current state with GetSyncStatus and stream again without a"
                        + " cursor");
              }
              return cursor;
            });
  }

  private Uni<Cursor> now() {
    // Everything from a transaction still running (or yet to start) is in the future.
    return log.oldestRunningXid().map(xmin -> new Cursor(xmin - 1, Long.MAX_VALUE));
  }

  private void wakeAll(String payload) {
    followers.forEach(Follower::wake);
  }

  /** One subscriber's position and its fetch loop; fetches never overlap. */
  private final class Follower {
    private final MultiEmitter<? super SyncUpdate> emitter;
    private final StreamReadiness.Readiness readiness;
    private final UUID[] sites;
    private final UUID[] entries;
    private final String[] namespaces;
    private Cursor cursor;
    private boolean fetching;
    private boolean again;

    Follower(
        MultiEmitter<? super SyncUpdate> emitter,
        StreamReadiness.Readiness readiness,
        List<UUID> sites,
        List<UUID> entries,
        String[] namespaces,
        Cursor cursor) {
      this.emitter = emitter;
      this.namespaces = namespaces;
      this.readiness = readiness;
      this.sites = sites.toArray(UUID[]::new);
      this.entries = entries.toArray(UUID[]::new);
      this.cursor = cursor;
    }

    synchronized void wake() {
      if (emitter.isCancelled()) {
        return;
      }
      if (fetching || !readiness.isReady()) {
        // After this fetch, or once the client has read enough (onReady wakes us).
        again = true;
        return;
      }
      fetching = true;
      again = false;
      log.after(cursor.xid(), cursor.id(), sites, entries, namespaces, BATCH)
          .subscribe()
          .with(this::deliver, this::failed);
    }

    private void deliver(List<SyncEventRepository.Event> events) {
      boolean heldBack = false;
      int seen = 0;
      read.increment(events.size());
      for (SyncEventRepository.Event event : events) {
        seen++;
        if (event.heldBack()) {
          heldBack = true;
          break;
        }
        if (event.wanted()) {
          emitter.emit(toUpdate(event));
        }
        // Past every row scanned, wanted or not: a filter that rarely matches never rescans.
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
        // An older transaction is still running: look again shortly.
        vertx.setTimer(HELD_BACK_RETRY_MS, t -> wake());
      }
    }

    private void failed(Throwable t) {
      LOG.warnf("sync event stream fetch failed, retrying: %s", t.getMessage());
      synchronized (this) {
        fetching = false;
      }
      vertx.setTimer(1000, x -> wake());
    }

    private SyncUpdate toUpdate(SyncEventRepository.Event e) {
      return SyncUpdate.newBuilder()
          .setEntryId(e.entryId().toString())
          .setSiteId(e.siteId().toString())
          .setSyncState(state(e.syncState()))
          .setRevision(e.revision())
          .setLastError(e.lastError() == null ? "" : e.lastError())
          .setChangeTime(ProtoTime.toTimestamp(e.occurredAt()))
          .setCursor(new Cursor(e.xid(), e.id()).encode())
          .build();
    }
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
