package io.spiremgmt.backend.site;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/** Queries on sites. Callers own the session and transaction. */
@ApplicationScoped
public class SiteRepository {

  /** The site, or null. */
  public Uni<SiteEntity> find(Mutiny.Session s, UUID id) {
    return s.find(SiteEntity.class, id);
  }

  /**
   * The site locked {@code FOR SHARE}, or null: entries being written to it keep it from being
   * deleted or changed until they commit.
   */
  public Uni<SiteEntity> lockShared(Mutiny.Session s, UUID id) {
    return s.find(SiteEntity.class, id, LockModeType.PESSIMISTIC_READ);
  }

  /**
   * The sites among {@code ids} that exist, by id, locked {@code FOR SHARE} in id order, in one
   * statement on a Vert.x transaction: what {@link #lockShared(Mutiny.Session, UUID)} does for one
   * site, for every site of a batch of writes.
   */
  public Uni<Map<UUID, SiteEntity>> lockShared(SqlClient tx, Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(Map.of());
    }
    return tx.preparedQuery(
            "SELECT id, name, region, trust_domain, spire_server_addr, status, tier, parent_site_id,"
                + " revision, created_at, updated_at FROM sites WHERE id = ANY($1::uuid[])"
                + " ORDER BY id FOR SHARE")
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .map(
            rows -> {
              Map<UUID, SiteEntity> sites = new HashMap<>();
              for (Row r : rows) {
                SiteSpec spec =
                    new SiteSpec(
                        r.getString(1),
                        r.getString(2),
                        r.getString(3),
                        r.getString(4),
                        SiteEntity.Status.valueOf(r.getString(5)),
                        SiteEntity.Tier.valueOf(r.getString(6)),
                        r.getUUID(7));
                sites.put(
                    r.getUUID(0),
                    SiteEntity.stored(
                        r.getUUID(0),
                        spec,
                        r.getLong(8),
                        r.getOffsetDateTime(9).toInstant(),
                        r.getOffsetDateTime(10).toInstant()));
              }
              return sites;
            });
  }

  /** The site locked {@code FOR UPDATE}, or null. */
  public Uni<SiteEntity> lock(Mutiny.Session s, UUID id) {
    return s.find(SiteEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
  }

  /** The id of the site with this name other than {@code except}, or null. */
  public Uni<UUID> findByName(Mutiny.Session s, String name, UUID except) {
    return s.createSelectionQuery("select id from SiteEntity where name = :name", UUID.class)
        .setParameter("name", name)
        .getResultList()
        .map(ids -> ids.stream().filter(id -> !id.equals(except)).findFirst().orElse(null));
  }

  /** How many entries have a row (any state) at the site. */
  public Uni<Long> countEntries(Mutiny.Session s, UUID siteId) {
    return s.createSelectionQuery(
            "select count(*) from EntrySiteEntity where siteId = :id", Long.class)
        .setParameter("id", siteId)
        .getSingleResult();
  }

  /** How many sites name this one as their parent. */
  public Uni<Long> countChildren(Mutiny.Session s, UUID siteId) {
    return s.createSelectionQuery(
            "select count(*) from SiteEntity where parentSiteId = :id", Long.class)
        .setParameter("id", siteId)
        .getSingleResult();
  }

  /** A page of sites ordered by name, after {@code afterName} (null: from the start). */
  public Uni<List<SiteEntity>> page(
      Mutiny.Session s, SiteEntity.Status status, String trustDomain, String afterName, int limit) {
    StringBuilder hql = new StringBuilder("from SiteEntity where 1 = 1");
    if (status != null) {
      hql.append(" and status = :status");
    }
    if (trustDomain != null) {
      hql.append(" and trustDomain = :td");
    }
    if (afterName != null) {
      hql.append(" and name > :after");
    }
    hql.append(" order by name");
    Mutiny.SelectionQuery<SiteEntity> q = s.createSelectionQuery(hql.toString(), SiteEntity.class);
    if (status != null) {
      q.setParameter("status", status);
    }
    if (trustDomain != null) {
      q.setParameter("td", trustDomain);
    }
    if (afterName != null) {
      q.setParameter("after", afterName);
    }
    return q.setMaxResults(limit).getResultList();
  }

  /**
   * Counts of the site's entry rows per sync state, plus the oldest waiting change and the last
   * sync.
   */
  public Uni<SiteBacklog> backlog(Mutiny.Session s, UUID siteId) {
    return s.createSelectionQuery(
            "select"
                + " sum(case when syncState = PENDING then 1 else 0 end),"
                + " sum(case when syncState = SYNCED then 1 else 0 end),"
                + " sum(case when syncState = FAILED then 1 else 0 end),"
                + " sum(case when syncState = DELETING then 1 else 0 end),"
                + " min(case when syncState in (PENDING, DELETING) then changedAt end),"
                + " max(lastSyncAt)"
                + " from EntrySiteEntity where siteId = :id",
            Object[].class)
        .setParameter("id", siteId)
        .getSingleResult()
        .map(
            r ->
                new SiteBacklog(
                    count(r[0]),
                    count(r[1]),
                    count(r[2]),
                    count(r[3]),
                    (Instant) r[4],
                    (Instant) r[5]));
  }

  /**
   * A site's sync backlog counting only the entries in one of {@code namespaces}: those with a
   * selector {@code k8s:ns:<N>} (canonical form {@code type:value}, either spelling), the rule of
   * {@code entry.EntryScope} and of a Developer's ListEntries.
   */
  public Uni<SiteBacklog> backlog(Mutiny.Session s, UUID siteId, Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      return Uni.createFrom().item(new SiteBacklog(0, 0, 0, 0, null, null));
    }
    return s.createNativeQuery(
            "SELECT count(*) FILTER (WHERE ws.sync_status = 'PENDING'),"
                + " count(*) FILTER (WHERE ws.sync_status = 'SYNCED'),"
                + " count(*) FILTER (WHERE ws.sync_status = 'FAILED'),"
                + " count(*) FILTER (WHERE ws.sync_status = 'DELETING'),"
                + " CAST(EXTRACT(EPOCH FROM min(ws.changed_at) FILTER (WHERE ws.sync_status IN"
                + " ('PENDING', 'DELETING'))) * 1000000 AS bigint),"
                + " CAST(EXTRACT(EPOCH FROM max(ws.last_sync_at)) * 1000000 AS bigint)"
                + " FROM workload_entry_sites ws WHERE ws.site_id = :id AND EXISTS (SELECT 1"
                + " FROM workload_entry_selectors v WHERE v.workload_entry_id = ws.workload_entry_id"
                + " AND v.type || ':' || v.value IN (:canonical))",
            Object[].class)
        .setParameter("id", siteId)
        .setParameter("canonical", namespaces.stream().map(ns -> "k8s:ns:" + ns).toList())
        .getSingleResult()
        .map(
            r ->
                new SiteBacklog(
                    count(r[0]),
                    count(r[1]),
                    count(r[2]),
                    count(r[3]),
                    instant(r[4]),
                    instant(r[5])));
  }

  private static Instant instant(Object micros) {
    return micros == null
        ? null
        : Instant.EPOCH.plus(((Number) micros).longValue(), ChronoUnit.MICROS);
  }

  private static long count(Object value) {
    return value == null ? 0 : ((Number) value).longValue();
  }

  /**
   * A site's sync backlog.
   *
   * @param pending PENDING rows
   * @param synced SYNCED rows
   * @param failed FAILED rows
   * @param deleting DELETING rows
   * @param oldestPending when the oldest PENDING or DELETING row changed, or null
   * @param lastSync the last successful sync, or null
   */
  public record SiteBacklog(
      long pending,
      long synced,
      long failed,
      long deleting,
      Instant oldestPending,
      Instant lastSync) {}
}
