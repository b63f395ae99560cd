package io.spiremgmt.backend.entry;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Queries on entries, their selectors and their per-site rows. Callers own the session and
 * transaction.
 */
@ApplicationScoped
public class EntryRepository {

  /** The entry, or null. */
  public Uni<WorkloadEntryEntity> find(Mutiny.Session s, UUID id) {
    return s.find(WorkloadEntryEntity.class, id);
  }

  /** The entry locked for update ({@code SELECT ... FOR UPDATE}), or null. */
  public Uni<WorkloadEntryEntity> lock(Mutiny.Session s, UUID id) {
    return s.find(WorkloadEntryEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
  }

  /** The id of the entry with this "similar" key other than {@code except}, or null. */
  public Uni<UUID> findSimilar(Mutiny.Session s, String similarKey, UUID except) {
    return s.createSelectionQuery(
            "select e.id from WorkloadEntryEntity e where e.similarKey = :key", UUID.class)
        .setParameter("key", similarKey)
        .getResultList()
        .map(ids -> ids.stream().filter(id -> !id.equals(except)).findFirst().orElse(null));
  }

  /** The selector rows of the given entries. */
  public Uni<List<EntrySelectorEntity>> selectorRows(Mutiny.Session s, Collection<UUID> entryIds) {
    return s.createSelectionQuery(
            "from EntrySelectorEntity where entryId in :ids order by entryId, position",
            EntrySelectorEntity.class)
        .setParameter("ids", entryIds)
        .getResultList();
  }

  /** The per-site rows of one entry. */
  public Uni<List<EntrySiteEntity>> siteRows(Mutiny.Session s, UUID entryId) {
    return s.createSelectionQuery("from EntrySiteEntity where entryId = :id", EntrySiteEntity.class)
        .setParameter("id", entryId)
        .getResultList();
  }

  /** Deletes an entry row and its selector and site rows. */
  public Uni<Void> purge(Mutiny.Session s, WorkloadEntryEntity entry) {
    return s.createMutationQuery("delete from EntrySelectorEntity where entryId = :id")
        .setParameter("id", entry.getId())
        .executeUpdate()
        .chain(
            () ->
                s.createMutationQuery("delete from EntrySiteEntity where entryId = :id")
                    .setParameter("id", entry.getId())
                    .executeUpdate())
        .chain(() -> s.remove(entry));
  }

  /** Views of the given entries, in the given order. */
  public Uni<List<EntryView>> views(Mutiny.Session s, List<WorkloadEntryEntity> entries) {
    if (entries.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    List<UUID> ids = entries.stream().map(WorkloadEntryEntity::getId).toList();
    return selectorRows(s, ids)
        .chain(
            selectorRows ->
                s.createSelectionQuery(
                        "select es, site.name from EntrySiteEntity es, SiteEntity site"
                            + " where site.id = es.siteId and es.entryId in :ids",
                        Object[].class)
                    .setParameter("ids", ids)
                    .getResultList()
                    .map(siteRows -> assemble(entries, selectorRows, siteRows)));
  }

  private static List<EntryView> assemble(
      List<WorkloadEntryEntity> entries,
      List<EntrySelectorEntity> selectorRows,
      List<Object[]> siteRows) {
    Map<UUID, List<SelectorValue>> selectors = new HashMap<>();
    for (EntrySelectorEntity row : selectorRows) {
      selectors.computeIfAbsent(row.getEntryId(), k -> new ArrayList<>()).add(row.toValue());
    }
    Map<UUID, List<EntryView.SiteState>> sites = new HashMap<>();
    for (Object[] row : siteRows) {
      EntrySiteEntity es = (EntrySiteEntity) row[0];
      sites
          .computeIfAbsent(es.getEntryId(), k -> new ArrayList<>())
          .add(
              new EntryView.SiteState(
                  es.getSiteId(),
                  (String) row[1],
                  es.getSyncState(),
                  es.getLastSyncAt(),
                  es.getLastError(),
                  es.getSpireEntryId()));
    }
    Map<UUID, EntryView> views = new LinkedHashMap<>();
    for (WorkloadEntryEntity e : entries) {
      List<EntryView.SiteState> entrySites = sites.getOrDefault(e.getId(), new ArrayList<>());
      entrySites.sort(Comparator.comparing(EntryView.SiteState::siteName));
      views.put(
          e.getId(),
          new EntryView(e, selectors.getOrDefault(e.getId(), List.of()), List.copyOf(entrySites)));
    }
    return List.copyOf(views.values());
  }

  /**
   * One page of entries matching {@code filter}, after the keyset position {@code after} (null for
   * the first page), at most {@code limit} rows. Never uses OFFSET: every filter has an index that
   * yields rows in key order (see the V1 migration).
   */
  public Uni<List<WorkloadEntryEntity>> page(
      Mutiny.Session s, EntryFilter filter, EntryKey after, int limit) {
    StringBuilder from = new StringBuilder("SELECT e.* FROM workload_entries e");
    List<String> where = new ArrayList<>();
    Map<String, Object> params = new HashMap<>();
    String idKey = "e.id";

    if (filter.siteId() != null) {
      from.append(
          " JOIN workload_entry_sites ds ON ds.workload_entry_id = e.id AND ds.site_id = :site");
      params.put("site", filter.siteId());
      if (filter.state() != null) {
        from.append(" AND ds.sync_status = :state");
        params.put("state", filter.state().name());
      }
      idKey = "ds.workload_entry_id";
    } else if (filter.state() != null) {
      where.add(
          "EXISTS (SELECT 1 FROM workload_entry_sites st WHERE st.workload_entry_id = e.id"
              + " AND st.sync_status = :state)");
      params.put("state", filter.state().name());
    }

    List<SelectorValue> selectors = filter.selectors();
    if (!selectors.isEmpty()) {
      switch (filter.match()) {
        case EXACT -> {
          where.add("e.selectors_hash = :selectorsHash");
          params.put("selectorsHash", SelectorValue.setHash(selectors));
        }
        case SUPERSET -> {
          for (int i = 0; i < selectors.size(); i++) {
            params.put("sel" + i, selectors.get(i).hash());
          }
          int first = 0;
          if (filter.siteId() == null) {
            from.append(
                " JOIN workload_entry_selectors s0 ON s0.workload_entry_id = e.id AND s0.selector_hash = :sel0");
            idKey = "s0.workload_entry_id";
            first = 1;
          }
          for (int i = first; i < selectors.size(); i++) {
            where.add(
                "EXISTS (SELECT 1 FROM workload_entry_selectors s WHERE s.workload_entry_id = e.id"
                    + " AND s.selector_hash = :sel"
                    + i
                    + ")");
          }
        }
        case SUBSET -> {
          List<String> names = new ArrayList<>();
          for (int i = 0; i < selectors.size(); i++) {
            params.put("sel" + i, selectors.get(i).hash());
            names.add(":sel" + i);
          }
          String in = String.join(", ", names);
          where.add(
              "EXISTS (SELECT 1 FROM workload_entry_selectors s WHERE s.workload_entry_id = e.id"
                  + " AND s.selector_hash IN ("
                  + in
                  + "))");
          where.add(
              "NOT EXISTS (SELECT 1 FROM workload_entry_selectors x WHERE x.workload_entry_id = e.id"
                  + " AND x.selector_hash NOT IN ("
                  + in
                  + "))");
        }
      }
    }
    if (filter.spiffeId() != null) {
      where.add("e.spiffe_id = :spiffeId");
      params.put("spiffeId", filter.spiffeId());
    }
    if (filter.spiffeIdPrefix() != null) {
      where.add("e.spiffe_id >= :prefixLow AND e.spiffe_id < :prefixHigh");
      params.put("prefixLow", filter.spiffeIdPrefix());
      params.put("prefixHigh", filter.spiffeIdPrefix() + '\uffff');
    }
    if (filter.parentId() != null) {
      where.add("e.parent_id = :parentId");
      params.put("parentId", filter.parentId());
    }

    String order;
    if (filter.orderedBySpiffeId()) {
      if (after != null) {
        where.add("(e.spiffe_id, e.id) > (:afterSpiffeId, :afterId)");
        params.put("afterSpiffeId", after.spiffeId());
        params.put("afterId", after.id());
      }
      order = " ORDER BY e.spiffe_id, e.id";
    } else {
      if (after != null) {
        where.add(idKey + " > :afterId");
        params.put("afterId", after.id());
      }
      order = " ORDER BY " + idKey;
    }
    StringBuilder sql = new StringBuilder(from);
    if (!where.isEmpty()) {
      sql.append(" WHERE ").append(String.join(" AND ", where));
    }
    sql.append(order).append(" LIMIT ").append(limit);

    Mutiny.SelectionQuery<WorkloadEntryEntity> query =
        s.createNativeQuery(sql.toString(), WorkloadEntryEntity.class);
    params.forEach(query::setParameter);
    return query.getResultList();
  }

  /**
   * A keyset position: the last entry of a page.
   *
   * @param spiffeId its SPIFFE ID (used when ordering by SPIFFE ID)
   * @param id its id
   */
  public record EntryKey(String spiffeId, UUID id) {}
}
