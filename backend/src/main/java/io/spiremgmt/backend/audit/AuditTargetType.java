package io.spiremgmt.backend.audit;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of resource an audit event is about; {@link #value()} is what is stored and served. */
public enum AuditTargetType {
  /** A workload entry; the target id is the entry's id. */
  ENTRY("entry"),
  /** A site; the target id is the site's id. */
  SITE("site"),
  /** An entry request; the target id is the request's id. */
  ENTRY_REQUEST("entry_request"),
  /** The approval policy; the target id is {@code approval-policy}. */
  APPROVAL_POLICY("approval_policy"),
  /** An API key; the target id is the key's id. */
  APIKEY("apikey"),
  /**
   * A gRPC method a caller was denied; the target id is the method's full name (its last 64 chars).
   */
  RPC("rpc");

  private final String value;

  AuditTargetType(String value) {
    this.value = value;
  }

  /** The stored and served name, e.g. {@code entry}. */
  public String value() {
    return value;
  }

  /** The type whose {@link #value()} is {@code value}, if any. */
  public static Optional<AuditTargetType> of(String value) {
    return Arrays.stream(values()).filter(t -> t.value.equals(value)).findFirst();
  }
}
