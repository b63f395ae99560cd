package io.spiremgmt.backend.sync.lease;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.site.AgentStatus;
import io.spiremgmt.backend.site.SiteAgents;
import io.spiremgmt.backend.sync.SyncConfig;
import io.spiremgmt.backend.sync.SyncRequestValidator;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

/**
 * The per-site lease that lets one agent instance apply changes, and the agent's reported state:
 * grants and renewals (a new tenure audited as {@code site.agent_lease} in the same transaction),
 * the fence every lease-holder call passes first, finished reconciles with their unmanaged entries,
 * and the agent's status for site health.
 */
@ApplicationScoped
public class LeaseService implements SiteAgents {
  private static final Logger LOG = Logger.getLogger(LeaseService.class);

  private final Pool pool;
  private final SiteAgentRepository agents;
  private final AuditRepository audit;
  private final Duration leaseTtl;

  LeaseService(Pool pool, SiteAgentRepository agents, AuditRepository audit, SyncConfig config) {
    this.pool = pool;
    this.agents = agents;
    this.audit = audit;
    this.leaseTtl = config.leaseTtl();
  }

  /**
   * A site's lease as seen by one agent.
   *
   * @param held whether that agent holds it
   * @param holder the agent instance holding it
   * @param expiresAt when it ends unless renewed
   * @param ttl how long a grant lasts
   */
  public record Grant(boolean held, String holder, Instant expiresAt, Duration ttl) {}

  /**
   * An agent's lease request.
   *
   * @param siteId its site
   * @param agentId the agent instance
   * @param version the agent's version
   * @param spireReachable whether its SPIRE server answered its last call
   * @param spireError the last SPIRE error, or empty
   */
  public record Request(
      UUID siteId, String agentId, String version, boolean spireReachable, String spireError) {}

  /**
   * Grants or renews the site's lease to the agent unless another agent holds an unexpired one, and
   * records the agent's view of its SPIRE server.
   */
  public Uni<Grant> acquire(Caller caller, Request r) {
    return requireSite(r.siteId())
        .chain(
            () ->
                pool.withTransaction(
                    tx ->
                        agents
                            .acquire(
                                tx,
                                r.siteId(),
                                r.agentId(),
                                r.version(),
                                leaseTtl,
                                r.spireReachable(),
                                r.spireError())
                            .call(got -> auditTakeover(tx, caller, r, got))))
        .invoke(
            got -> {
              if (got.granted() && got.taken()) {
                LOG.infof(
                    "site %s: agent %s took the lease%s",
                    r.siteId(),
                    r.agentId(),
                    got.previous() == null ? "" : " from " + got.previous());
              }
            })
        .chain(
            got ->
                got.granted()
                    ? Uni.createFrom().item(new Grant(true, r.agentId(), got.expiresAt(), leaseTtl))
                    : agents
                        .holder(r.siteId())
                        .map(h -> new Grant(false, h.agentId(), h.expiresAt(), leaseTtl)));
  }

  private Uni<Void> auditTakeover(
      SqlClient tx, Caller caller, Request r, SiteAgentRepository.Acquired got) {
    if (!got.granted() || !got.taken()) {
      return Uni.createFrom().voidItem();
    }
    return audit.appendAll(
        tx,
        List.of(
            new AuditRecord(
                caller.name(),
                AuditAction.SITE_AGENT_LEASE,
                r.siteId().toString(),
                // A fresh id: the agent id (up to 128 characters) is in the after-state, and a
                // prefixed copy of it would overflow the request id column.
                UUID.randomUUID().toString(),
                got.previous() == null
                    ? null
                    : new JsonObject().put("agent_id", got.previous()).encode(),
                new JsonObject().put("agent_id", r.agentId()).encode())));
  }

  /**
   * Fails with SITE_NOT_FOUND for an unknown site and LEASE_NOT_HELD unless {@code agentId} holds
   * the site's lease now; records a poll when {@code poll} is set. Runs on {@code client}, so a
   * caller can fence inside its own transaction.
   */
  public Uni<Void> requireHolder(SqlClient client, UUID siteId, String agentId, boolean poll) {
    return agents
        .fence(client, siteId, agentId, poll)
        .invoke(f -> check(f, siteId, agentId))
        .replaceWithVoid();
  }

  /** {@link #requireHolder(SqlClient, UUID, String, boolean)} in the session's transaction. */
  public Uni<Void> requireHolder(Mutiny.Session s, UUID siteId, String agentId) {
    return agents
        .fence(s, siteId, agentId)
        .invoke(f -> check(f, siteId, agentId))
        .replaceWithVoid();
  }

  /** {@link #requireHolder(SqlClient, UUID, String, boolean)} on the pool. */
  public Uni<Void> requireHolder(UUID siteId, String agentId, boolean poll) {
    return requireHolder(pool, siteId, agentId, poll);
  }

  private static void check(SiteAgentRepository.Fence f, UUID siteId, String agentId) {
    if (!f.siteExists()) {
      throw siteNotFound(siteId);
    }
    if (!f.held()) {
      throw ApiException.field(
          ErrorReason.LEASE_NOT_HELD,
          "agent_id",
          "agent "
              + agentId
              + " does not hold the lease of site "
              + siteId
              + "; call AcquireLease and stand by while another agent holds it");
    }
  }

  /**
   * A finished full reconcile, as reported by the lease holder: the whole report, or one part of a
   * report sent in parts.
   *
   * @param siteId the site
   * @param agentId the agent
   * @param reconcileId the reconcile a part belongs to, or null for a report in one message
   * @param last whether this is the report's last (or only) part
   * @param unmanagedCount how many SPIRE entries it does not manage (read from the last part)
   * @param unmanaged those listed in this message (at most the report's limit)
   */
  public record Reconcile(
      UUID siteId,
      String agentId,
      String reconcileId,
      boolean last,
      long unmanagedCount,
      List<Unmanaged> unmanaged) {}

  /**
   * Records a finished full reconcile by the lease holder, in one transaction that also checks the
   * lease. A report in one message replaces the site's unmanaged entries and stamps the time. A
   * part of a report sent in parts is staged out of sight (discarding what another reconcile
   * staged); the last part moves every staged entry of its reconcile into the site's list and
   * stamps the time. A part of the reconcile recorded last is a repeat and changes nothing.
   */
  public Uni<Void> recordReconcile(Reconcile r) {
    return pool.withTransaction(
        tx ->
            requireHolder(tx, r.siteId(), r.agentId(), false)
                .chain(() -> r.reconcileId() == null ? recordWhole(tx, r) : recordPart(tx, r)));
  }

  private Uni<Void> recordWhole(SqlClient tx, Reconcile r) {
    return agents
        .discardStaged(tx, r.siteId())
        .chain(() -> agents.replaceUnmanaged(tx, r.siteId(), r.unmanaged()))
        .chain(() -> agents.stampReconcile(tx, r.siteId(), r.unmanagedCount(), null));
  }

  private Uni<Void> recordPart(SqlClient tx, Reconcile r) {
    return agents
        .lastReconcileId(tx, r.siteId())
        .chain(
            recorded -> {
              if (r.reconcileId().equals(recorded)) {
                // A retry after a lost answer: this reconcile is already the site's list.
                return Uni.createFrom().voidItem();
              }
              Uni<Void> staged =
                  agents
                      .stage(tx, r.siteId(), r.reconcileId(), r.unmanaged())
                      .invoke(listed -> checkListed(r, listed))
                      .replaceWithVoid();
              return r.last()
                  ? staged
                      .chain(() -> agents.publishStaged(tx, r.siteId(), r.reconcileId()))
                      .chain(
                          () ->
                              agents.stampReconcile(
                                  tx, r.siteId(), r.unmanagedCount(), r.reconcileId()))
                  : staged;
            });
  }

  // Throwing rolls the part back, so a refused part stages nothing.
  private static void checkListed(Reconcile r, long listed) {
    if (listed > SyncRequestValidator.MAX_UNMANAGED) {
      throw ApiException.field(
          ErrorReason.BATCH_TOO_LARGE,
          "unmanaged_entries",
          "the parts of reconcile "
              + r.reconcileId()
              + " would list "
              + listed
              + " entries; list at most "
              + SyncRequestValidator.MAX_UNMANAGED
              + " over all parts and count the rest");
    }
    if (r.last() && r.unmanagedCount() < listed) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          "unmanaged_count",
          "counts "
              + r.unmanagedCount()
              + " entries but the parts of reconcile "
              + r.reconcileId()
              + " list "
              + listed
              + "; it must count at least the listed entries");
    }
  }

  /**
   * A page of a site's unmanaged entries with the count of the last reconcile.
   *
   * @param page the entries, by SPIRE id
   * @param total how many the last reconcile counted
   */
  public record UnmanagedPage(Page<Unmanaged> page, long total) {}

  /** A page of the site's unmanaged entries, by SPIRE entry id. */
  public Uni<UnmanagedPage> unmanaged(UUID siteId, int pageSize, String pageToken) {
    String filter = PageToken.describe("unmanaged", siteId);
    PageToken token = PageToken.decode(pageToken, filter, 1);
    String after = token == null ? null : token.keys().get(0);
    return requireSite(siteId)
        .chain(() -> agents.unmanaged(siteId, after, Page.fetchSize(pageSize)))
        .map(rows -> Page.of(rows, pageSize, filter, u -> List.of(u.spireEntryId())))
        .chain(
            page ->
                status(siteId)
                    .map(s -> new UnmanagedPage(page, s == null ? 0L : s.unmanagedCount())));
  }

  @Override
  public Uni<AgentStatus> status(UUID siteId) {
    return agents.status(siteId);
  }

  /** Fails with SITE_NOT_FOUND for an unknown site. */
  public Uni<Void> requireSite(UUID siteId) {
    return agents
        .siteExists(siteId)
        .invoke(
            exists -> {
              if (!exists) {
                throw siteNotFound(siteId);
              }
            })
        .replaceWithVoid();
  }

  private static ApiException siteNotFound(UUID siteId) {
    return ApiException.field(ErrorReason.SITE_NOT_FOUND, "site_id", "no site has id " + siteId);
  }
}
