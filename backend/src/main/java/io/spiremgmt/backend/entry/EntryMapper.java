package io.spiremgmt.backend.entry;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.SpiffeId;
import io.spiremgmt.backend.validation.Text;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** Translates entries between the API messages and the domain. */
public final class EntryMapper {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private EntryMapper() {}

  /** The settable content of an API entry (output-only fields are ignored). */
  public static EntrySpec toSpec(Entry e) {
    return new EntrySpec(
        e.getSpiffeId(),
        e.getParentId(),
        e.getSelectorsList().stream()
            .map(s -> new SelectorValue(s.getType(), s.getValue()))
            .toList(),
        e.getTtl(),
        List.copyOf(e.getDnsNamesList()),
        e.getAdmin(),
        e.getDownstream(),
        e.hasExpiryTime()
            ? ProtoTime.toInstant(e.getExpiryTime(), "entry.expiry_time")
                .truncatedTo(ChronoUnit.MICROS)
            : null,
        List.copyOf(e.getSiteIdsList()),
        List.copyOf(e.getFederatesWithList()),
        e.getJwtSvidTtl(),
        e.getHint(),
        e.getStoreSvid());
  }

  /**
   * The caller-settable content of an entry as an {@code Entry} message: what {@link
   * EntryValidator#MAX_ENTRY_BYTES} measures.
   */
  public static Entry content(EntrySpec spec) {
    Entry.Builder b =
        Entry.newBuilder()
            .setSpiffeId(spec.spiffeId())
            .setParentId(spec.parentId())
            .setTtl(spec.ttl())
            .addAllDnsNames(spec.dnsNames())
            .setAdmin(spec.admin())
            .setDownstream(spec.downstream())
            .addAllSiteIds(spec.siteIds())
            .addAllFederatesWith(spec.federatesWith())
            .setJwtSvidTtl(spec.jwtSvidTtl())
            .setHint(spec.hint())
            .setStoreSvid(spec.storeSvid());
    spec.selectors()
        .forEach(s -> b.addSelectors(Selector.newBuilder().setType(s.type()).setValue(s.value())));
    if (spec.expiresAt() != null) {
      b.setExpiryTime(ProtoTime.toTimestamp(spec.expiresAt()));
    }
    return b.build();
  }

  /** The API message of an entry view. */
  public static Entry toProto(EntryView view) {
    WorkloadEntryEntity entity = view.entity();
    EntrySpec spec = view.spec();
    Entry.Builder b =
        content(spec).toBuilder()
            .setId(entity.getId().toString())
            .setRevision(entity.getRevision())
            .setCreatedAt(ProtoTime.toTimestamp(entity.getCreatedAt()))
            .setUpdatedAt(ProtoTime.toTimestamp(entity.getUpdatedAt()))
            .setCreatedBy(entity.getCreatedBy());
    if (entity.getDeleteRequestedAt() != null) {
      b.setDeleteTime(ProtoTime.toTimestamp(entity.getDeleteRequestedAt()));
    }
    for (EntryView.SiteState site : view.sites()) {
      EntrySiteStatus.Builder status =
          EntrySiteStatus.newBuilder()
              .setSiteId(site.siteId().toString())
              .setSiteName(site.siteName())
              .setSyncState(toProto(site.state()));
      if (site.lastSyncAt() != null) {
        status.setLastSyncTime(ProtoTime.toTimestamp(site.lastSyncAt()));
      }
      if (site.lastError() != null) {
        status.setLastError(site.lastError());
      }
      if (site.spireEntryId() != null) {
        status.setSpireEntryId(site.spireEntryId());
      }
      status.setFailedAttempts(site.failedAttempts());
      b.addSiteStatuses(status);
    }
    return b.build();
  }

  /** The entry's API JSON, as recorded in audit events. */
  public static String json(EntryView view) {
    try {
      return JSON.print(toProto(view));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print entry as JSON", e);
    }
  }

  /** The validated filter of a ListEntries request. */
  public static EntryFilter toFilter(ListEntriesRequest r) {
    List<SelectorValue> selectors =
        r.getSelectorsList().stream()
            .map(s -> new SelectorValue(s.getType(), s.getValue()))
            .toList();
    if (!selectors.isEmpty()) {
      EntryValidator.validateSelectors(selectors, false, "selectors");
    }
    EntryFilter.SelectorMatch match =
        switch (r.getSelectorMatch()) {
          case SELECTOR_MATCH_EXACT -> EntryFilter.SelectorMatch.EXACT;
          case SELECTOR_MATCH_SUBSET -> EntryFilter.SelectorMatch.SUBSET;
          case SELECTOR_MATCH_SUPERSET, SELECTOR_MATCH_UNSPECIFIED ->
              EntryFilter.SelectorMatch.SUPERSET;
          case UNRECOGNIZED ->
              throw ApiException.field(
                  ErrorReason.INVALID_FIELD, "selector_match", "unknown value");
        };
    String spiffeId =
        r.getSpiffeId().isEmpty() ? null : SpiffeId.parse(r.getSpiffeId(), "spiffe_id").toString();
    String parentId =
        r.getParentId().isEmpty() ? null : SpiffeId.parse(r.getParentId(), "parent_id").toString();
    String prefix =
        r.getSpiffeIdPrefix().isEmpty()
            ? null
            : Text.check(r.getSpiffeIdPrefix(), "spiffe_id_prefix", SpiffeId.MAX_BYTES);
    if (prefix != null
        && (!prefix.startsWith("spiffe://")
            || prefix.getBytes(StandardCharsets.UTF_8).length > SpiffeId.MAX_BYTES)) {
      throw ApiException.field(
          ErrorReason.INVALID_SPIFFE_ID,
          "spiffe_id_prefix",
          "must start with 'spiffe://' and be at most " + SpiffeId.MAX_BYTES + " bytes");
    }
    EntrySiteEntity.SyncState state =
        switch (r.getSyncState()) {
          case SYNC_STATE_UNSPECIFIED -> null;
          case SYNC_STATE_PENDING -> EntrySiteEntity.SyncState.PENDING;
          case SYNC_STATE_SYNCED -> EntrySiteEntity.SyncState.SYNCED;
          case SYNC_STATE_FAILED -> EntrySiteEntity.SyncState.FAILED;
          case SYNC_STATE_DELETING -> EntrySiteEntity.SyncState.DELETING;
          case SYNC_STATE_REMOVED, UNRECOGNIZED ->
              throw ApiException.field(
                  ErrorReason.INVALID_FIELD,
                  "sync_state",
                  "filter by PENDING, SYNCED, FAILED or DELETING (REMOVED entries are not listed)");
        };
    return new EntryFilter(
        r.getSiteId().isEmpty() ? null : Ids.parse(r.getSiteId(), "site_id"),
        selectors,
        match,
        spiffeId,
        prefix,
        parentId,
        state,
        null);
  }

  /** The API value of a sync state. */
  public static SyncState toProto(EntrySiteEntity.SyncState state) {
    return switch (state) {
      case PENDING -> SyncState.SYNC_STATE_PENDING;
      case SYNCED -> SyncState.SYNC_STATE_SYNCED;
      case FAILED -> SyncState.SYNC_STATE_FAILED;
      case DELETING -> SyncState.SYNC_STATE_DELETING;
    };
  }
}
