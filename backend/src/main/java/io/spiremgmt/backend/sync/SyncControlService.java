package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.entry.EntrySiteEntity.SyncState;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.notify.SiteNotifier;
import io.spiremgmt.backend.site.SiteEntity;
import io.spiremgmt.backend.site.SiteRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
  private final SyncQueueRepository queue;
  private final SiteNotifier notifier;
  private final AuditRepository audit;

  SyncControlService(
      Mutiny.SessionFactory sessions,
      SiteRepository sites,
      SyncQueueRepository queue,
      SiteNotifier notifier,
      AuditRepository audit) {
    this.sessions = sessions;
    this.sites = sites;
    this.queue = queue;
    this.notifier = notifier;
    this.audit = audit;
  }

  /**
   * Makes the given sites' failed changes (only those of {@code entryIds}, when given) due now and
   * wakes the sites' agents, audited as {@code sync.trigger} per site in the same transaction; the
   * number of changes whose backoff was reset.
   */
  public Uni<Long> trigger(Caller caller, List<UUID> siteIds, List<UUID> entryIds) {
    List<UUID> distinct = List.copyOf(new LinkedHashSet<>(siteIds));
    // One request id ties the call's events (one per site) together.
    String requestId = UUID.randomUUID().toString();
    return sessions.withTransaction(
        (s, tx) ->
            requireSites(s, distinct)
                .chain(() -> queue.resetBackoff(s, distinct, entryIds))
                .call(
                    reset ->
                        Multi.createFrom()
                            .iterable(distinct)
                            .onItem()
                            .transformToUniAndConcatenate(
                                site ->
                                    audit.append(
                                        s,
                                        new AuditRecord(
                                            caller.name(),
                                            AuditAction.SYNC_TRIGGER,
                                            site.toString(),
                                            requestId,
                                            null,
                                            triggerJson(
                                                site, entryIds, reset.getOrDefault(site, 0L)))))
                            .collect()
                            .last())
                .call(() -> notifier.notifySites(s, distinct, "trigger"))
                .map(reset -> reset.values().stream().mapToLong(Long::longValue).sum()));
  }

  /** The {@code after} of a {@code sync.trigger} event. */
  private static String triggerJson(UUID siteId, List<UUID> entryIds, long resetCount) {
    JsonObject after = new JsonObject().put("site_id", siteId.toString());
    if (!entryIds.isEmpty()) {
      after.put("entry_ids", new JsonArray(entryIds.stream().map(UUID::toString).toList()));
    }
    return after.put("reset_count", resetCount).encode();
  }

  /**
   * Counts per state for each site (all sites when none are given), the oldest wait, and failing
   * pairs.
   */
  public Uni<Status> status(List<UUID> siteIds) {
    return sessions.withSession(
        s ->
            requireSites(s, siteIds)
                .chain(() -> queue.countByState(s, siteIds))
                .chain(
                    counts ->
                        queue
                            .failing(s, siteIds, MAX_FAILING)
                            .map(failing -> toStatus(siteIds, counts, failing))));
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
      List<SyncQueueRepository.StateCount> counts,
      List<EntrySiteEntity> failing) {
    Map<UUID, Counts> bySite = new LinkedHashMap<>();
    siteIds.forEach(id -> bySite.put(id, new Counts()));
    Counts overall = new Counts();
    for (SyncQueueRepository.StateCount c : counts) {
      bySite
          .computeIfAbsent(c.siteId(), k -> new Counts())
          .add(c.state(), c.count(), c.oldestChange());
      overall.add(c.state(), c.count(), c.oldestChange());
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

    void add(SyncState state, long n, Instant oldest) {
      switch (state) {
        case PENDING -> pending += n;
        case SYNCED -> synced += n;
        case FAILED -> failed += n;
        case DELETING -> deleting += n;
      }
      boolean waiting = state == SyncState.PENDING || state == SyncState.DELETING;
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
