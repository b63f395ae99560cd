package io.spiremgmt.agent.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Cuts a list into consecutive runs that fit one gRPC message: at most {@code maxItems} items and
 * {@code maxBytes} bytes (each item's encoded size), and at least one item each however large, so
 * nothing is ever left out. The agent cuts its SPIRE batch writes and its reconcile report parts
 * this way.
 */
public final class ByteBudget {
  private ByteBudget() {}

  /** {@code items} in order, cut into runs within the budget; none when there are no items. */
  public static <T> List<List<T>> split(
      List<T> items, ToIntFunction<T> size, int maxBytes, int maxItems) {
    if (maxBytes < 1 || maxItems < 1) {
      throw new IllegalArgumentException("a budget must allow at least one byte and one item");
    }
    List<List<T>> runs = new ArrayList<>();
    int start = 0;
    long bytes = 0;
    for (int i = 0; i < items.size(); i++) {
      int next = size.applyAsInt(items.get(i));
      if (i > start && (bytes + next > maxBytes || i - start == maxItems)) {
        runs.add(items.subList(start, i));
        start = i;
        bytes = 0;
      }
      bytes += next;
    }
    if (start < items.size()) {
      runs.add(items.subList(start, items.size()));
    }
    return runs;
  }
}
