package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Follows an append-only event log (rows with an increasing identity {@code id}) for each
 * subscriber of a stream, woken by the log's NOTIFY on this replica's LISTEN connection and by a
 * slow timer (a notification lost while that connection reconnects is made up for). Rows are
 * delivered in id order up to the log's horizon: the highest id below which every transaction that
 * wrote to the log has ended (migration V12), which is what makes a cursor gap-free without waiting
 * for transactions that write no events. StreamSyncUpdates and StreamEntryRequestUpdates are two
 * such streams.
 *
 * <p>Bounded: a subscriber fetches its next batch only while its gRPC transport takes more ({@link
 * StreamReadiness}), so a client that does not read costs at most one batch of memory; it advances
 * its cursor past every row scanned, not only the rows it was sent; a cursor whose row was purged
 * is refused; each caller holds at most a set number of the stream's subscriptions at once.
 *
 * @param <U> the stream's update message
 */
public final class EventLogTail<U> {
  private static final Logger LOG = Logger.getLogger(EventLogTail.class);
  private static final long SAFETY_POLL_MS = 5000;
  private static final long HELD_BACK_RETRY_MS = 20;

  /** A position in the log: after the row {@code id}. */
  public record Position(long id) {}

  /**
   * One row fetched for a subscriber.
   *
   * @param at its position
   * @param heldBack whether it lies above the horizon, where a running transaction may still add
   *     rows before it (then it and every later row of the batch wait)
   * @param update the update to send, given the row's cursor; null when the subscriber is not sent
   *     this row
   */
  public record Row<U>(Position at, boolean heldBack, Function<String, U> update) {}

  /** How a subscriber reads the log: the next rows after a position, at most {@code limit}. */
  @FunctionalInterface
  public interface Fetch<U> {
    /**
     * The next rows after {@code after}, in id order, those above the log's horizon marked held
     * back: the horizon read first, the rows by a later statement (whose snapshot sees every row at
     * or below it).
     */
    Uni<List<Row<U>>> after(Position after, int limit);
  }

  /** What the log answers besides rows. */
  public interface Log {
    /**
     * The highest id at or below which every transaction that wrote to the log has ended: a query
     * started after this answer sees each such row or never will.
     */
    Uni<Long> horizon();

    /** Whether the row {@code id} is still in the log (not purged). */
    Uni<Boolean> contains(long id);

    /**
     * Where a cursor of the former (xid, id) order resumes in id order: just before the first row
     * it had not been sent, so it may repeat rows but skips none; null when its row was purged.
     */
    Uni<Long> resumeFormer(long xid, long id);
  }

  /**
   * How a stream describes itself in its errors.
   *
   * @param rpc the RPC's name, e.g. {@code StreamSyncUpdates}
   * @param updateMessage the update message's name, e.g. {@code SyncUpdate}
   * @param limitSetting the setting that caps a caller's streams
   * @param expiredAdvice what to do when a cursor's row was purged
   */
  public record Names(
      String rpc, String updateMessage, String limitSetting, String expiredAdvice) {}

  private final Names names;
  private final String cursorTag;
  private final Pattern cursorPattern;
  private final Pattern formerCursorPattern;
  private final String channel;
  private final int batch;
  private final int maxPerCaller;
  private final Log log;
  private final Vertx vertx;
  private final SiteWakeups wakeups;
  private final Set<Follower> followers = ConcurrentHashMap.newKeySet();
  private final ConcurrentMap<String, Integer> perCaller = new ConcurrentHashMap<>();

  /**
   * A tail of the log behind NOTIFY channel {@code channel}, whose cursors start with {@code
   * cursorTag} (so one stream's cursor is refused by another; {@code formerCursorTag} marks the
   * (xid, id) cursors before migration V12, still accepted), fetching {@code batch} rows at a time.
   */
  public EventLogTail(
      Names names,
      String cursorTag,
      String formerCursorTag,
      String channel,
      int batch,
      int maxPerCaller,
      Log log,
      Vertx vertx,
      SiteWakeups wakeups) {
    this.names = names;
    this.cursorTag = cursorTag;
    this.cursorPattern = Pattern.compile(Pattern.quote(cursorTag) + ":([0-9]{1,19})");
    this.formerCursorPattern =
        Pattern.compile(Pattern.quote(formerCursorTag) + ":(-?[0-9]{1,19}):([0-9]{1,19})");
    this.channel = channel;
    this.batch = batch;
    this.maxPerCaller = maxPerCaller;
    this.log = log;
    this.vertx = vertx;
    this.wakeups = wakeups;
  }

  /** The subscribers this replica follows now. */
  public int live() {
    return followers.size();
  }

  /** The cursor text of a position. */
  String encode(Position p) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((cursorTag + ":" + p.id()).getBytes(StandardCharsets.UTF_8));
  }

  /** Where a cursor resumes; INVALID_ARGUMENT naming {@code cursor} when it is not one. */
  private Uni<Position> resume(String text) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      Matcher m = cursorPattern.matcher(plain);
      if (m.matches()) {
        Position p = new Position(Long.parseLong(m.group(1)));
        return log.contains(p.id()).map(kept -> retained(kept ? p : null));
      }
      Matcher former = formerCursorPattern.matcher(plain);
      if (former.matches()) {
        return log.resumeFormer(Long.parseLong(former.group(1)), Long.parseLong(former.group(2)))
            .map(id -> retained(id == null ? null : new Position(id)));
      }
    } catch (IllegalArgumentException e) {
      // Falls through to the error.
    }
    throw ApiException.field(
        ErrorReason.INVALID_FIELD,
        "cursor",
        "is not a cursor from a "
            + names.updateMessage()
            + "; resume with the last update's cursor or omit it");
  }

  /**
   * The updates {@code fetch} gives after {@code cursor} (or from now), for {@code caller}, fetched
   * as fast as {@code readiness} says the client reads.
   */
  public Multi<U> follow(
      String caller, StreamReadiness.Readiness readiness, String cursor, Fetch<U> fetch) {
    Uni<Position> start = cursor.isEmpty() ? null : resume(cursor);
    return wakeups
        .listenChannel(channel, payload -> followers.forEach(Follower::wake))
        .chain(() -> start != null ? start : now())
        .onItem()
        .transformToMulti(
            from ->
                Multi.createFrom()
                    .<U>emitter(
                        emitter -> {
                          if (!acquire(caller)) {
                            emitter.fail(
                                ApiException.of(
                                    ErrorReason.TOO_MANY_STREAMS,
                                    "the caller already has "
                                        + maxPerCaller
                                        + " "
                                        + names.rpc()
                                        + " streams open (the limit, "
                                        + names.limitSetting()
                                        + "); close one first, or follow more in one stream"));
                            return;
                          }
                          Follower f = new Follower(emitter, readiness, fetch, from);
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

  /**
   * {@code at}, or CURSOR_EXPIRED when null: the cursor's row and the rows after it were purged.
   */
  private Position retained(Position at) {
    if (at == null) {
      throw ApiException.field(ErrorReason.CURSOR_EXPIRED, "cursor", names.expiredAdvice());
    }
    return at;
  }

  private Uni<Position> now() {
    // Every row above the horizon may still be written by a running transaction: the future.
    return log.horizon().map(Position::new);
  }

  /** One subscriber's position and its fetch loop; fetches never overlap. */
  private final class Follower {
    private final MultiEmitter<? super U> emitter;
    private final StreamReadiness.Readiness readiness;
    private final Fetch<U> fetch;
    private Position cursor;
    private boolean fetching;
    private boolean again;

    Follower(
        MultiEmitter<? super U> emitter,
        StreamReadiness.Readiness readiness,
        Fetch<U> fetch,
        Position cursor) {
      this.emitter = emitter;
      this.readiness = readiness;
      this.fetch = fetch;
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
      fetch.after(cursor, batch).subscribe().with(this::deliver, this::failed);
    }

    private void deliver(List<Row<U>> rows) {
      boolean heldBack = false;
      int seen = 0;
      for (Row<U> row : rows) {
        seen++;
        if (row.heldBack()) {
          heldBack = true;
          break;
        }
        if (row.update() != null) {
          emitter.emit(row.update().apply(encode(row.at())));
        }
        // Past every row scanned, sent or not: a filter that rarely matches never rescans.
        cursor = row.at();
      }
      boolean more;
      synchronized (this) {
        fetching = false;
        more = again || (!heldBack && seen == batch);
      }
      if (more) {
        wake();
      } else if (heldBack) {
        // A transaction writing to the log is still running: its commit NOTIFYs, and in case it
        // rolls back (no NOTIFY) look again shortly.
        vertx.setTimer(HELD_BACK_RETRY_MS, t -> wake());
      }
    }

    private void failed(Throwable t) {
      LOG.warnf("%s fetch failed, retrying: %s", names.rpc(), t.getMessage());
      synchronized (this) {
        fetching = false;
      }
      vertx.setTimer(1000, x -> wake());
    }
  }
}
