package io.spiremgmt.backend.audit;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Writes a denied call to the audit trail (action {@code access.deny}, target the gRPC method), in
 * a transaction of its own: the denied call wrote nothing. A failure to record is logged, never
 * turned into another answer.
 */
@ApplicationScoped
public class DenialRecorder {
  private static final Logger LOG = Logger.getLogger(DenialRecorder.class);

  /** The actor of a denial whose caller was not resolved yet. */
  public static final String UNKNOWN_ACTOR = "(unresolved caller)";

  private final Pool pool;

  DenialRecorder(Pool pool) {
    this.pool = pool;
  }

  /**
   * Records that {@code actor} (null when unknown) was denied {@code method} because of {@code
   * reason}; completes when written or when writing failed (logged).
   */
  public Uni<Void> record(String actor, String method, String reason) {
    String target = method.length() > 64 ? method.substring(method.length() - 64) : method;
    JsonObject after =
        new JsonObject().put("method", method).put("reason", reason == null ? "" : reason);
    return pool.preparedQuery(
            "INSERT INTO audit_events (actor, action, target_type, target_id, request_id,"
                + " after_state) VALUES ($1, 'access.deny', 'rpc', $2, '', $3::jsonb)")
        .execute(Tuple.of(actor == null ? UNKNOWN_ACTOR : actor, target, after))
        .replaceWithVoid()
        // The denied caller waits for the record, but not for long: a slow database must not
        // hold denied calls (or their connections) open.
        .ifNoItem()
        .after(java.time.Duration.ofSeconds(2))
        .fail()
        .onFailure()
        .recoverWithUni(
            e -> {
              LOG.errorf("could not audit a denial of %s to %s: %s", method, actor, e.getMessage());
              return Uni.createFrom().voidItem();
            });
  }
}
