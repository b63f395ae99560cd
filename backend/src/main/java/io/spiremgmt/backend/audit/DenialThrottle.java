package io.spiremgmt.backend.audit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Decides which denials are written to the audit trail one by one. Per (caller, method), the first
 * {@code limit} denials of a window are written; the rest are only counted, and the count is
 * written as one summary when the window ends. So a caller that holds a credential but no right
 * cannot grow the audit trail faster than {@code limit + 1} events per window and method. At most
 * {@code maxKeys} (caller, method) pairs are tracked; beyond that, denials of new pairs are counted
 * under one shared key ({@link #OVERFLOW}). Not thread-safe on its own: callers synchronize.
 */
final class DenialThrottle {
  /** The key that denials of callers beyond {@code maxKeys} are counted under. */
  static final Key OVERFLOW = new Key("(many callers)", "*");

  /**
   * A caller and the method it was denied.
   *
   * @param actor the caller's name
   * @param method the full gRPC method name
   */
  record Key(String actor, String method) {}

  /**
   * Denials counted but not written one by one.
   *
   * @param key whose denials
   * @param suppressed how many
   * @param from when the window began
   * @param to when it ended
   */
  record Summary(Key key, long suppressed, Instant from, Instant to) {}

  private static final class Window {
    final Instant start;
    long seen;
    long suppressed;

    Window(Instant start) {
      this.start = start;
    }
  }

  private final int limit;
  private final Duration window;
  private final int maxKeys;
  private final Map<Key, Window> windows = new HashMap<>();
  private final List<Summary> ended = new ArrayList<>();

  DenialThrottle(int limit, Duration window, int maxKeys) {
    if (limit < 1 || window.isNegative() || window.isZero() || maxKeys < 1) {
      throw new IllegalArgumentException("limit, window and maxKeys must be positive");
    }
    this.limit = limit;
    this.window = window;
    this.maxKeys = maxKeys;
  }

  /** What to do with one denial. */
  enum Decision {
    /** Write it to the audit trail. */
    WRITE,
    /** Only count it; it is the first its window does not write (worth a log line). */
    COUNT_FIRST,
    /** Only count it. */
    COUNT
  }

  /**
   * A decision and the key the denial was counted under: its own, or {@link #OVERFLOW}.
   *
   * @param decision what to do with the denial
   * @param countedAs the key whose window counted it
   */
  record Admission(Decision decision, Key countedAs) {}

  /** Counts a denial of {@code key} at {@code now} and decides whether it is written on its own. */
  Admission admit(Key key, Instant now) {
    Window w = windows.get(key);
    if (w != null && !now.isBefore(w.start.plus(window))) {
      windows.remove(key);
      close(key, w);
      w = null;
    }
    if (w == null) {
      if (windows.size() >= maxKeys && !key.equals(OVERFLOW)) {
        return admit(OVERFLOW, now);
      }
      w = new Window(now);
      windows.put(key, w);
    }
    w.seen++;
    if (w.seen <= limit) {
      return new Admission(Decision.WRITE, key);
    }
    w.suppressed++;
    return new Admission(w.suppressed == 1 ? Decision.COUNT_FIRST : Decision.COUNT, key);
  }

  /** The summaries of windows that ended by {@code now} and suppressed something; removes them. */
  List<Summary> ended(Instant now) {
    for (Iterator<Map.Entry<Key, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, Window> e = it.next();
      if (!now.isBefore(e.getValue().start.plus(window))) {
        it.remove();
        close(e.getKey(), e.getValue());
      }
    }
    return drain();
  }

  /** The summaries of every window that suppressed something, ended or not (at shutdown). */
  List<Summary> all(Instant now) {
    windows.forEach(
        (key, w) -> {
          if (w.suppressed > 0) {
            ended.add(new Summary(key, w.suppressed, w.start, now));
          }
        });
    windows.clear();
    return drain();
  }

  private void close(Key key, Window w) {
    if (w.suppressed > 0) {
      ended.add(new Summary(key, w.suppressed, w.start, w.start.plus(window)));
    }
  }

  private List<Summary> drain() {
    List<Summary> out = List.copyOf(ended);
    ended.clear();
    return out;
  }
}
