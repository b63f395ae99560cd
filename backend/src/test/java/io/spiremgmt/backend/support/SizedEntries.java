package io.spiremgmt.backend.support;

import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/** Entries and batches of an exact serialized size, for tests at the edge of a size limit. */
public final class SizedEntries {
  private static final int SELECTOR_VALUE = 4000;

  private SizedEntries() {}

  /**
   * A valid entry in {@code trustDomain} at {@code path} on {@code siteId} whose serialized size is
   * exactly {@code bytes} (at least about 600): padded with {@code k8s:label} selectors.
   */
  public static Entry.Builder entry(String trustDomain, String path, String siteId, int bytes) {
    Entry.Builder base = Fixtures.entry(trustDomain, path, siteId);
    int i = 0;
    while (base.build().getSerializedSize() + SELECTOR_VALUE + 200 < bytes) {
      base.addSelectors(Fixtures.selector("k8s:label", i++ + "-" + "x".repeat(SELECTOR_VALUE)));
    }
    int last = i;
    return fit(
        bytes,
        length ->
            base.clone()
                .addSelectors(Fixtures.selector("k8s:label", last + "-" + "y".repeat(length))),
        b -> b.build().getSerializedSize());
  }

  /**
   * A batch of valid entries on {@code siteId} whose serialized request is exactly {@code bytes}:
   * entries of at most about 31 KB (under the entry limit), the last one sized to fit.
   */
  public static BatchCreateEntriesRequest batch(String trustDomain, String siteId, int bytes) {
    BatchCreateEntriesRequest.Builder full = BatchCreateEntriesRequest.newBuilder();
    int i = 0;
    while (bytes - full.build().getSerializedSize() > 62_000) {
      full.addRequests(
          CreateEntryRequest.newBuilder()
              .setEntry(entry(trustDomain, "/batch/" + i++, siteId, 30_000)));
    }
    // Leave about 31 KB for the last entry, under the 32 KiB entry limit.
    full.addRequests(
        CreateEntryRequest.newBuilder()
            .setEntry(
                entry(
                    trustDomain,
                    "/batch/" + i++,
                    siteId,
                    bytes - full.build().getSerializedSize() - 31_000)));
    int last = i;
    int rest = bytes - full.build().getSerializedSize();
    return fit(
            bytes,
            delta ->
                full.clone()
                    .addRequests(
                        CreateEntryRequest.newBuilder()
                            .setEntry(
                                entry(trustDomain, "/batch/" + last, siteId, rest - 10 + delta))),
            b -> b.build().getSerializedSize())
        .build();
  }

  /** Tries {@code make(n)} for n from a guess until its size is exactly {@code bytes}. */
  private static <B> B fit(int bytes, IntFunction<B> make, ToIntFunction<B> size) {
    int n = 1;
    for (int attempt = 0; attempt < 10; attempt++) {
      B built = make.apply(n);
      int got = size.applyAsInt(built);
      if (got == bytes) {
        return built;
      }
      n += bytes - got;
      if (n < 1) {
        throw new IllegalArgumentException("cannot build " + bytes + " bytes");
      }
    }
    throw new IllegalStateException("no exact fit for " + bytes + " bytes");
  }
}
