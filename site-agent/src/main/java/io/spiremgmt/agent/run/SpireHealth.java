package io.spiremgmt.agent.run;

import io.grpc.StatusRuntimeException;

/** How the site's SPIRE server answered the agent's last call, shared with the lease renewals. */
public final class SpireHealth {
  private volatile boolean reachable = true;
  private volatile String lastError = "";

  /** Whether the last SPIRE call succeeded. */
  public boolean reachable() {
    return reachable;
  }

  /** The last SPIRE error, or empty. */
  public String lastError() {
    return lastError;
  }

  void ok() {
    reachable = true;
    lastError = "";
  }

  void failed(StatusRuntimeException e) {
    reachable = false;
    lastError = describe(e);
  }

  /** A one-line description of a failed SPIRE call. */
  static String describe(StatusRuntimeException e) {
    String detail = e.getStatus().getDescription();
    return "SPIRE server call failed: "
        + e.getStatus().getCode()
        + (detail == null ? "" : ": " + detail);
  }
}
