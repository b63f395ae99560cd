package io.spiremgmt.backend.error;

/**
 * A failure the caller can act on: a reason, the request field at fault (may be null) and a message
 * that names the problem without revealing anything the caller may not see.
 */
public final class ApiException extends RuntimeException {
  private final ErrorReason reason;
  private final String field;

  public ApiException(ErrorReason reason, String field, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.field = field;
  }

  /** A failure not tied to one field. */
  public static ApiException of(ErrorReason reason, String message) {
    return new ApiException(reason, null, message);
  }

  /** A failure of one request field; the message is prefixed with the field's name. */
  public static ApiException field(ErrorReason reason, String field, String message) {
    return new ApiException(reason, field, field + ": " + message);
  }

  public ErrorReason reason() {
    return reason;
  }

  /** The request field at fault, or null. */
  public String field() {
    return field;
  }
}
