package io.spiremgmt.backend.agent;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The site agents' side of the database: the per-site lease that lets one agent instance apply
 * changes, the agent's last word on its SPIRE server, and the SPIRE entries it found unmanaged.
 * Every time comes from the database clock, so replicas agree on who holds a lease.
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
  private static final String FENCE =
      "SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1) AS site,"
          + " EXISTS (SELECT 1 FROM site_agents WHERE site_id = $1 AND agent_id = $2"
          + " AND lease_expires_at > now()) AS held";

  private final Pool pool;
  private final Duration leaseTtl;

  SiteAgentRepository(
      Pool pool,
      @ConfigProperty(name = "spire-mgmt.sync.lease-ttl", defaultValue = "15s") Duration leaseTtl) {
    this.pool = pool;
    this.leaseTtl = leaseTtl;
  }

  /**
   * A site's lease as seen by one agent.
   *
   * @param held whether that agent holds it
   * @param holder the agent instance holding it
   * @param expiresAt when it ends unless renewed
   * @param ttl how long a grant lasts
   */
  public record Lease(boolean held, String holder, Instant expiresAt, Duration ttl) {}

  /**
   * Grants or renews the lease of {@code siteId} to {@code agentId} unless another agent holds an
   * unexpired one, and records the agent's view of its SPIRE server.
   */
  public Uni<Lease> acquire(
      String actor,
      UUID siteId,
      String agentId,
      String version,
      boolean spireReachable,
      String spireError) {
    return requireSite(pool, siteId)
        .chain(
            () ->
                pool.withTransaction(
                    tx ->
                        tx.preparedQuery(ACQUIRE)
                            .execute(
                                Tuple.of(
                                        siteId,
                                        agentId,
                                        version,
                                        leaseTtl.toMillis(),
                                        spireReachable)
                                    .addString(spireError))
                            .call(granted -> auditTakeover(tx, actor, siteId, agentId, granted))))
        .chain(
            granted -> {
              if (granted.rowCount() == 1) {
                Row row = granted.iterator().next();
                return Uni.createFrom()
                    .item(new Lease(true, agentId, instant(row, "lease_expires_at"), leaseTtl));
              }
              return pool.preparedQuery(
                      "SELECT agent_id, lease_expires_at FROM site_agents WHERE site_id = $1")
                  .execute(Tuple.of(siteId))
                  .map(
                      rows -> {
                        Row row = rows.iterator().next();
                        return new Lease(
                            false,
                            row.getString("agent_id"),
                            instant(row, "lease_expires_at"),
                            leaseTtl);
                      });
            });
  }

  /**
   * A new tenure (not a renewal) is audited as {@code site.agent_lease}, in the same transaction.
   */
  private static Uni<Void> auditTakeover(
      SqlClient tx, String actor, UUID siteId, String agentId, RowSet<Row> granted) {
    if (granted.rowCount() != 1 || !granted.iterator().next().getBoolean("taken")) {
      return Uni.createFrom().voidItem();
    }
    String previous = granted.iterator().next().getString("previous");
    return tx.preparedQuery(
            "INSERT INTO audit_events (actor, action, target_type, target_id, request_id,"
                + " before_state, after_state) VALUES ($1, 'site.agent_lease', 'site', $2, $3,"
                + " $4::text::jsonb, $5::text::jsonb)")
        .execute(
            Tuple.of(
                actor,
                siteId.toString(),
                "lease-" + agentId,
                previous == null ? null : new JsonObject().put("agent_id", previous).encode(),
                new JsonObject().put("agent_id", agentId).encode()))
        .replaceWithVoid();
  }

  /**
   * Fails with SITE_NOT_FOUND for an unknown site and LEASE_NOT_HELD unless {@code agentId} holds
   * the site's lease now; records a poll when {@code poll} is set.
   */
  public Uni<Void> requireHolder(SqlClient client, UUID siteId, String agentId, boolean poll) {
    return client
        .preparedQuery(poll ? FENCE_POLL : FENCE)
        .execute(Tuple.of(siteId, agentId))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              if (!row.getBoolean("site")) {
                throw siteNotFound(siteId);
              }
              if (!row.getBoolean("held")) {
                throw ApiException.field(
                    ErrorReason.LEASE_NOT_HELD,
                    "agent_id",
                    "agent "
                        + agentId
                        + " does not hold the lease of site "
                        + siteId
                        + "; call AcquireLease and stand by while another agent holds it");
              }
              return null;
            });
  }

  /** {@link #requireHolder(SqlClient, UUID, String, boolean)} on the pool. */
  public Uni<Void> requireHolder(UUID siteId, String agentId, boolean poll) {
    return requireHolder(pool, siteId, agentId, poll);
  }

  /**
   * A SPIRE entry the agent does not manage.
   *
   * @param spireEntryId its SPIRE id
   * @param spiffeId its SPIFFE ID
   * @param parentId its parent ID
   * @param selectors its selectors as {@code type:value}
   */
  public record Unmanaged(
      String spireEntryId, String spiffeId, String parentId, List<String> selectors) {}

  /**
   * Records a finished full reconcile by the lease holder: replaces the site's unmanaged entries
   * and stamps the time, in one transaction.
   */
  public Uni<Void> recordReconcile(
      UUID siteId, String agentId, long unmanagedCount, List<Unmanaged> unmanaged) {
    return pool.withTransaction(
        tx ->
            requireHolder(tx, siteId, agentId, false)
                .chain(
                    () ->
                        tx.preparedQuery("DELETE FROM site_unmanaged_entries WHERE site_id = $1")
                            .execute(Tuple.of(siteId)))
                .chain(
                    () -> {
                      if (unmanaged.isEmpty()) {
                        return Uni.createFrom().voidItem();
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
                      return tx.preparedQuery(
                              "INSERT INTO site_unmanaged_entries (site_id, spire_entry_id,"
                                  + " spiffe_id, parent_id, selectors) VALUES ($1, $2, $3, $4, $5)"
                                  + " ON CONFLICT DO NOTHING")
                          .executeBatch(rows)
                          .replaceWithVoid();
                    })
                .chain(
                    () ->
                        tx.preparedQuery(
                                "UPDATE site_agents SET last_reconcile_at = now(),"
                                    + " unmanaged_count = $2 WHERE site_id = $1")
                            .execute(Tuple.of(siteId, unmanagedCount)))
                .replaceWithVoid());
  }

  /** A page of the site's unmanaged entries after {@code afterId} (null: from the start). */
  public Uni<List<Unmanaged>> unmanaged(UUID siteId, String afterId, int limit) {
    return requireSite(pool, siteId)
        .chain(
            () ->
                pool.preparedQuery(
                        "SELECT spire_entry_id, spiffe_id, parent_id, selectors"
                            + " FROM site_unmanaged_entries WHERE site_id = $1"
                            + " AND ($2::text IS NULL OR spire_entry_id > $2)"
                            + " ORDER BY spire_entry_id LIMIT $3")
                    .execute(Tuple.of(siteId, afterId, limit)))
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

  /**
   * What the backend knows of a site's agent.
   *
   * @param agentId the holder (or last holder) of the lease
   * @param version its version
   * @param connected whether its lease is current
   * @param lastPollAt its last poll, or null
   * @param spireReachable whether its last SPIRE call succeeded
   * @param spireError its last SPIRE error, or empty
   * @param unmanagedCount unmanaged SPIRE entries at its last full reconcile
   * @param lastReconcileAt its last full reconcile, or null
   */
  public record AgentStatus(
      String agentId,
      String version,
      boolean connected,
      Instant lastPollAt,
      boolean spireReachable,
      String spireError,
      long unmanagedCount,
      Instant lastReconcileAt) {}

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

  /** The site's unmanaged-entry count at its last full reconcile (0 when never reconciled). */
  public Uni<Long> unmanagedCount(UUID siteId) {
    return status(siteId).map(s -> s == null ? 0L : s.unmanagedCount());
  }

  /** Fails with SITE_NOT_FOUND for an unknown site. */
  public Uni<Void> requireSite(UUID siteId) {
    return requireSite(pool, siteId);
  }

  private static Uni<Void> requireSite(SqlClient client, UUID siteId) {
    return client
        .preparedQuery("SELECT 1 FROM sites WHERE id = $1")
        .execute(Tuple.of(siteId))
        .map(
            (RowSet<Row> rows) -> {
              if (rows.rowCount() == 0) {
                throw siteNotFound(siteId);
              }
              return null;
            });
  }

  private static ApiException siteNotFound(UUID siteId) {
    return ApiException.field(ErrorReason.SITE_NOT_FOUND, "site_id", "no site has id " + siteId);
  }

  private static Instant instant(Row row, String column) {
    OffsetDateTime t = row.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }
}
