package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.entry.EntryReader;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.entry.EntryView;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.sync.lease.LeaseService;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Answers an agent's long poll: the site's due work (PENDING and DELETING rows, and FAILED ones
 * whose backoff has expired), at once when there is some, otherwise after the next NOTIFY on the
 * site's channel or the caller's wait, whichever comes first. Also serves the site's desired state
 * page by page for a full reconcile.
 */
@ApplicationScoped
public class SyncPollService {
  /** Most changes in one answer. */
  public static final int MAX_CHANGES = 500;

  /**
   * Most bytes of entries in one poll answer or desired-state page, well under the agent's 4 MiB
   * inbound limit. An answer always carries at least one entry (at most {@link
   * io.spiremgmt.backend.entry.EntryValidator#MAX_ENTRY_BYTES} plus what the service adds), so sync
   * always progresses.
   */
  public static final int MAX_ANSWER_BYTES = 1024 * 1024;

  /** Desired-state entries per page when the agent names no page size. */
  public static final int DEFAULT_SITE_PAGE = 500;

  private final EntryReader reader;
  private final SiteWakeups wakeups;
  private final SyncQueueRepository queue;
  private final LeaseService leases;

  SyncPollService(
      EntryReader reader, SiteWakeups wakeups, SyncQueueRepository queue, LeaseService leases) {
    this.reader = reader;
    this.wakeups = wakeups;
    this.queue = queue;
    this.leases = leases;
  }

  /**
   * One change for the agent.
   *
   * @param delete whether the entry must be removed (else created or updated)
   * @param entry the entry as stored
   * @param revision the revision to report the result for
   */
  public record Change(boolean delete, EntryView entry, long revision) {}

  /**
   * The site's due changes for the lease holder {@code agentId}, waiting up to {@code wait} (the
   * caller has capped it at {@link SyncRequestValidator#MAX_WAIT}) for some to appear.
   */
  public Uni<List<Change>> poll(UUID siteId, String agentId, Duration wait) {
    return leases
        .requireHolder(siteId, agentId, true)
        .chain(() -> due(siteId))
        .chain(
            first -> {
              if (!first.isEmpty() || wait.isZero()) {
                return Uni.createFrom().item(first);
              }
              // A failed change whose backoff ends before the deadline ends the wait then: no
              // NOTIFY announces that it is due again. The wake-up is armed before the second
              // look, so a write committed in between is not missed.
              return queue
                  .nextRetryAt(siteId)
                  .map(next -> untilRetry(next, wait))
                  .chain(waitFor -> wakeups.arm(siteId, waitFor))
                  .chain(
                      wakeup ->
                          due(siteId)
                              .chain(
                                  changes -> {
                                    if (!changes.isEmpty()) {
                                      wakeup.cancel();
                                      return Uni.createFrom().item(changes);
                                    }
                                    return wakeup.await().chain(() -> due(siteId));
                                  }));
            });
  }

  private static Duration untilRetry(Instant next, Duration wait) {
    if (next == null) {
      return wait;
    }
    Duration left = Duration.between(Instant.now(), next);
    Duration retry = left.isNegative() ? Duration.ofMillis(1) : left.plusMillis(5);
    return retry.compareTo(wait) > 0 ? wait : retry;
  }

  /**
   * An entry a site must hold.
   *
   * @param entry the entry as stored
   * @param revision the revision to report
   * @param state the site's sync state for it
   */
  public record SiteEntry(EntryView entry, long revision, EntrySiteEntity.SyncState state) {}

  /**
   * A page of the entries {@code siteId} must hold (assigned, not DELETING), by entry id. Needs no
   * lease: a dry run beside the active agent reads it too.
   */
  public Uni<Page<SiteEntry>> siteEntries(UUID siteId, int pageSize, String pageToken) {
    String filter = PageToken.describe("site-entries", siteId);
    PageToken token = PageToken.decode(pageToken, filter, 1);
    UUID after = token == null ? null : token.uuidKey(0);
    return leases
        .requireSite(siteId)
        .chain(() -> queue.assigned(siteId, after, Page.fetchSize(pageSize)))
        .chain(
            rows ->
                withEntries(
                    rows,
                    SyncQueueRepository.Assigned::entryId,
                    (row, view) -> new SiteEntry(view, row.revision(), row.state())))
        .map(
            rows ->
                Page.of(
                    rows,
                    Math.min(pageSize, withinBudget(rows, SiteEntry::entry)),
                    filter,
                    e -> List.of(e.entry().entity().getId().toString())));
  }

  /**
   * How many of {@code items}, from the first, fit in {@link #MAX_ANSWER_BYTES} as sent (each
   * entry's serialized size plus room for its envelope); at least one.
   */
  static <T> int withinBudget(List<T> items, Function<T, EntryView> entry) {
    long used = 0;
    for (int i = 0; i < items.size(); i++) {
      used += EntryMapper.toProto(entry.apply(items.get(i))).getSerializedSize() + ENVELOPE_BYTES;
      if (used > MAX_ANSWER_BYTES) {
        return Math.max(i, 1);
      }
    }
    return items.size();
  }

  /** Room for what wraps an entry in an answer: tags, lengths, kind, revision, sync state. */
  private static final int ENVELOPE_BYTES = 32;

  private Uni<List<Change>> due(UUID siteId) {
    return queue
        .due(siteId, MAX_CHANGES)
        .chain(
            rows ->
                withEntries(
                    rows,
                    SyncQueueRepository.Due::entryId,
                    (row, view) -> new Change(row.delete(), view, row.revision())))
        .map(changes -> changes.subList(0, withinBudget(changes, Change::entry)));
  }

  /** Reads the entries of {@code rows} in one query and pairs each row with its entry. */
  private <R, T> Uni<List<T>> withEntries(
      List<R> rows, Function<R, UUID> entryId, BiFunction<R, EntryView, T> pair) {
    if (rows.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    Map<UUID, R> byEntry = new LinkedHashMap<>();
    rows.forEach(r -> byEntry.put(entryId.apply(r), r));
    return reader
        .getMany(List.copyOf(byEntry.keySet()))
        .map(
            views ->
                views.stream().map(v -> pair.apply(byEntry.get(v.entity().getId()), v)).toList());
  }
}
