package io.spiremgmt.backend.validation;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;

/**
 * Checks for free-text fields: a length limit and no control characters (PostgreSQL rejects NUL).
 */
public final class Text {
  private Text() {}

  /**
   * Fails with INVALID_FIELD naming {@code field} if {@code value} is too long or has a control
   * character.
   */
  public static String check(String value, String field, int maxLength) {
    if (value.length() > maxLength) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD, field, "longer than " + maxLength + " characters");
    }
    String problem = controlCharacterProblem(value);
    if (problem != null) {
      throw ApiException.field(ErrorReason.INVALID_FIELD, field, problem);
    }
    return value;
  }

  /** Why {@code value} is unusable as stored text, or null. */
  public static String controlCharacterProblem(String value) {
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (Character.isISOControl(ch)) {
        return "must not contain control characters (found "
            + SpiffeId.describe(ch)
            + " at "
            + i
            + ")";
      }
    }
    return null;
  }
}
