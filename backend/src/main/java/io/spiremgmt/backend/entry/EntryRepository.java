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

  /**
   * Whether site {@code siteId} holds entry {@code entryId} in state DELETING: a plain read that
   * locks nothing and loads no entity into the session.
   */
  public Uni<Boolean> deletingAt(Mutiny.Session s, UUID entryId, UUID siteId) {
    return s.createSelectionQuery(
            "select r.entryId from EntrySiteEntity r where r.entryId = :entry"
                + " and r.siteId = :site and r.syncState = :state",
            UUID.class)
        .setParameter("entry", entryId)
        .setParameter("site", siteId)
        .setParameter("state", EntrySiteEntity.SyncState.DELETING)
        .getResultList()
        .map(ids -> !ids.isEmpty());
  }

  /** The per-site rows of one entry (a plain read). */
  public Uni<List<EntrySiteEntity>> siteRows(Mutiny.Session s, UUID entryId) {
    return s.createSelectionQuery("from EntrySiteEntity where entryId = :id", EntrySiteEntity.class)
        .setParameter("id", entryId)
        .getResultList();
  }

  /**
   * Locks the per-site rows of one entry (whose entry row the caller locked) for update, in site id
   * order: the rows' one lock order (entry id, then site id), which reports and TriggerSync follow
   * too, so no two of them deadlock. Run before the rows are read into the session, so what is read
   * next is their current state.
   */
  public Uni<Void> lockSiteRows(Mutiny.Session s, UUID entryId) {
    return s.createNativeQuery(
            "SELECT site_id FROM workload_entry_sites WHERE workload_entry_id = :id"
                + " ORDER BY site_id FOR UPDATE",
            UUID.class)
        .setParameter("id", entryId)
        .getResultList()
        .replaceWithVoid();
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
                  es.getSpireEntryId(),
                  es.getAttempts()));
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
}
