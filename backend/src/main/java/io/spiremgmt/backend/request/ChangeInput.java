package io.spiremgmt.backend.request;

import io.spiremgmt.backend.entry.EntryField;
import io.spiremgmt.backend.entry.EntryService;
import io.spiremgmt.backend.entry.EntrySpec;
import java.util.Set;
import java.util.UUID;

/**
 * A change of one entry as a request asks for it.
 *
 * @param kind create, update or delete
 * @param entryId the entry (null for a create: it gets an id on submission)
 * @param revision the revision it is based on (0 for a create)
 * @param spec the entry (create) or the new values (update); null for a delete
 * @param mask the fields an update changes
 * @param prefix the request field the entry's fields are under, for error messages
 */
public record ChangeInput(
    EntryService.ChangeKind kind,
    UUID entryId,
    long revision,
    EntrySpec spec,
    Set<EntryField> mask,
    String prefix) {}
