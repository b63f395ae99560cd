package io.spiremgmt.backend.paging;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;

/**
 * AIP-158 page sizes: 0 means the default, over the maximum is lowered to it, negative is an error.
 */
public final class PageSize {
  /** Page size used when the request gives 0. */
  public static final int DEFAULT = 100;

  /** Largest page served. */
  public static final int MAX = 1000;

  private PageSize() {}

  /** The effective page size for a requested one. */
  public static int of(int requested) {
    if (requested < 0) {
      throw ApiException.field(
          ErrorReason.INVALID_PAGE_SIZE,
          "page_size",
          "must not be negative (got " + requested + ")");
    }
    if (requested == 0) {
      return DEFAULT;
    }
    return Math.min(requested, MAX);
  }
}
