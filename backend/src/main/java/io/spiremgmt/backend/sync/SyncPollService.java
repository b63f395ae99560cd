package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.entry.EntryReader;
import io.spiremgmt.backend.entry.EntrySiteEntity;
import io.spiremgmt.backend.entry.EntryView;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Answers an agent's long poll: the site's due work (PENDING and DELETING rows, and FAILED ones
 * whose backoff has expired), at once when there is some, otherwise after the next NOTIFY on the
 * site's channel or the caller's wait, whichever comes first.
 */
@ApplicationScoped
public class SyncPollService {
  /** Most changes in one answer. */
  public static final int MAX_CHANGES = 500;

  /** Longest wait a poll may ask for. */
  public static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private final EntryReader reader;
  private final SiteWakeups wakeups;
  private final Pool pool;

  SyncPollService(EntryReader reader, SiteWakeups wakeups, Pool pool) {
    this.pool = pool;
    this.reader = reader;
    this.wakeups = wakeups;
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
   * The site's due changes, waiting up to {@code wait} (at most {@link #MAX_WAIT}) for some to
   * appear. The caller has checked that the site exists (the lease check does).
   */
  public Uni<List<Change>> poll(UUID siteId, Duration wait) {
    Duration capped = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    return due(siteId)
        .chain(
            first -> {
              if (!first.isEmpty() || capped.isZero()) {
                return Uni.createFrom().item(first);
              }
              // A failed change whose backoff ends before the deadline ends the wait then: no
              // NOTIFY announces that it is due again. The wake-up is armed before the second
              // look, so a write committed in between is not missed.
              return nextRetry(siteId)
                  .map(retry -> retry == null || retry.compareTo(capped) > 0 ? capped : retry)
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

  /**
   * An entry a site must hold.
   *
   * @param entry the entry as stored
   * @param revision the revision to report
   * @param state the site's sync state for it
   */
  public record SiteEntry(EntryView entry, long revision, EntrySiteEntity.SyncState state) {}

  /**
   * A page of the entries {@code siteId} must hold (assigned, not DELETING), by entry id, after
   * {@code after} (null: from the start). One index range scan plus one read of the entries.
   */
  public Uni<List<SiteEntry>> siteEntries(UUID siteId, UUID after, int limit) {
    return pool.preparedQuery(
            "SELECT workload_entry_id, target_revision, sync_status FROM workload_entry_sites"
                + " WHERE site_id = $1 AND ($2::uuid IS NULL OR workload_entry_id > $2)"
                + " AND sync_status <> 'DELETING' ORDER BY workload_entry_id LIMIT $3")
        .execute(Tuple.of(siteId, after, limit))
        .chain(
            rows -> {
              Map<UUID, Row> byEntry = new LinkedHashMap<>();
              rows.forEach(r -> byEntry.put(r.getUUID("workload_entry_id"), r));
              return reader
                  .getMany(List.copyOf(byEntry.keySet()))
                  .map(
                      views ->
                          views.stream()
                              .map(
                                  v -> {
                                    Row r = byEntry.get(v.entity().getId());
                                    return new SiteEntry(
                                        v,
                                        r.getLong("target_revision"),
                                        EntrySiteEntity.SyncState.valueOf(
                                            r.getString("sync_status")));
                                  })
                              .toList());
            });
  }

  /** How long until the site's earliest FAILED change is due again, or null when none waits. */
  private Uni<Duration> nextRetry(UUID siteId) {
    return pool.preparedQuery(
            "SELECT min(next_attempt_at) AS next FROM workload_entry_sites"
                + " WHERE site_id = $1 AND sync_status = 'FAILED' AND next_attempt_at > now()")
        .execute(Tuple.of(siteId))
        .map(
            rows -> {
              java.time.OffsetDateTime next = rows.iterator().next().getOffsetDateTime("next");
              if (next == null) {
                return null;
              }
              Duration left = Duration.between(Instant.now(), next.toInstant());
              return left.isNegative() ? Duration.ofMillis(1) : left.plusMillis(5);
            });
  }

  // Plain SQL on the pool, not a Hibernate session: after a wakeup this runs on the NOTIFY
  // subscriber's context, which concurrent polls share, and a session must never be shared.
  private Uni<List<Change>> due(UUID siteId) {
    return pool.preparedQuery(
            "SELECT workload_entry_id, sync_status, target_revision FROM workload_entry_sites"
                + " WHERE site_id = $1 AND sync_status IN ('PENDING', 'DELETING', 'FAILED')"
                + " AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
                + " ORDER BY changed_at LIMIT $2")
        .execute(Tuple.of(siteId, MAX_CHANGES))
        .chain(
            rows -> {
              if (rows.rowCount() == 0) {
                return Uni.createFrom().item(List.<Change>of());
              }
              Map<UUID, Row> byEntry = new LinkedHashMap<>();
              rows.forEach(r -> byEntry.put(r.getUUID("workload_entry_id"), r));
              return reader
                  .getMany(List.copyOf(byEntry.keySet()))
                  .map(
                      views ->
                          views.stream()
                              .map(
                                  v -> {
                                    Row row = byEntry.get(v.entity().getId());
                                    return new Change(
                                        "DELETING".equals(row.getString("sync_status")),
                                        v,
                                        row.getLong("target_revision"));
                                  })
                              .toList());
            });
  }
}
