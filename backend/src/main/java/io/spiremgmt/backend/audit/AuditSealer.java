package io.spiremgmt.backend.audit;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Seals committed audit events into the hash chain (see {@link AuditChain} and the V6 migration),
 * in (xid, id) order and only below the oldest running transaction, so an event that commits late
 * is never skipped. Runs every second on every replica behind a transaction-scoped advisory lock:
 * one sealer at a time. Also verifies the chain for VerifyAuditChain.
 */
@ApplicationScoped
public class AuditSealer {
  private static final Logger LOG = Logger.getLogger(AuditSealer.class);

  /** The advisory lock key ("AUDITSEA" in ASCII). */
  static final long LOCK_KEY = 0x4155_4449_5453_4541L;

  private static final int BATCH = 1000;

  /** The columns of an event as hashed, in both the sealer and the verifiers. */
  static final String CONTENT =
      "id, (extract(epoch FROM occurred_at) * 1000000)::bigint AS micros, actor, action,"
          + " target_type, target_id, request_id, before_state::text AS before,"
          + " after_state::text AS after";

  private final Pool pool;
  private final Vertx vertx;
  private final long intervalMillis;

  AuditSealer(
      Pool pool,
      Vertx vertx,
      @ConfigProperty(name = "spire-mgmt.audit.seal-interval", defaultValue = "1s")
          java.time.Duration interval) {
    this.pool = pool;
    this.vertx = vertx;
    this.intervalMillis = interval.toMillis();
  }

  void schedule(@Observes StartupEvent start) {
    vertx.setPeriodic(
        intervalMillis,
        t ->
            sealPending()
                .subscribe()
                .with(
                    n -> {},
                    e -> LOG.warnf("audit sealing failed, will retry: %s", e.getMessage())));
  }

  /**
   * Seals what is ready (up to 1000 events); how many it sealed (0 when another replica is at it).
   */
  public Uni<Integer> sealPending() {
    return pool.withTransaction(
        tx ->
            tx.preparedQuery("SELECT pg_try_advisory_xact_lock($1) AS got")
                .execute(Tuple.of(LOCK_KEY))
                .chain(
                    rows ->
                        rows.iterator().next().getBoolean("got")
                            ? seal(tx)
                            : Uni.createFrom().item(0)));
  }

  private Uni<Integer> seal(SqlClient tx) {
    Uni<RowSet<Row>> last =
        tx.query(
                "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
            .execute();
    Uni<RowSet<Row>> ready =
        tx.preparedQuery(
                "SELECT "
                    + CONTENT
                    + " FROM audit_events WHERE seq IS NULL"
                    + " AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                    + " ORDER BY xid, id LIMIT $1")
            .execute(Tuple.of(BATCH));
    return Uni.combine()
        .all()
        .unis(last, ready)
        .asTuple()
        .chain(
            both -> {
              RowSet<Row> pending = both.getItem2();
              if (pending.rowCount() == 0) {
                return Uni.createFrom().item(0);
              }
              long seq = 0;
              byte[] prev = new byte[0];
              if (both.getItem1().rowCount() == 1) {
                Row top = both.getItem1().iterator().next();
                seq = top.getLong("seq");
                prev = top.getBuffer("hash").getBytes();
              }
              List<Long> ids = new ArrayList<>();
              List<Long> seqs = new ArrayList<>();
              List<String> prevs = new ArrayList<>();
              List<String> hashes = new ArrayList<>();
              for (Row row : pending) {
                byte[] hash = AuditChain.hash(prev, content(row));
                ids.add(row.getLong("id"));
                seqs.add(++seq);
                prevs.add(HexFormat.of().formatHex(prev));
                hashes.add(HexFormat.of().formatHex(hash));
                prev = hash;
              }
              return tx.preparedQuery(
                      "UPDATE audit_events a SET seq = u.seq, prev_hash = decode(u.prev, 'hex'),"
                          + " hash = decode(u.hash, 'hex') FROM unnest($1::bigint[], $2::bigint[],"
                          + " $3::text[], $4::text[]) AS u(id, seq, prev, hash) WHERE a.id = u.id")
                  .execute(
                      Tuple.of(
                          ids.toArray(Long[]::new),
                          seqs.toArray(Long[]::new),
                          prevs.toArray(String[]::new),
                          hashes.toArray(String[]::new)))
                  .map(r -> ids.size());
            });
  }

  /**
   * The result of verifying the chain.
   *
   * @param verified events verified before the first break
   * @param unsealed events not sealed yet
   * @param broken the first break, or null
   */
  public record Verification(long verified, long unsealed, AuditChain.Break broken) {}

  /** Verifies every sealed event in seq order. */
  public Uni<Verification> verify() {
    AuditChain.Verifier verifier = new AuditChain.Verifier();
    return verifyFrom(verifier, 0)
        .chain(
            () ->
                pool.query("SELECT count(*) AS n FROM audit_events WHERE seq IS NULL")
                    .execute()
                    .map(
                        rows ->
                            new Verification(
                                verifier.verified(),
                                rows.iterator().next().getLong("n"),
                                verifier.broken())));
  }

  private Uni<Void> verifyFrom(AuditChain.Verifier verifier, long afterSeq) {
    return pool.preparedQuery(
            "SELECT seq, prev_hash, hash, "
                + CONTENT
                + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
        .execute(Tuple.of(afterSeq, BATCH))
        .chain(
            rows -> {
              long lastSeq = afterSeq;
              for (Row row : rows) {
                lastSeq = row.getLong("seq");
                byte[] prevHash =
                    row.getBuffer("prev_hash") == null
                        ? null
                        : row.getBuffer("prev_hash").getBytes();
                if (!verifier.next(
                    lastSeq, prevHash, row.getBuffer("hash").getBytes(), content(row))) {
                  return Uni.createFrom().voidItem();
                }
              }
              return rows.rowCount() < BATCH
                  ? Uni.createFrom().voidItem()
                  : verifyFrom(verifier, lastSeq);
            });
  }

  static AuditChain.Content content(Row row) {
    return new AuditChain.Content(
        row.getLong("id"),
        row.getLong("micros"),
        row.getString("actor"),
        row.getString("action"),
        row.getString("target_type"),
        row.getString("target_id"),
        row.getString("request_id"),
        row.getString("before"),
        row.getString("after"));
  }
}
