package io.spiremgmt.backend.entry;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * An entry as the API shows it: its row, its selectors in the caller's order and its per-site
 * states.
 *
 * @param entity the entry row
 * @param selectors the selectors, in the order they were given
 * @param sites the per-site states, ordered by site name
 */
public record EntryView(
    WorkloadEntryEntity entity, List<SelectorValue> selectors, List<SiteState> sites) {

  /**
   * One site's state for the entry.
   *
   * @param siteId the site
   * @param siteName its name
   * @param state the sync state
   * @param lastSyncAt last successful sync, or null
   * @param lastError last error, or null
   * @param spireEntryId the SPIRE entry id, or null
   * @param failedAttempts failed attempts in a row (0 when none)
   */
  public record SiteState(
      UUID siteId,
      String siteName,
      EntrySiteEntity.SyncState state,
      Instant lastSyncAt,
      String lastError,
      String spireEntryId,
      int failedAttempts) {}

  /** The ids of the sites that hold or must hold the entry (not those it is being removed from). */
  public List<String> assignedSiteIds() {
    if (entity.getDeleteRequestedAt() != null) {
      return sites.stream().map(s -> s.siteId().toString()).toList();
    }
    return sites.stream()
        .filter(s -> s.state() != EntrySiteEntity.SyncState.DELETING)
        .map(s -> s.siteId().toString())
        .toList();
  }

  /** The entry's settable content. */
  public EntrySpec spec() {
    return entity.spec(selectors, assignedSiteIds());
  }
}
