package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The approval policy's tables ({@code approval_policy}, one row, and {@code
 * site_approval_policies}), in the session's transaction (or a Vert.x transaction's, for a batch of
 * direct writes).
 */
@ApplicationScoped
public class ApprovalPolicyRepository {
  private static final String RULES =
      "SELECT rule_admin_or_downstream, rule_ttl_above_threshold, ttl_threshold_seconds,"
          + " rule_dns_names, rule_federates_with, revision, updated_by, updated_at"
          + " FROM approval_policy WHERE id = 1";

  private static final String SITES =
      "SELECT p.site_id, s.name, p.mode, p.approvals_required"
          + " FROM site_approval_policies p JOIN sites s ON s.id = p.site_id";

  /** The policy as committed (a plain read). */
  public Uni<ApprovalPolicy> load(Mutiny.Session s) {
    return load(s, RULES, null);
  }

  /**
   * The policy as committed with only the settings of {@code sites} (what one change needs: every
   * direct write asks, so it reads no other site's row).
   */
  public Uni<ApprovalPolicy> loadFor(Mutiny.Session s, List<UUID> sites) {
    return load(s, RULES, sites);
  }

  /** The policy, its row locked for update (UpdateApprovalPolicy's revision check). */
  public Uni<ApprovalPolicy> lock(Mutiny.Session s) {
    return load(s, RULES + " FOR UPDATE", null);
  }

  /**
   * {@link #loadFor(Mutiny.Session, List)} on a Vert.x transaction, for a batch of writes: both of
   * its statements sent at once (pipelined on the connection).
   */
  public Uni<ApprovalPolicy> loadFor(SqlClient tx, Collection<UUID> sites) {
    Uni<Object[]> rules =
        tx.preparedQuery(RULES).execute().map(rows -> values(rows.iterator().next()));
    Uni<List<Object[]>> siteRows =
        tx.preparedQuery(SITES + " WHERE p.site_id = ANY($1::uuid[]) ORDER BY s.name COLLATE \"C\"")
            .execute(Tuple.of(sites.toArray(UUID[]::new)))
            .map(
                rows -> {
                  List<Object[]> list = new ArrayList<>();
                  rows.forEach(row -> list.add(values(row)));
                  return list;
                });
    return Uni.combine().all().unis(rules, siteRows).with(ApprovalPolicyRepository::policy);
  }

  private static Object[] values(Row row) {
    Object[] values = new Object[row.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = row.getValue(i);
    }
    return values;
  }

  private Uni<ApprovalPolicy> load(Mutiny.Session s, String rulesQuery, List<UUID> only) {
    Mutiny.SelectionQuery<Object[]> siteQuery =
        s.createNativeQuery(
            SITES
                + (only == null
                    ? ""
                    : " WHERE p.site_id = ANY(CAST(string_to_array(:ids, ',') AS uuid[]))")
                + " ORDER BY s.name COLLATE \"C\"",
            Object[].class);
    if (only != null) {
      siteQuery.setParameter("ids", String.join(",", only.stream().map(UUID::toString).toList()));
    }
    return s.createNativeQuery(rulesQuery, Object[].class)
        .getSingleResult()
        .chain(r -> siteQuery.getResultList().map(rows -> policy(r, rows)));
  }

  /** The policy from its rules row and its site rows (the columns of RULES and SITES). */
  private static ApprovalPolicy policy(Object[] r, List<Object[]> rows) {
    return new ApprovalPolicy(
        new ApprovalPolicy.Rules(
            (Boolean) r[0],
            (Boolean) r[1],
            ((Number) r[2]).intValue(),
            (Boolean) r[3],
            (Boolean) r[4]),
        rows.stream()
            .map(
                p ->
                    new ApprovalPolicy.SitePolicy(
                        (UUID) p[0],
                        (String) p[1],
                        ApprovalPolicy.Mode.valueOf((String) p[2]),
                        ((Number) p[3]).intValue()))
            .toList(),
        ((Number) r[5]).longValue(),
        (String) r[6],
        SqlTime.instant(r[7]));
  }

  /** The ids among {@code ids} that name no site. */
  public Uni<List<UUID>> unknownSites(Mutiny.Session s, List<UUID> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return s.createNativeQuery(
            "SELECT x.id FROM unnest(CAST(string_to_array(:ids, ',') AS uuid[])) AS x(id)"
                + " WHERE NOT EXISTS (SELECT 1 FROM sites WHERE sites.id = x.id)",
            UUID.class)
        .setParameter("ids", String.join(",", ids.stream().map(UUID::toString).toList()))
        .getResultList();
  }

  /**
   * Replaces the stored policy with {@code policy} (its sites and rules), one revision on; the row
   * must be locked ({@link #lock}).
   */
  public Uni<Void> save(Mutiny.Session s, ApprovalPolicy policy, String actor, Instant now) {
    ApprovalPolicy.Rules r = policy.rules();
    Uni<Integer> rules =
        s.createNativeQuery(
                "UPDATE approval_policy SET rule_admin_or_downstream = :admin,"
                    + " rule_ttl_above_threshold = :ttl, ttl_threshold_seconds = :threshold,"
                    + " rule_dns_names = :dns, rule_federates_with = :fed,"
                    + " revision = revision + 1, updated_by = :actor, updated_at = :now"
                    + " WHERE id = 1")
            .setParameter("admin", r.adminOrDownstream())
            .setParameter("ttl", r.ttlAboveThreshold())
            .setParameter("threshold", r.ttlThresholdSeconds())
            .setParameter("dns", r.dnsNames())
            .setParameter("fed", r.federatesWith())
            .setParameter("actor", actor)
            .setParameter("now", now)
            .executeUpdate();
    Uni<Integer> clear = s.createNativeQuery("DELETE FROM site_approval_policies").executeUpdate();
    Uni<Void> chain = rules.chain(() -> clear).replaceWithVoid();
    for (ApprovalPolicy.SitePolicy site : policy.sites()) {
      chain =
          chain.chain(
              () ->
                  s.createNativeQuery(
                          "INSERT INTO site_approval_policies (site_id, mode, approvals_required)"
                              + " VALUES (:site, :mode, :approvals)")
                      .setParameter("site", site.siteId())
                      .setParameter("mode", site.mode().name())
                      .setParameter("approvals", (short) site.approvals())
                      .executeUpdate()
                      .replaceWithVoid());
    }
    return chain;
  }
}
