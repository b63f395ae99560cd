package io.spiremgmt.backend.protobuf;

import com.google.protobuf.Timestamp;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.time.Duration;
import java.time.Instant;

/**
 * Conversions between {@code java.time} and the protobuf well-known time types, shared by every
 * feature's mapper. Incoming timestamps are checked against the range the protobuf documentation
 * allows (years 1 to 9999), so an out-of-range value is INVALID_ARGUMENT, never INTERNAL.
 */
public final class ProtoTime {
  private static final long MIN_SECONDS = -62135596800L;
  private static final long MAX_SECONDS = 253402300799L;

  private ProtoTime() {}

  /** A protobuf timestamp of an instant. */
  public static Timestamp toTimestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  /** The instant of a protobuf timestamp; INVALID_FIELD naming {@code field} when out of range. */
  public static Instant toInstant(Timestamp t, String field) {
    if (t.getNanos() < 0
        || t.getNanos() > 999_999_999
        || t.getSeconds() < MIN_SECONDS
        || t.getSeconds() > MAX_SECONDS) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          field,
          "timestamp out of range (years 1 to 9999): " + t.getSeconds() + "s");
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  /** A protobuf duration of a duration. */
  public static com.google.protobuf.Duration toDuration(Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
