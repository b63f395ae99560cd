package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.site.SiteEntity;
import io.spiremgmt.backend.site.SiteRepository;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/** TriggerSync and GetSyncStatus: operators nudging and watching sync. */
@ApplicationScoped
public class SyncControlService {
  /** Most failing pairs listed by GetSyncStatus. */
  public static final int MAX_FAILING = 100;

  private final Mutiny.SessionFactory sessions;
  private final SiteRepository sites;
  private final SiteNotifier notifier;

  SyncControlService(Mutiny.SessionFactory sessions, SiteRepository sites, SiteNotifier notifier) {
    this.sessions = sessions;
    this.sites = sites;
    this.notifier = notifier;
  }

  /**
   * Makes the given sites' failed changes (only those of {@code entryIds}, when given) due now and
   * wakes the sites' agents; the number of changes whose backoff was reset.
   */
  public Uni<Integer> trigger(List<UUID> siteIds, List<UUID> entryIds) {
    return sessions.withTransaction(
        (s, tx) ->
            requireSites(s, siteIds)
                .chain(
                    () -> {
                      String hql =
                          "update EntrySiteEntity set nextAttemptAt = null, attempts = 0"
                              + " where siteId in :sites and attempts > 0"
                              + (entryIds.isEmpty() ? "" : " and entryId in :entries");
                      Mutiny.MutationQuery q =
                          s.createMutationQuery(hql).setParameter("sites", siteIds);
                      if (!entryIds.isEmpty()) {
                        q.setParameter("entries", entryIds);
                      }
                      return q.executeUpdate();
                    })
                .call(() -> notifier.notifySites(s, siteIds, "trigger")));
  }

  /**
   * Counts per state for each site (all sites when none are given), the oldest wait, and failing
   * pairs.
   */
  public Uni<Status> status(List<UUID> siteIds) {
    return sessions.withSession(
        s ->
            requireSites(s, siteIds)
                .chain(
                    () ->
                        withSites(
                                s.createSelectionQuery(
                                    "select siteId, syncState, count(*), min(changedAt) from EntrySiteEntity"
                                        + (siteIds.isEmpty() ? "" : " where siteId in :sites")
                                        + " group by siteId, syncState",
                                    Object[].class),
                                siteIds)
                            .getResultList())
                .chain(
                    counts ->
                        withSites(
                                s.createSelectionQuery(
                                    "from EntrySiteEntity where attempts > 0"
                                        + (siteIds.isEmpty() ? "" : " and siteId in :sites")
                                        + " order by attempts desc, changedAt",
                                    io.spiremgmt.backend.entry.EntrySiteEntity.class),
                                siteIds)
                            .setMaxResults(MAX_FAILING)
                            .getResultList()
                            .map(failing -> toStatus(siteIds, counts, failing))));
  }

  private static <T> Mutiny.SelectionQuery<T> withSites(
      Mutiny.SelectionQuery<T> q, List<UUID> siteIds) {
    return siteIds.isEmpty() ? q : q.setParameter("sites", siteIds);
  }

  private Uni<Void> requireSites(Mutiny.Session s, List<UUID> siteIds) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (UUID id : siteIds) {
      chain =
          chain.chain(
              () ->
                  sites
                      .find(s, id)
                      .invoke(
                          (SiteEntity site) -> {
                            if (site == null) {
                              throw ApiException.field(
                                  ErrorReason.SITE_NOT_FOUND, "site_ids", "no site has id " + id);
                            }
                          })
                      .replaceWithVoid());
    }
    return chain;
  }

  private static Status toStatus(
      List<UUID> siteIds,
      List<Object[]> counts,
      List<io.spiremgmt.backend.entry.EntrySiteEntity> failing) {
    Map<UUID, Counts> bySite = new LinkedHashMap<>();
    siteIds.forEach(id -> bySite.put(id, new Counts()));
    Counts overall = new Counts();
    for (Object[] row : counts) {
      UUID site = (UUID) row[0];
      var state = (io.spiremgmt.backend.entry.EntrySiteEntity.SyncState) row[1];
      long n = ((Number) row[2]).longValue();
      Instant oldest = (Instant) row[3];
      bySite.computeIfAbsent(site, k -> new Counts()).add(state, n, oldest);
      overall.add(state, n, oldest);
    }
    List<Failing> failures = new ArrayList<>();
    failing.forEach(
        f ->
            failures.add(
                new Failing(
                    f.getEntryId(),
                    f.getSiteId(),
                    f.getLastError(),
                    f.getAttempts(),
                    Backoff.alerting(f.getAttempts()))));
    return new Status(overall, bySite, failures);
  }

  /** Counts per sync state and the oldest waiting change (PENDING or DELETING). */
  public static final class Counts {
    long pending;
    long synced;
    long failed;
    long deleting;
    Instant oldestWaiting;

    void add(io.spiremgmt.backend.entry.EntrySiteEntity.SyncState state, long n, Instant oldest) {
      switch (state) {
        case PENDING -> pending += n;
        case SYNCED -> synced += n;
        case FAILED -> failed += n;
        case DELETING -> deleting += n;
      }
      boolean waiting =
          state == io.spiremgmt.backend.entry.EntrySiteEntity.SyncState.PENDING
              || state == io.spiremgmt.backend.entry.EntrySiteEntity.SyncState.DELETING;
      if (waiting && (oldestWaiting == null || oldest.isBefore(oldestWaiting))) {
        oldestWaiting = oldest;
      }
    }

    public long pending() {
      return pending;
    }

    public long synced() {
      return synced;
    }

    public long failed() {
      return failed;
    }

    public long deleting() {
      return deleting;
    }

    public Instant oldestWaiting() {
      return oldestWaiting;
    }
  }

  /**
   * A pair with failed attempts.
   *
   * @param entryId the entry
   * @param siteId the site
   * @param lastError the last error reported
   * @param attempts failed attempts so far
   * @param alerting whether it is flagged for alerting
   */
  public record Failing(
      UUID entryId, UUID siteId, String lastError, int attempts, boolean alerting) {}

  /**
   * The sync status.
   *
   * @param overall counts over the requested sites
   * @param sites counts per site
   * @param failing pairs with failed attempts, most attempts first
   */
  public record Status(Counts overall, Map<UUID, Counts> sites, List<Failing> failing) {}
}
