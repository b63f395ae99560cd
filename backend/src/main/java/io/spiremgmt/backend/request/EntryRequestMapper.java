package io.spiremgmt.backend.request;

import com.google.protobuf.FieldMask;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntryRequest;
import io.spiremgmt.api.v1.EntryRequestKind;
import io.spiremgmt.api.v1.EntryRequestState;
import io.spiremgmt.api.v1.ListEntryRequestsRequest;
import io.spiremgmt.api.v1.RequestedChange;
import io.spiremgmt.backend.entry.EntryField;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.entry.EntryService;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.protobuf.ProtoTime;
import io.spiremgmt.backend.validation.Ids;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Translates entry requests between the API messages and the domain, checking input. */
public final class EntryRequestMapper {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private EntryRequestMapper() {}

  /**
   * The change of a request message: INVALID_ARGUMENT naming the field for a missing change, a
   * missing entry id or revision. The entry's content is checked later, as the direct write does.
   */
  public static ChangeInput toChange(boolean present, RequestedChange change) {
    if (!present || change.getChangeCase() == RequestedChange.ChangeCase.CHANGE_NOT_SET) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, "change", "a change is required: create, update or delete");
    }
    return switch (change.getChangeCase()) {
      case CREATE ->
          new ChangeInput(
              EntryService.ChangeKind.CREATE,
              null,
              0,
              EntryMapper.toSpec(change.getCreate()),
              Set.of(),
              "change.create.");
      case UPDATE -> {
        Entry entry = change.getUpdate().getEntry();
        if (!change.getUpdate().hasEntry()) {
          throw ApiException.field(
              ErrorReason.MISSING_FIELD, "change.update.entry", "the entry is required");
        }
        UUID id = Ids.parse(entry.getId(), "change.update.entry.id");
        EntryService.requireRevision(entry.getRevision(), "change.update.entry.revision");
        FieldMask mask =
            change.getUpdate().hasUpdateMask() ? change.getUpdate().getUpdateMask() : null;
        yield new ChangeInput(
            EntryService.ChangeKind.UPDATE,
            id,
            entry.getRevision(),
            EntryMapper.toSpec(entry),
            EntryField.of(entry, mask),
            "change.update.entry.");
      }
      case DELETE -> {
        UUID id = Ids.parse(change.getDelete().getId(), "change.delete.id");
        EntryService.requireRevision(change.getDelete().getRevision(), "change.delete.revision");
        yield new ChangeInput(
            EntryService.ChangeKind.DELETE,
            id,
            change.getDelete().getRevision(),
            null,
            Set.of(),
            "change.delete.");
      }
      default -> throw new IllegalStateException("unknown change " + change.getChangeCase());
    };
  }

  /** The ListEntryRequests filter (without the caller's scope, which the service adds). */
  public static ListInput toList(ListEntryRequestsRequest r) {
    Set<EntryRequestEntity.State> states = EnumSet.noneOf(EntryRequestEntity.State.class);
    for (int i = 0; i < r.getStatesCount(); i++) {
      EntryRequestState state = r.getStates(i);
      if (state == EntryRequestState.ENTRY_REQUEST_STATE_UNSPECIFIED
          || state == EntryRequestState.UNRECOGNIZED) {
        throw ApiException.field(
            ErrorReason.INVALID_FIELD, "states[" + i + "]", "not a request state");
      }
      states.add(EntryRequestEntity.State.valueOf(state.name().substring(PREFIX.length())));
    }
    String namespace = r.getNamespace().isEmpty() ? null : r.getNamespace();
    if (namespace != null) {
      io.spiremgmt.backend.validation.Text.check(namespace, "namespace", 63);
    }
    return new ListInput(
        r.getMine(),
        r.getAwaitingMyDecision(),
        states,
        r.getSiteId().isEmpty() ? null : Ids.parse(r.getSiteId(), "site_id"),
        r.getEntryId().isEmpty() ? null : Ids.parse(r.getEntryId(), "entry_id"),
        namespace);
  }

  private static final String PREFIX = "ENTRY_REQUEST_STATE_";

  /**
   * A ListEntryRequests filter as asked.
   *
   * @param mine only the caller's own
   * @param awaiting only those awaiting the caller's decision
   * @param states only these states
   * @param siteId only touching this site, or null
   * @param entryId only about this entry, or null
   * @param namespace only about this namespace, or null
   */
  public record ListInput(
      boolean mine,
      boolean awaiting,
      Set<EntryRequestEntity.State> states,
      UUID siteId,
      UUID entryId,
      String namespace) {}

  /** The API message of a request (with the entry as it is now, when given). */
  public static EntryRequest toProto(
      EntryRequestEntity r, List<EntryRequestApproval> approvals, Entry current) {
    EntryRequest.Builder b =
        EntryRequest.newBuilder()
            .setId(r.getId().toString())
            .setState(EntryRequestState.valueOf(PREFIX + r.getState().name()))
            .setKind(EntryRequestKind.valueOf("ENTRY_REQUEST_KIND_" + r.getKind().name()))
            .setEntryId(r.getEntryId().toString())
            .setBaseRevision(r.getBaseRevision())
            .setJustification(r.getJustification())
            .setRequester(r.getRequester())
            .setRequesterPerson(r.getRequesterPerson())
            .addAllSiteIds(r.getSiteIds().stream().map(UUID::toString).toList())
            .addAllNamespaces(r.getNamespaces())
            .addAllApprovalReasons(r.getApprovalReasons())
            .setApprovalsRequired(r.getApprovalsRequired())
            .setCreateTime(ProtoTime.toTimestamp(r.getCreatedAt()))
            .setUpdateTime(ProtoTime.toTimestamp(r.getUpdatedAt()))
            .setExpireTime(ProtoTime.toTimestamp(r.getExpiresAt()));
    if (r.getEntryBefore() != null) {
      b.setEntryBefore(parse(r.getEntryBefore()));
    }
    if (r.getProposedEntry() != null) {
      b.setProposedEntry(parse(r.getProposedEntry()));
    }
    if (!r.getUpdateMask().isEmpty()) {
      b.setUpdateMask(FieldMask.newBuilder().addAllPaths(r.getUpdateMask()));
    }
    if (current != null) {
      b.setEntryCurrent(current);
    }
    if (r.getClientRequestId() != null) {
      b.setClientRequestId(r.getClientRequestId());
    }
    for (EntryRequestApproval a : approvals) {
      b.addApprovals(
          io.spiremgmt.api.v1.EntryRequestApproval.newBuilder()
              .setApprover(a.approver())
              .setApproverPerson(a.approverPerson())
              .setComment(a.comment())
              .setApproveTime(ProtoTime.toTimestamp(a.approvedAt())));
    }
    if (r.getDecidedBy() != null) {
      b.setDecidedBy(r.getDecidedBy());
    }
    if (r.getDecisionMessage() != null) {
      b.setDecisionMessage(r.getDecisionMessage());
    }
    if (r.getFailureReason() != null) {
      b.setFailureReason(r.getFailureReason());
    }
    if (r.getConflictingEntry() != null) {
      b.setConflictingEntry(parse(r.getConflictingEntry()));
    }
    if (r.getAppliedEntry() != null) {
      b.setAppliedEntry(parse(r.getAppliedEntry()));
    }
    if (r.getSupersedes() != null) {
      b.setSupersedes(r.getSupersedes().toString());
    }
    if (r.getSupersededBy() != null) {
      b.setSupersededBy(r.getSupersededBy().toString());
    }
    return b.build();
  }

  /** The request's API JSON (without the current entry), as recorded in audit events. */
  public static String json(EntryRequestEntity r, List<EntryRequestApproval> approvals) {
    try {
      return JSON.print(toProto(r, approvals, null));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print entry request as JSON", e);
    }
  }

  /** A stored entry message. */
  static Entry parse(byte[] bytes) {
    try {
      return Entry.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored entry does not parse", e);
    }
  }
}
