package io.spiremgmt.backend.validation;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.UUID;
import java.util.regex.Pattern;

/** Parsing of resource ids and other small request values. */
public final class Ids {
  /** Longest accepted client request id. */
  public static final int MAX_REQUEST_ID = 128;

  private static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private Ids() {}

  /** Parses a required UUID id, failing with MISSING_FIELD or INVALID_ID naming {@code field}. */
  public static UUID parse(String value, String field) {
    if (value == null || value.isEmpty()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, field, "an id is required");
    }
    if (!UUID_TEXT.matcher(value).matches()) {
      throw ApiException.field(
          ErrorReason.INVALID_ID, field, "'" + clip(value) + "' is not a UUID");
    }
    return UUID.fromString(value);
  }

  /** The caller's request id, checked for length, or a generated one when empty. */
  public static String requestId(String value, String field) {
    if (value == null || value.isEmpty()) {
      return UUID.randomUUID().toString();
    }
    return Text.check(value, field, MAX_REQUEST_ID);
  }

  /** A value shortened for an error message, so a huge input does not make a huge error. */
  public static String clip(String value) {
    return value.length() <= 64 ? value : value.substring(0, 64) + "...";
  }
}
