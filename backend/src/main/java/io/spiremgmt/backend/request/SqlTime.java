package io.spiremgmt.backend.request;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/** The {@code timestamptz} values of native query rows, whichever Java type the driver chose. */
final class SqlTime {
  private SqlTime() {}

  /** The instant of {@code value}, or null. */
  static Instant instant(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Instant i) {
      return i;
    }
    if (value instanceof OffsetDateTime o) {
      return o.toInstant();
    }
    if (value instanceof ZonedDateTime z) {
      return z.toInstant();
    }
    if (value instanceof java.sql.Timestamp t) {
      return t.toInstant();
    }
    if (value instanceof LocalDateTime l) {
      return l.toInstant(ZoneOffset.UTC);
    }
    throw new IllegalStateException("not a timestamp: " + value.getClass().getName());
  }
}
