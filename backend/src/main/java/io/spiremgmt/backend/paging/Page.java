package io.spiremgmt.backend.paging;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a keyset listing: the items served and the token of the next page (empty on the last
 * page). Every list reads {@link #fetchSize} rows after the previous page's key, so one extra row
 * tells whether another page follows without a count.
 *
 * @param items the page's items, at most the page size
 * @param nextPageToken the next page's token bound to the list's filter, or empty
 */
public record Page<T>(List<T> items, String nextPageToken) {

  /** The rows to read for a page of {@code size}: one more than served. */
  public static int fetchSize(int size) {
    return size + 1;
  }

  /**
   * The page of {@code rows} (read with {@link #fetchSize}): the first {@code size}, and when more
   * were read, a token holding the last served item's sort key, bound to {@code filter}.
   */
  public static <T> Page<T> of(
      List<T> rows, int size, String filter, Function<T, List<String>> sortKey) {
    if (rows.size() <= size) {
      return new Page<>(List.copyOf(rows), "");
    }
    List<T> page = List.copyOf(rows.subList(0, size));
    return new Page<>(page, new PageToken(sortKey.apply(page.get(size - 1))).encode(filter));
  }

  /** This page with each item mapped. */
  public <R> Page<R> map(Function<T, R> f) {
    return new Page<>(items.stream().map(f).toList(), nextPageToken);
  }
}
