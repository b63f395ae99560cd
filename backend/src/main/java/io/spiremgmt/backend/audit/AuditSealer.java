package io.spiremgmt.backend.audit;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  private static final int BATCH = 1000;

  private final Pool pool;
  private final AuditChainRepository chain;
  private final Vertx vertx;
  private final Duration interval;

  AuditSealer(Pool pool, AuditChainRepository chain, Vertx vertx, AuditConfig config) {
    this.pool = pool;
    this.chain = chain;
    this.vertx = vertx;
    this.interval = config.sealInterval();
  }

  void schedule(@Observes StartupEvent start) {
    vertx.setPeriodic(
        interval.toMillis(),
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
        tx -> chain.tryLock(tx).chain(got -> got ? seal(tx) : Uni.createFrom().item(0)));
  }

  private Uni<Integer> seal(SqlClient tx) {
    return Uni.combine()
        .all()
        .unis(chain.last(tx), chain.ready(tx, BATCH))
        .asTuple()
        .chain(
            both -> {
              List<AuditChain.Content> pending = both.getItem2();
              if (pending.isEmpty()) {
                return Uni.createFrom().item(0);
              }
              AuditChainRepository.Sealed top = both.getItem1();
              long seq = top == null ? 0 : top.seq();
              byte[] prev = top == null ? new byte[0] : top.hash();
              List<AuditChainRepository.Sealed> seals = new ArrayList<>();
              for (AuditChain.Content content : pending) {
                byte[] hash = AuditChain.hash(prev, content);
                seals.add(new AuditChainRepository.Sealed(++seq, prev, hash, content));
                prev = hash;
              }
              return chain.seal(tx, seals).replaceWith(seals.size());
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
        .chain(chain::unsealedCount)
        .map(unsealed -> new Verification(verifier.verified(), unsealed, verifier.broken()));
  }

  private Uni<Void> verifyFrom(AuditChain.Verifier verifier, long afterSeq) {
    return chain
        .sealedAfter(afterSeq, BATCH)
        .chain(
            rows -> {
              long lastSeq = afterSeq;
              for (AuditChainRepository.Sealed row : rows) {
                lastSeq = row.seq();
                if (!verifier.next(lastSeq, row.prevHash(), row.hash(), row.content())) {
                  return Uni.createFrom().voidItem();
                }
              }
              return rows.size() < BATCH
                  ? Uni.createFrom().voidItem()
                  : verifyFrom(verifier, lastSeq);
            });
  }
}
