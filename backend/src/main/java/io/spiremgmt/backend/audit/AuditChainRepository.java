package io.spiremgmt.backend.audit;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The hash-chain columns of {@code audit_events} (migration V6): reading, sealing, verifying. */
@ApplicationScoped
public class AuditChainRepository {
  /** The advisory lock key ("AUDITSEA" in ASCII). */
  static final long LOCK_KEY = 0x4155_4449_5453_4541L;

  /** The columns of an event as hashed, in both the sealer and the verifiers. */
  static final String CONTENT =
      "id, (extract(epoch FROM occurred_at) * 1000000)::bigint AS micros, actor, action,"
          + " target_type, target_id, request_id, before_state::text AS before,"
          + " after_state::text AS after";

  private final Pool pool;

  AuditChainRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * A sealed event.
   *
   * @param seq its position in the chain
   * @param prevHash the previous event's hash (null for the first)
   * @param hash its hash
   * @param content what was hashed
   */
  public record Sealed(long seq, byte[] prevHash, byte[] hash, AuditChain.Content content) {}

  /** Takes the sealer's transaction-scoped advisory lock; whether this transaction got it. */
  public Uni<Boolean> tryLock(SqlClient tx) {
    return tx.preparedQuery("SELECT pg_try_advisory_xact_lock($1) AS got")
        .execute(Tuple.of(LOCK_KEY))
        .map(rows -> rows.iterator().next().getBoolean("got"));
  }

  /** The last sealed event's seq and hash, or null when nothing is sealed yet. */
  public Uni<Sealed> last(SqlClient tx) {
    return tx.query(
            "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
        .execute()
        .map(
            rows -> {
              if (rows.rowCount() == 0) {
                return null;
              }
              Row top = rows.iterator().next();
              return new Sealed(top.getLong("seq"), null, top.getBuffer("hash").getBytes(), null);
            });
  }

  /**
   * Up to {@code limit} unsealed events that committed before the oldest running transaction, in
   * (xid, id) order: an event still in flight is never skipped by a later one.
   */
  public Uni<List<AuditChain.Content>> ready(SqlClient tx, int limit) {
    return tx.preparedQuery(
            "SELECT "
                + CONTENT
                + " FROM audit_events WHERE seq IS NULL"
                + " AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                + " ORDER BY xid, id LIMIT $1")
        .execute(Tuple.of(limit))
        .map(
            rows -> {
              List<AuditChain.Content> out = new ArrayList<>();
              rows.forEach(r -> out.add(content(r)));
              return out;
            });
  }

  /** Writes the seals in one statement. */
  public Uni<Void> seal(SqlClient tx, List<Sealed> seals) {
    int n = seals.size();
    Long[] ids = new Long[n];
    Long[] seqs = new Long[n];
    String[] prevs = new String[n];
    String[] hashes = new String[n];
    for (int i = 0; i < n; i++) {
      Sealed s = seals.get(i);
      ids[i] = s.content().id();
      seqs[i] = s.seq();
      prevs[i] = HexFormat.of().formatHex(s.prevHash());
      hashes[i] = HexFormat.of().formatHex(s.hash());
    }
    return tx.preparedQuery(
            "UPDATE audit_events a SET seq = u.seq, prev_hash = decode(u.prev, 'hex'),"
                + " hash = decode(u.hash, 'hex') FROM unnest($1::bigint[], $2::bigint[],"
                + " $3::text[], $4::text[]) AS u(id, seq, prev, hash) WHERE a.id = u.id")
        .execute(Tuple.of(ids, seqs, prevs, hashes))
        .replaceWithVoid();
  }

  /** Up to {@code limit} sealed events after {@code afterSeq}, in seq order. */
  public Uni<List<Sealed>> sealedAfter(long afterSeq, int limit) {
    return pool.preparedQuery(
            "SELECT seq, prev_hash, hash, "
                + CONTENT
                + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
        .execute(Tuple.of(afterSeq, limit))
        .map(
            rows -> {
              List<Sealed> out = new ArrayList<>();
              for (Row row : rows) {
                byte[] prevHash =
                    row.getBuffer("prev_hash") == null
                        ? null
                        : row.getBuffer("prev_hash").getBytes();
                out.add(
                    new Sealed(
                        row.getLong("seq"),
                        prevHash,
                        row.getBuffer("hash").getBytes(),
                        content(row)));
              }
              return out;
            });
  }

  /** How many events are not sealed yet. */
  public Uni<Long> unsealedCount() {
    return pool.query("SELECT count(*) AS n FROM audit_events WHERE seq IS NULL")
        .execute()
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  private static AuditChain.Content content(Row row) {
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
