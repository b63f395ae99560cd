package io.spiremgmt.backend.sync.lease;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.site.AgentStatus;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The site agents' tables: {@code site_agents} (the per-site lease and the agent's last word on its
 * SPIRE server, migration V4), {@code site_unmanaged_entries} and the staged parts of reconcile
 * reports sent in parts ({@code site_unmanaged_staged}, migration V9). Every time comes from the
 * database clock, so replicas agree on who holds a lease. Statements run on the client they are
 * given (a transaction {@link LeaseService} opened) or on the pool.
 */
@ApplicationScoped
public class SiteAgentRepository {
  private static final String ACQUIRE =
      "WITH prev AS (SELECT agent_id FROM site_agents WHERE site_id = $1)"
          + " INSERT INTO site_agents AS a (site_id, agent_id, agent_version, acquired_at,"
          + " lease_expires_at, last_seen_at, spire_reachable, spire_error)"
          + " VALUES ($1, $2, $3, now(), now() + $4 * interval '1 millisecond', now(), $5, $6)"
          + " ON CONFLICT (site_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,"
          + " agent_version = EXCLUDED.agent_version,"
          + " acquired_at = CASE WHEN a.agent_id = EXCLUDED.agent_id AND a.lease_expires_at > now()"
          + " THEN a.acquired_at ELSE now() END,"
          + " last_poll_at = CASE WHEN a.agent_id = EXCLUDED.agent_id THEN a.last_poll_at END,"
          + " lease_expires_at = EXCLUDED.lease_expires_at, last_seen_at = now(),"
          + " spire_reachable = EXCLUDED.spire_reachable, spire_error = EXCLUDED.spire_error"
          + " WHERE a.agent_id = EXCLUDED.agent_id OR a.lease_expires_at <= now()"
          + " RETURNING agent_id, lease_expires_at, acquired_at = now() AS taken,"
          + " (SELECT agent_id FROM prev) AS previous";

  // Renews nothing: proves the caller holds the lease now, in one round trip. A poll also records
  // its time (for GetSiteHealth, to the second); other calls write nothing, so a refused or
  // repeated call leaves the database as it was.
  private static final String FENCE_POLL =
      "WITH held AS (SELECT last_poll_at FROM site_agents"
          + " WHERE site_id = $1 AND agent_id = $2 AND lease_expires_at > now()),"
          // At most one write per second per site: a busy agent polls many times a second.
          + " stamp AS (UPDATE site_agents SET last_poll_at = now()"
          + " WHERE site_id = $1 AND agent_id = $2 AND lease_expires_at > now()"
          + " AND (last_poll_at IS NULL OR last_poll_at < now() - interval '1 second') RETURNING 1)"
          + " SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1) AS site,"
          + " EXISTS (SELECT 1 FROM held) AS held, (SELECT count(*) FROM stamp) AS stamped";
  // FOR SHARE: inside a caller's transaction, a takeover (which updates the row) waits for it to
  // commit, so nothing can be written under a lease that changed hands after the check.
  private static final String FENCE =
      "SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1) AS site,"
          + " EXISTS (SELECT 1 FROM site_agents WHERE site_id = $1 AND agent_id = $2"
          + " AND lease_expires_at > now() FOR SHARE) AS held";
  private static final String FENCE_SESSION =
      "SELECT EXISTS (SELECT 1 FROM sites WHERE id = :site) AS site,"
          + " EXISTS (SELECT 1 FROM site_agents WHERE site_id = :site AND agent_id = :agent"
          + " AND lease_expires_at > now() FOR SHARE) AS held";

  private final Pool pool;

  SiteAgentRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * The outcome of an acquire statement.
   *
   * @param granted whether the caller now holds the lease
   * @param taken whether this is a new tenure (not a renewal)
   * @param previous the agent that held the row before, or null
   * @param expiresAt when the caller's lease ends (when granted)
   */
  public record Acquired(boolean granted, boolean taken, String previous, Instant expiresAt) {}

  /**
   * Grants or renews the lease of {@code siteId} to {@code agentId} for {@code ttl} unless another
   * agent holds an unexpired one, and records the agent's view of its SPIRE server.
   */
  public Uni<Acquired> acquire(
      SqlClient tx,
      UUID siteId,
      String agentId,
      String version,
      Duration ttl,
      boolean spireReachable,
      String spireError) {
    return tx.preparedQuery(ACQUIRE)
        .execute(
            Tuple.of(siteId, agentId, version, ttl.toMillis(), spireReachable)
                .addString(spireError))
        .map(
            rows -> {
              if (rows.rowCount() != 1) {
                return new Acquired(false, false, null, null);
              }
              Row row = rows.iterator().next();
              return new Acquired(
                  true,
                  row.getBoolean("taken"),
                  row.getString("previous"),
                  instant(row, "lease_expires_at"));
            });
  }

  /**
   * The current holder of a site's lease and its expiry.
   *
   * @param agentId the holder
   * @param expiresAt the lease's end
   */
  public record Holder(String agentId, Instant expiresAt) {}

  /** The site's lease holder, or null when no agent ever took it. */
  public Uni<Holder> holder(UUID siteId) {
    return pool.preparedQuery(
            "SELECT agent_id, lease_expires_at FROM site_agents WHERE site_id = $1")
        .execute(Tuple.of(siteId))
        .map(
            rows -> {
              if (rows.rowCount() == 0) {
                return null;
              }
              Row row = rows.iterator().next();
              return new Holder(row.getString("agent_id"), instant(row, "lease_expires_at"));
            });
  }

  /**
   * What a fence check found.
   *
   * @param siteExists whether the site exists
   * @param held whether the agent holds the site's lease now
   */
  public record Fence(boolean siteExists, boolean held) {}

  /** Checks that {@code agentId} holds the site's lease now; records a poll when {@code poll}. */
  public Uni<Fence> fence(SqlClient client, UUID siteId, String agentId, boolean poll) {
    return client
        .preparedQuery(poll ? FENCE_POLL : FENCE)
        .execute(Tuple.of(siteId, agentId))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new Fence(row.getBoolean("site"), row.getBoolean("held"));
            });
  }

  /** {@link #fence(SqlClient, UUID, String, boolean)} in the session's transaction (no poll). */
  public Uni<Fence> fence(Mutiny.Session s, UUID siteId, String agentId) {
    return s.createNativeQuery(FENCE_SESSION, Object[].class)
        .setParameter("site", siteId)
        .setParameter("agent", agentId)
        .getSingleResult()
        .map(row -> new Fence((Boolean) row[0], (Boolean) row[1]));
  }

  /** {@link #fence(SqlClient, UUID, String, boolean)} on the pool. */
  public Uni<Fence> fence(UUID siteId, String agentId, boolean poll) {
    return fence(pool, siteId, agentId, poll);
  }

  /** Replaces the site's unmanaged entries. */
  public Uni<Void> replaceUnmanaged(SqlClient tx, UUID siteId, List<Unmanaged> unmanaged) {
    Uni<Void> cleared =
        tx.preparedQuery("DELETE FROM site_unmanaged_entries WHERE site_id = $1")
            .execute(Tuple.of(siteId))
            .replaceWithVoid();
    if (unmanaged.isEmpty()) {
      return cleared;
    }
    List<Tuple> rows = new ArrayList<>();
    unmanaged.forEach(
        u ->
            rows.add(
                Tuple.of(
                    siteId,
                    u.spireEntryId(),
                    u.spiffeId(),
                    u.parentId(),
                    u.selectors().toArray(String[]::new))));
    return cleared.chain(
        () ->
            tx.preparedQuery(
                    "INSERT INTO site_unmanaged_entries (site_id, spire_entry_id,"
                        + " spiffe_id, parent_id, selectors) VALUES ($1, $2, $3, $4, $5)"
                        + " ON CONFLICT DO NOTHING")
                .executeBatch(rows)
                .replaceWithVoid());
  }

  /**
   * Deletes staged reconcile parts staged more than {@code age} ago (a reconcile whose last part
   * never came, at a site whose agent reports no more); answers how many rows went.
   */
  public Uni<Integer> purgeStagedOlderThan(SqlClient tx, Duration age) {
    return tx.preparedQuery(
            "DELETE FROM site_unmanaged_staged"
                + " WHERE staged_at < now() - make_interval(secs => $1)")
        .execute(Tuple.of((double) age.toSeconds()))
        .map(rows -> rows.rowCount());
  }

  /** The reconcile whose report the site recorded last, or null (none, or one in one message). */
  public Uni<String> lastReconcileId(SqlClient tx, UUID siteId) {
    return tx.preparedQuery("SELECT last_reconcile_id FROM site_agents WHERE site_id = $1")
        .execute(Tuple.of(siteId))
        .map(rows -> rows.rowCount() == 0 ? null : rows.iterator().next().getString(0));
  }

  /**
   * Stages one part of reconcile {@code reconcileId}'s report: discards whatever another reconcile
   * of the site staged, adds the part's entries (an entry staged already is kept once), and answers
   * how many entries the reconcile has staged now.
   */
  public Uni<Long> stage(SqlClient tx, UUID siteId, String reconcileId, List<Unmanaged> unmanaged) {
    Uni<Void> discarded =
        tx.preparedQuery(
                "DELETE FROM site_unmanaged_staged WHERE site_id = $1 AND reconcile_id <> $2")
            .execute(Tuple.of(siteId, reconcileId))
            .replaceWithVoid();
    List<Tuple> rows = new ArrayList<>();
    unmanaged.forEach(
        u ->
            rows.add(
                Tuple.of(
                    siteId,
                    reconcileId,
                    u.spireEntryId(),
                    u.spiffeId(),
                    u.parentId(),
                    u.selectors().toArray(String[]::new))));
    Uni<Void> added =
        rows.isEmpty()
            ? discarded
            : discarded.chain(
                () ->
                    tx.preparedQuery(
                            "INSERT INTO site_unmanaged_staged (site_id, reconcile_id,"
                                + " spire_entry_id, spiffe_id, parent_id, selectors)"
                                + " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                        .executeBatch(rows)
                        .replaceWithVoid());
    return added.chain(
        () ->
            tx.preparedQuery(
                    "SELECT count(*) FROM site_unmanaged_staged"
                        + " WHERE site_id = $1 AND reconcile_id = $2")
                .execute(Tuple.of(siteId, reconcileId))
                .map(r -> r.iterator().next().getLong(0)));
  }

  /**
   * Replaces the site's unmanaged entries with those reconcile {@code reconcileId} staged, and
   * empties the site's staging.
   */
  public Uni<Void> publishStaged(SqlClient tx, UUID siteId, String reconcileId) {
    return tx.preparedQuery("DELETE FROM site_unmanaged_entries WHERE site_id = $1")
        .execute(Tuple.of(siteId))
        .chain(
            () ->
                tx.preparedQuery(
                        "INSERT INTO site_unmanaged_entries (site_id, spire_entry_id, spiffe_id,"
                            + " parent_id, selectors) SELECT site_id, spire_entry_id, spiffe_id,"
                            + " parent_id, selectors FROM site_unmanaged_staged"
                            + " WHERE site_id = $1 AND reconcile_id = $2")
                    .execute(Tuple.of(siteId, reconcileId)))
        .chain(() -> discardStaged(tx, siteId));
  }

  /** Discards every staged part of the site's reconcile reports. */
  public Uni<Void> discardStaged(SqlClient tx, UUID siteId) {
    return tx.preparedQuery("DELETE FROM site_unmanaged_staged WHERE site_id = $1")
        .execute(Tuple.of(siteId))
        .replaceWithVoid();
  }

  /**
   * Stamps a finished full reconcile, its unmanaged count and its reconcile id (null for a report
   * in one message).
   */
  public Uni<Void> stampReconcile(
      SqlClient tx, UUID siteId, long unmanagedCount, String reconcileId) {
    return tx.preparedQuery(
            "UPDATE site_agents SET last_reconcile_at = now(), unmanaged_count = $2,"
                + " last_reconcile_id = $3 WHERE site_id = $1")
        .execute(Tuple.of(siteId, unmanagedCount, reconcileId))
        .replaceWithVoid();
  }

  /** Up to {@code limit} of the site's unmanaged entries after {@code afterId} (null: first). */
  public Uni<List<Unmanaged>> unmanaged(UUID siteId, String afterId, int limit) {
    return pool.preparedQuery(
            "SELECT spire_entry_id, spiffe_id, parent_id, selectors"
                + " FROM site_unmanaged_entries WHERE site_id = $1"
                + " AND ($2::text IS NULL OR spire_entry_id > $2)"
                + " ORDER BY spire_entry_id LIMIT $3")
        .execute(Tuple.of(siteId, afterId, limit))
        .map(
            rows -> {
              List<Unmanaged> out = new ArrayList<>();
              rows.forEach(
                  r ->
                      out.add(
                          new Unmanaged(
                              r.getString("spire_entry_id"),
                              r.getString("spiffe_id"),
                              r.getString("parent_id"),
                              List.of(r.getArrayOfStrings("selectors")))));
              return out;
            });
  }

  /** The site's agent status, or null when no agent ever took the lease. */
  public Uni<AgentStatus> status(UUID siteId) {
    return pool.preparedQuery(
            "SELECT agent_id, agent_version, lease_expires_at > now() AS connected, last_poll_at,"
                + " spire_reachable, spire_error, unmanaged_count, last_reconcile_at"
                + " FROM site_agents WHERE site_id = $1")
        .execute(Tuple.of(siteId))
        .map(
            rows -> {
              if (rows.rowCount() == 0) {
                return null;
              }
              Row r = rows.iterator().next();
              return new AgentStatus(
                  r.getString("agent_id"),
                  r.getString("agent_version"),
                  r.getBoolean("connected"),
                  instant(r, "last_poll_at"),
                  r.getBoolean("spire_reachable"),
                  r.getString("spire_error"),
                  r.getLong("unmanaged_count"),
                  instant(r, "last_reconcile_at"));
            });
  }

  /** Whether a site with {@code siteId} exists. */
  public Uni<Boolean> siteExists(UUID siteId) {
    return pool.preparedQuery("SELECT 1 FROM sites WHERE id = $1")
        .execute(Tuple.of(siteId))
        .map(rows -> rows.rowCount() > 0);
  }

  private static Instant instant(Row row, String column) {
    OffsetDateTime t = row.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }
}
