package io.spiremgmt.backend.entry;

import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.BatchCreateEntryResult;
import io.spiremgmt.api.v1.BatchDeleteEntriesRequest;
import io.spiremgmt.api.v1.BatchDeleteEntriesResponse;
import io.spiremgmt.api.v1.BatchDeleteEntryResult;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryResponse;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ItemStatus;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListEntriesResponse;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.api.v1.WorkloadEntryService;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.PageSize;
import io.spiremgmt.backend.validation.Ids;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The gRPC edge of {@link EntryService}: translates messages and resolves the caller. */
@GrpcService
@Authenticated
public class EntryGrpcService implements WorkloadEntryService {
  private final EntryService service;
  private final CallerResolver callers;

  EntryGrpcService(EntryService service, CallerResolver callers) {
    this.service = service;
    this.callers = callers;
  }

  @Override
  public Uni<Entry> createEntry(CreateEntryRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.create(
                    caller,
                    EntryMapper.toSpec(requireEntry(request.hasEntry(), request.getEntry())),
                    Ids.requestId(request.getRequestId(), "request_id")))
        .map(EntryMapper::toProto);
  }

  @Override
  public Uni<Entry> getEntry(GetEntryRequest request) {
    return callers
        .current()
        .chain(caller -> service.get(caller, Ids.parse(request.getId(), "id")))
        .map(EntryMapper::toProto);
  }

  @Override
  public Uni<Entry> updateEntry(UpdateEntryRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              Entry entry = requireEntry(request.hasEntry(), request.getEntry());
              Set<EntryField> mask =
                  EntryField.of(entry, request.hasUpdateMask() ? request.getUpdateMask() : null);
              return service.update(
                  caller,
                  Ids.parse(entry.getId(), "entry.id"),
                  entry.getRevision(),
                  EntryMapper.toSpec(entry),
                  mask,
                  Ids.requestId(request.getRequestId(), "request_id"));
            })
        .map(EntryMapper::toProto);
  }

  @Override
  public Uni<DeleteEntryResponse> deleteEntry(DeleteEntryRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.delete(
                    caller,
                    Ids.parse(request.getId(), "id"),
                    request.getRevision(),
                    Ids.requestId(request.getRequestId(), "request_id")))
        .map(
            result ->
                DeleteEntryResponse.newBuilder()
                    .setEntry(EntryMapper.toProto(result.entry()))
                    .setPurged(result.purged())
                    .build());
  }

  @Override
  public Uni<ListEntriesResponse> listEntries(ListEntriesRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.list(
                    caller,
                    EntryMapper.toFilter(request),
                    PageSize.of(request.getPageSize()),
                    request.getPageToken()))
        .map(
            page ->
                ListEntriesResponse.newBuilder()
                    .addAllEntries(page.items().stream().map(EntryMapper::toProto).toList())
                    .setNextPageToken(page.nextPageToken())
                    .build());
  }

  @Override
  public Uni<BatchCreateEntriesResponse> batchCreateEntries(BatchCreateEntriesRequest request) {
    return callers
        .current()
        .chain(
            caller -> {
              List<EntryService.BatchCreateItem> items = new ArrayList<>();
              for (CreateEntryRequest item : request.getRequestsList()) {
                items.add(
                    new EntryService.BatchCreateItem(
                        () -> EntryMapper.toSpec(item.getEntry()), item.getRequestId()));
              }
              return service.batchCreate(caller, items);
            })
        .map(
            results -> {
              BatchCreateEntriesResponse.Builder b = BatchCreateEntriesResponse.newBuilder();
              for (EntryService.ItemResult<EntryView> r : results) {
                BatchCreateEntryResult.Builder item =
                    BatchCreateEntryResult.newBuilder().setStatus(status(r.error()));
                if (r.value() != null) {
                  item.setEntry(EntryMapper.toProto(r.value()));
                }
                b.addResults(item);
              }
              return b.build();
            });
  }

  @Override
  public Uni<BatchDeleteEntriesResponse> batchDeleteEntries(BatchDeleteEntriesRequest request) {
    return callers
        .current()
        .chain(
            caller ->
                service.batchDelete(
                    caller,
                    request.getIdsList(),
                    Ids.requestId(request.getRequestId(), "request_id")))
        .map(
            results -> {
              BatchDeleteEntriesResponse.Builder b = BatchDeleteEntriesResponse.newBuilder();
              for (int i = 0; i < results.size(); i++) {
                EntryService.ItemResult<EntryService.DeleteResult> r = results.get(i);
                b.addResults(
                    BatchDeleteEntryResult.newBuilder()
                        .setId(request.getIds(i))
                        .setStatus(status(r.error()))
                        .setPurged(r.value() != null && r.value().purged()));
              }
              return b.build();
            });
  }

  private static Entry requireEntry(boolean present, Entry entry) {
    if (!present) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, "entry", "the entry is required");
    }
    return entry;
  }

  private static ItemStatus status(ApiException error) {
    if (error == null) {
      return ItemStatus.newBuilder().setCode(0).build();
    }
    ItemStatus.Builder b =
        ItemStatus.newBuilder()
            .setCode(error.reason().code().value())
            .setMessage(error.getMessage())
            .setReason(error.reason().name());
    if (error.field() != null) {
      b.setField(error.field());
    }
    return b.build();
  }
}
