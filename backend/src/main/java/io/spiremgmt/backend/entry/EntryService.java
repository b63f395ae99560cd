package io.spiremgmt.backend.entry;

import io.grpc.Status;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.audit.DenialRecorder;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.AuthConfig;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.error.GrpcErrorMapper;
import io.spiremgmt.backend.error.PgErrors;
import io.spiremgmt.backend.notify.SiteNotifier;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.site.SiteEntity;
import io.spiremgmt.backend.site.SiteRepository;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.SpiffeId;
import io.spiremgmt.backend.validation.UuidV7;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The entry write path and reads. Every mutation runs in one transaction: the entry and its
 * selectors, the revision bump, each site's row (PENDING, or DELETING for a removed site), the
 * audit event and a NOTIFY per affected site. Any failure rolls all of it back. Updates, deletes
 * and the writes of approved entry requests run in a Hibernate Reactive session; direct creates,
 * one or a batch, on the Vert.x client with one statement per table ({@link #createEach}).
 */
@ApplicationScoped
public class EntryService {
  /** Most items in one batch call. */
  public static final int MAX_BATCH = 500;

  private static final String UNIQUE_SIMILAR = "workload_entries_similar_uq";

  private final String clusterDomain;
  private final Mutiny.SessionFactory sessions;
  private final EntryRepository entries;
  private final EntryReader reader;
  private final SiteRepository sites;
  private final AuditRepository audit;
  private final SiteNotifier notifier;
  private final DenialRecorder denials;
  private final ApprovalService gate;
  private final Pool pool;
  private final EntryInsertRepository inserts;

  EntryService(
      Mutiny.SessionFactory sessions,
      Pool pool,
      EntryRepository entries,
      EntryInsertRepository inserts,
      EntryReader reader,
      SiteRepository sites,
      AuditRepository audit,
      SiteNotifier notifier,
      DenialRecorder denials,
      ApprovalService gate,
      AuthConfig auth) {
    this.clusterDomain = clusterDomain(auth.clusterDomain());
    this.sessions = sessions;
    this.pool = pool;
    this.entries = entries;
    this.inserts = inserts;
    this.reader = reader;
    this.sites = sites;
    this.audit = audit;
    this.notifier = notifier;
    this.denials = denials;
    this.gate = gate;
  }

  /**
   * The configured cluster domain, lower-case and without a trailing dot; refuses one that is not a
   * DNS name (checked at start-up, see {@link #onStart}).
   */
  static String clusterDomain(String configured) {
    String domain = configured.toLowerCase(Locale.ROOT);
    if (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    String problem =
        domain.startsWith("*") ? "has a wildcard" : EntryValidator.dnsNameProblem(domain);
    if (problem != null) {
      throw new IllegalStateException(
          "spire-mgmt.auth.cluster-domain '" + configured + "' " + problem);
    }
    return domain;
  }

  /** Makes a bad cluster domain stop the start rather than the first write. */
  void onStart(@Observes StartupEvent event) {
    // The constructor has checked it.
  }

  /** The outcome of a delete: the entry as it stands, and whether it is gone already. */
  public record DeleteResult(EntryView entry, boolean purged) {}

  /**
   * Who makes a write and why: the caller whose scope the change was checked against, the actor
   * recorded in the audit trail, the request id the audit event carries, and whether an approved
   * entry request applies it (then the approval policy was decided when the request was).
   *
   * @param caller the caller (its access is the scope checked)
   * @param actor the audit actor
   * @param auditRequestId the audit event's request id
   * @param approved whether an approved entry request makes the write
   */
  public record WriteContext(Caller caller, String actor, String auditRequestId, boolean approved) {
    /** A direct write by {@code caller}. */
    public static WriteContext direct(Caller caller, String requestId) {
      return new WriteContext(caller, caller.name(), requestId, false);
    }
  }

  /**
   * A change that passed every check, with what its rows were locked for: written by {@link
   * #commit} in the same transaction, or only looked at (an entry request waiting for approval).
   *
   * @param kind what the change does
   * @param id the entry's id (for a create, the id it gets)
   * @param before the entry as stored (locked), or null for a create
   * @param after the entry the change produces, or null for a delete
   * @param trustDomain the SPIFFE ID's trust domain of {@code after}, or null for a delete
   * @param sites the sites a create puts the entry at (locked {@code FOR SHARE})
   * @param alreadyDeleting whether a delete found the entry being deleted already
   */
  public record PreparedChange(
      ChangeKind kind,
      UUID id,
      EntryView before,
      EntrySpec after,
      String trustDomain,
      List<SiteEntity> sites,
      boolean alreadyDeleting) {

    /** The entry as stored before the change, or null for a create. */
    public EntrySpec beforeSpec() {
      return before == null ? null : before.spec();
    }
  }

  /** What a change does to an entry. */
  public enum ChangeKind {
    /** Creates it. */
    CREATE,
    /** Updates fields of it. */
    UPDATE,
    /** Deletes it. */
    DELETE
  }

  /** The outcome of a committed change: the entry as it stands after it, and whether it is gone. */
  public record Committed(EntryView entry, boolean purged) {}

  /**
   * Creates an entry; see {@code WorkloadEntryService.CreateEntry} for the rules. Written as a
   * batch of one ({@link #createEach}).
   */
  public Uni<EntryView> create(Caller caller, EntrySpec spec, String requestId) {
    return createEach(caller, List.of(new BatchCreateItem(() -> spec, requestId)))
        .map(
            outcomes -> {
              Outcome outcome = outcomes.get(0);
              if (outcome.failure() != null) {
                throw outcome.failure() instanceof RuntimeException e
                    ? e
                    : new IllegalStateException(outcome.failure());
              }
              return outcome.entry();
            });
  }

  /** Reads one entry the caller may see. */
  public Uni<EntryView> get(Caller caller, UUID id) {
    return reader
        .get(id)
        .chain(view -> view == null ? notFound(id) : Uni.createFrom().item(view))
        .invoke(view -> EntryScope.requireVisible(caller.access(), view.spec(), id.toString()));
  }

  /**
   * Updates the fields in {@code mask} to their values in {@code patch}, if {@code revision} is
   * still the stored one.
   */
  public Uni<EntryView> update(
      Caller caller,
      UUID id,
      long revision,
      EntrySpec patch,
      Set<EntryField> mask,
      String requestId) {
    requireRevision(revision, "entry.revision");
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                prepareUpdate(s, caller.access(), id, revision, patch, mask, "entry.", now)
                    .chain(prepared -> commitDirect(s, prepared, caller, requestId, now)))
        .map(Committed::entry)
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_SIMILAR))
        .transform(e -> similarExists(null));
  }

  /** Deletes an entry (DELETING at its sites, or gone at once when it has none). */
  public Uni<DeleteResult> delete(Caller caller, UUID id, long revision, String requestId) {
    if (revision < 0) {
      throw ApiException.field(ErrorReason.INVALID_FIELD, "revision", "must not be negative");
    }
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                prepareDelete(s, caller.access(), id, revision, "entry.revision")
                    .chain(
                        prepared ->
                            prepared.alreadyDeleting()
                                // Already being deleted: a retry succeeds and changes nothing,
                                // even with the revision the first call named.
                                ? Uni.createFrom().item(new Committed(prepared.before(), false))
                                : commitDirect(s, prepared, caller, requestId, now)))
        .map(c -> new DeleteResult(c.entry(), c.purged()));
  }

  /** The entry as it stands in the session's transaction (a plain read), or null. */
  public Uni<EntryView> current(Mutiny.Session s, UUID id) {
    return s.find(WorkloadEntryEntity.class, id)
        .chain(entity -> entity == null ? Uni.createFrom().nullItem() : view(s, entity));
  }

  /**
   * A direct write: the approval policy decides first ({@link ApprovalService}: APPROVAL_REQUIRED
   * for a change that needs approval, or for an Admin the rules it bypasses, audited as {@code
   * entry.policy_bypass} with the change).
   */
  private Uni<Committed> commitDirect(
      Mutiny.Session s, PreparedChange prepared, Caller caller, String requestId, Instant now) {
    return gate.checkDirect(s, caller, prepared.beforeSpec(), prepared.after())
        .chain(
            bypassed ->
                commit(s, prepared, WriteContext.direct(caller, requestId), now)
                    .call(
                        committed ->
                            bypassed.isEmpty()
                                ? Uni.createFrom().voidItem()
                                : audit.append(
                                    s,
                                    new AuditRecord(
                                        caller.name(),
                                        AuditAction.ENTRY_POLICY_BYPASS,
                                        prepared.id().toString(),
                                        requestId,
                                        null,
                                        bypassJson(prepared.kind(), bypassed)))));
  }

  private static String bypassJson(ChangeKind kind, List<String> reasons) {
    return new io.vertx.core.json.JsonObject()
        .put("change", kind.name().toLowerCase(Locale.ROOT))
        .put("bypassed_approval_reasons", new io.vertx.core.json.JsonArray(reasons))
        .encode();
  }

  /**
   * Checks a create in the session's transaction: the content (INVALID_ARGUMENT naming the field
   * under {@code prefix}), the caller's scope, the sites (locked {@code FOR SHARE}) and the
   * similar-entry rule. Writes nothing.
   */
  public Uni<PreparedChange> prepareCreate(
      Mutiny.Session s, Access access, EntrySpec spec, UUID id, String prefix, Instant now) {
    return lockCreate(s, spec, id, checkCreate(access, spec, prefix, now), prefix);
  }

  /** A create's checks that need no database: content and scope; the trust domain. */
  private String checkCreate(Access access, EntrySpec spec, String prefix, Instant now) {
    String trustDomain = EntryValidator.validate(spec, prefix, true, now);
    EntryScope.requireWritable(access, spec, true, null, clusterDomain);
    return trustDomain;
  }

  /** A create's checks against stored state: its sites (locked FOR SHARE) and similar entries. */
  private Uni<PreparedChange> lockCreate(
      Mutiny.Session s, EntrySpec spec, UUID id, String trustDomain, String prefix) {
    return checkSites(s, spec.siteUuids(), trustDomain, prefix + "site_ids")
        .call(() -> rejectSimilar(s, spec, null))
        .map(
            locked ->
                new PreparedChange(ChangeKind.CREATE, id, null, spec, trustDomain, locked, false));
  }

  /**
   * Checks an update in the session's transaction: locks the entry and its site rows, compares the
   * revision (ABORTED STALE_REVISION), and checks the merged entry as {@link #prepareCreate} does.
   * Writes nothing.
   */
  public Uni<PreparedChange> prepareUpdate(
      Mutiny.Session s,
      Access access,
      UUID id,
      long revision,
      EntrySpec patch,
      Set<EntryField> mask,
      String prefix,
      Instant now) {
    return lockWritable(s, access, id)
        .chain(
            before -> {
              WorkloadEntryEntity entity = before.entity();
              if (entity.getDeleteRequestedAt() != null) {
                throw ApiException.of(
                    ErrorReason.ENTRY_BEING_DELETED,
                    "entry " + id + " is being deleted and can no longer be changed");
              }
              checkRevision(entity, revision, prefix + "revision");
              EntrySpec merged = merge(before.spec(), patch, mask);
              String trustDomain =
                  EntryValidator.validate(
                      merged, prefix, mask.contains(EntryField.EXPIRY_TIME), now);
              EntryScope.requireWritable(access, merged, true, id.toString(), clusterDomain);
              List<UUID> wanted = merged.siteUuids();
              Set<UUID> active = new LinkedHashSet<>();
              before.assignedSiteIds().forEach(site -> active.add(UUID.fromString(site)));
              List<UUID> added = wanted.stream().filter(site -> !active.contains(site)).toList();
              List<UUID> kept = wanted.stream().filter(active::contains).toList();
              return checkSites(s, added, trustDomain, prefix + "site_ids")
                  .chain(() -> checkTrustDomain(s, kept, trustDomain, prefix + "site_ids"))
                  .chain(() -> rejectSimilar(s, merged, id))
                  .replaceWith(
                      new PreparedChange(
                          ChangeKind.UPDATE, id, before, merged, trustDomain, List.of(), false));
            });
  }

  /**
   * Checks a delete in the session's transaction: locks the entry and its site rows and compares
   * {@code revision} when it is not 0. An entry being deleted already comes back with {@code
   * alreadyDeleting} (its revision not compared). Writes nothing.
   */
  public Uni<PreparedChange> prepareDelete(
      Mutiny.Session s, Access access, UUID id, long revision, String revisionField) {
    return lockWritable(s, access, id)
        .map(
            before -> {
              WorkloadEntryEntity entity = before.entity();
              boolean deleting = entity.getDeleteRequestedAt() != null;
              if (!deleting && revision != 0) {
                checkRevision(entity, revision, revisionField);
              }
              return new PreparedChange(
                  ChangeKind.DELETE, id, before, null, null, List.of(), deleting);
            });
  }

  /**
   * Writes a prepared change in the session's transaction: the entry and its rows, its audit event
   * (actor and request id from {@code context}) and a NOTIFY per affected site. The approval policy
   * is the caller's to have decided.
   */
  public Uni<Committed> commit(
      Mutiny.Session s, PreparedChange prepared, WriteContext context, Instant now) {
    return switch (prepared.kind()) {
      case CREATE -> commitCreate(s, prepared, context, now);
      case UPDATE -> commitUpdate(s, prepared, context, now);
      case DELETE -> commitDelete(s, prepared, context, now);
    };
  }

  private Uni<Committed> commitCreate(
      Mutiny.Session s, PreparedChange prepared, WriteContext context, Instant now) {
    UUID id = prepared.id();
    EntrySpec spec = prepared.after();
    WorkloadEntryEntity entity = new WorkloadEntryEntity(id, spec, context.actor(), now);
    List<Object> rows = new ArrayList<>();
    rows.add(entity);
    addSelectorRows(rows, id, spec.selectors());
    List<Object> siteRows = new ArrayList<>();
    for (UUID site : spec.siteUuids()) {
      siteRows.add(new EntrySiteEntity(id, site, entity.getRevision(), now));
    }
    // Everything the new entry's view holds was just written or locked: no re-read.
    EntryView view = newView(entity, spec, prepared.sites());
    // Selectors before site rows: the sync event trigger labels each event with the entry's
    // namespaces as its selector rows stand (V11).
    return s.persistAll(rows.toArray())
        .chain(s::flush)
        .chain(() -> s.persistAll(siteRows.toArray()))
        .chain(s::flush)
        .replaceWith(view)
        .call(
            v ->
                record(s, context, AuditAction.ENTRY_CREATE, v, null, EntryMapper.json(v))
                    .chain(() -> notifier.notifySites(s, spec.siteUuids(), payload(v))))
        .map(v -> new Committed(v, false));
  }

  private Uni<Committed> commitUpdate(
      Mutiny.Session s, PreparedChange prepared, WriteContext context, Instant now) {
    EntryView before = prepared.before();
    String beforeJson = EntryMapper.json(before);
    return applyUpdate(s, before, prepared.after(), now)
        .call(
            after ->
                record(
                        s,
                        context,
                        AuditAction.ENTRY_UPDATE,
                        after,
                        beforeJson,
                        EntryMapper.json(after))
                    .chain(
                        () ->
                            notifier.notifySites(s, affectedSites(before, after), payload(after))))
        .map(after -> new Committed(after, false));
  }

  private Uni<Committed> commitDelete(
      Mutiny.Session s, PreparedChange prepared, WriteContext context, Instant now) {
    EntryView before = prepared.before();
    WorkloadEntryEntity entity = before.entity();
    String beforeJson = EntryMapper.json(before);
    if (before.sites().isEmpty()) {
      return entries
          .purge(s, entity)
          .chain(() -> record(s, context, AuditAction.ENTRY_DELETE, before, beforeJson, null))
          .replaceWith(new Committed(before, true));
    }
    return entries
        .siteRows(s, entity.getId())
        .chain(
            rows -> {
              entity.markDeleting(now);
              entity.bumpRevision();
              rows.forEach(row -> row.markDeleting(entity.getRevision(), now));
              return s.flush();
            })
        .chain(() -> view(s, entity))
        .call(
            after ->
                record(
                        s,
                        context,
                        AuditAction.ENTRY_DELETE,
                        after,
                        beforeJson,
                        EntryMapper.json(after))
                    .chain(() -> notifier.notifySites(s, siteIdsOf(after), payload(after))))
        .map(after -> new Committed(after, false));
  }

  /**
   * The prelude of every change to a stored entry: lock it (NOT_FOUND when it does not exist) and
   * then its site rows (the rows' lock order: entry, then its rows by site id), read it, and check
   * that the caller may write it as stored.
   */
  private Uni<EntryView> lockWritable(Mutiny.Session s, Access access, UUID id) {
    return entries
        .lock(s, id)
        .chain(
            entity ->
                entity == null
                    ? notFound(id)
                    : entries.lockSiteRows(s, id).chain(() -> view(s, entity)))
        .invoke(
            before ->
                EntryScope.requireWritable(
                    access, before.spec(), false, id.toString(), clusterDomain));
  }

  private Uni<EntryView> applyUpdate(
      Mutiny.Session s, EntryView before, EntrySpec merged, Instant now) {
    WorkloadEntryEntity entity = before.entity();
    UUID id = entity.getId();
    List<UUID> wanted = merged.siteUuids();
    return entries
        .selectorRows(s, List.of(id))
        .chain(
            selectorRows ->
                entries
                    .siteRows(s, id)
                    .chain(
                        siteRows -> {
                          entity.apply(merged, now);
                          entity.bumpRevision();
                          long rev = entity.getRevision();
                          List<Object> inserts = new ArrayList<>();
                          List<Object> deletes = new ArrayList<>();
                          diffSelectors(id, selectorRows, merged.selectors(), inserts, deletes);
                          // The selector rows are flushed before any site row changes: the sync
                          // event trigger labels each event with the entry's namespaces as its
                          // selector rows stand (V11), which must be this revision's.
                          return s.removeAll(deletes.toArray())
                              .chain(s::flush)
                              .chain(() -> s.persistAll(inserts.toArray()))
                              .chain(s::flush)
                              .chain(
                                  () -> {
                                    List<Object> newRows = new ArrayList<>();
                                    Map<UUID, EntrySiteEntity> existing = new HashMap<>();
                                    siteRows.forEach(row -> existing.put(row.getSiteId(), row));
                                    for (UUID site : wanted) {
                                      EntrySiteEntity row = existing.remove(site);
                                      if (row == null) {
                                        newRows.add(new EntrySiteEntity(id, site, rev, now));
                                      } else {
                                        row.markPending(rev, now);
                                      }
                                    }
                                    existing.values().forEach(row -> row.markDeleting(rev, now));
                                    return s.persistAll(newRows.toArray()).chain(s::flush);
                                  });
                        }))
        .chain(() -> view(s, entity));
  }

  /** A page of the entries matching {@code filter} that the caller may see. */
  public Uni<Page<EntryView>> list(
      Caller caller, EntryFilter requested, int pageSize, String pageToken) {
    EntryFilter filter = requested.scopedTo(caller.access());
    String fingerprint = filter.canonical();
    PageToken token = PageToken.decode(pageToken, fingerprint, 2);
    EntryReader.EntryKey after = token == null ? null : keyOf(token);
    return reader
        .page(filter, after, Page.fetchSize(pageSize))
        .map(
            rows ->
                Page.of(
                    rows,
                    pageSize,
                    fingerprint,
                    v -> List.of(v.entity().getSpiffeId(), v.entity().getId().toString())));
  }

  /** One result of a batch item: the value, or the failure the single call would have had. */
  public record ItemResult<T>(T value, ApiException error) {}

  /**
   * Creates each item as CreateEntry would, with one result per item, in order: the items that pass
   * every check are written together ({@link #createEach}).
   */
  public Uni<List<ItemResult<EntryView>>> batchCreate(Caller caller, List<BatchCreateItem> items) {
    checkBatchSize(items.size(), "requests");
    return createEach(caller, items)
        .map(
            outcomes ->
                outcomes.stream()
                    .map(
                        o ->
                            o.failure() == null
                                ? new ItemResult<EntryView>(o.entry(), null)
                                : new ItemResult<EntryView>(
                                    null, GrpcErrorMapper.asApiException(o.failure())))
                    .toList())
        .call(
            results ->
                recordDenials(
                    caller,
                    WorkloadEntryServiceGrpc.getBatchCreateEntriesMethod().getFullMethodName(),
                    results));
  }

  /** The outcome of one create: the entry created, or why it was not. */
  private record Outcome(EntryView entry, Throwable failure) {}

  /**
   * An item that passed the checks needing no database (content, scope), with the id it gets.
   *
   * @param index its position in the call
   */
  private record NewEntry(
      int index, UUID id, EntrySpec spec, String trustDomain, String requestId) {}

  /** Raised inside a write to roll it back: these entries' "similar" keys were taken. */
  private static final class SimilarTaken extends RuntimeException {
    private final transient List<NewEntry> taken;

    SimilarTaken(List<NewEntry> taken) {
      super(null, null, false, false);
      this.taken = taken;
    }
  }

  /**
   * Creates the items with as few statements as their number allows, each checked as CreateEntry
   * checks it: first, with no database, its content and the caller's scope; then, in one
   * transaction on the Vert.x client, every site of every item locked {@code FOR SHARE} in one
   * statement and the approval policy read once (pipelined), each item's sites and approval decided
   * in turn, items repeating an earlier item's "similar" key refused, and the rest written with one
   * statement per table (entry rows, selector rows, site rows, audit events, NOTIFYs, pipelined).
   * An entry whose similar key turns out taken rolls that transaction back; it is refused
   * ALREADY_EXISTS and the others are written again. Any other failure of a transaction of several
   * entries rolls it back and writes each entry alone, so a bad item fails only itself; a database
   * that is unreachable fails the call.
   */
  private Uni<List<Outcome>> createEach(Caller caller, List<BatchCreateItem> items) {
    Instant now = now();
    Outcome[] outcomes = new Outcome[items.size()];
    List<NewEntry> pending = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      try {
        BatchCreateItem item = items.get(i);
        EntrySpec spec = item.spec().get();
        String requestId = Ids.requestId(item.requestId(), "request_id");
        String trustDomain = checkCreate(caller.access(), spec, "entry.", now);
        pending.add(new NewEntry(i, UuidV7.next(), spec, trustDomain, requestId));
      } catch (RuntimeException e) {
        outcomes[i] = new Outcome(null, e);
      }
    }
    return write(caller, pending, now, outcomes).map(done -> Arrays.asList(outcomes));
  }

  /** Writes {@code pending} as {@link #createEach} says, filling in their outcomes. */
  private Uni<Void> write(Caller caller, List<NewEntry> pending, Instant now, Outcome[] outcomes) {
    if (pending.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return pool.withTransaction(tx -> writeIn(tx, caller, pending, now))
        .invoke(decided -> decided.forEach((i, outcome) -> outcomes[i] = outcome))
        .replaceWithVoid()
        .onFailure(SimilarTaken.class)
        .recoverWithUni(
            e -> {
              List<NewEntry> taken = ((SimilarTaken) e).taken;
              List<NewEntry> rest = new ArrayList<>(pending);
              rest.removeAll(taken);
              return refuseTaken(taken, outcomes).chain(() -> write(caller, rest, now, outcomes));
            })
        .onFailure(e -> !(e instanceof SimilarTaken) && !PgErrors.isDatabaseUnavailable(e))
        .recoverWithUni(
            e -> {
              if (pending.size() == 1) {
                outcomes[pending.get(0).index()] = new Outcome(null, e);
                return Uni.createFrom().voidItem();
              }
              return Multi.createFrom()
                  .iterable(pending)
                  .onItem()
                  .transformToUniAndConcatenate(p -> write(caller, List.of(p), now, outcomes))
                  .collect()
                  .last()
                  .replaceWithVoid();
            });
  }

  /** Refuses entries whose similar key was taken, naming the entry that holds it. */
  private Uni<Void> refuseTaken(List<NewEntry> taken, Outcome[] outcomes) {
    return inserts
        .similar(pool, taken.stream().map(p -> p.spec().similarKey()).toList())
        .invoke(
            holders ->
                taken.forEach(
                    p ->
                        outcomes[p.index()] =
                            new Outcome(null, similarExists(holders.get(p.spec().similarKey())))))
        .replaceWithVoid();
  }

  /**
   * One transaction of {@link #createEach}: the outcome of each pending item by index, or a failure
   * that rolls it back.
   */
  private Uni<Map<Integer, Outcome>> writeIn(
      SqlClient tx, Caller caller, List<NewEntry> pending, Instant now) {
    Set<UUID> siteIds = new LinkedHashSet<>();
    pending.forEach(p -> siteIds.addAll(p.spec().siteUuids()));
    Uni<Map<UUID, SiteEntity>> locked = sites.lockShared(tx, siteIds);
    Uni<ApprovalService.DirectGate> policy = gate.gate(tx, caller, siteIds);
    return Uni.combine()
        .all()
        .unis(locked, policy)
        .asTuple()
        .chain(
            checks -> {
              Map<Integer, Outcome> decided = new HashMap<>();
              List<Accepted> accepted = new ArrayList<>();
              Map<String, NewEntry> keys = new HashMap<>();
              for (NewEntry p : pending) {
                try {
                  List<SiteEntity> at =
                      requireSites(checks.getItem1(), p.spec().siteUuids(), p.trustDomain());
                  List<String> bypassed = checks.getItem2().check(null, p.spec());
                  NewEntry first = keys.putIfAbsent(p.spec().similarKey(), p);
                  if (first != null) {
                    throw similarExists(first.id());
                  }
                  accepted.add(accepted(p, at, bypassed, caller, now));
                } catch (RuntimeException e) {
                  decided.put(p.index(), new Outcome(null, e));
                }
              }
              return insert(tx, accepted, now)
                  .map(
                      done -> {
                        accepted.forEach(
                            a -> decided.put(a.entry().index(), new Outcome(a.view(), null)));
                        return decided;
                      });
            });
  }

  /**
   * A checked entry ready to be written: its row, its view as created, its audit events (the
   * create, and an Admin's policy bypass) and its notifications.
   */
  private record Accepted(
      NewEntry entry,
      WorkloadEntryEntity row,
      EntryView view,
      List<AuditRecord> events,
      List<SiteNotifier.Notice> notices) {}

  private static Accepted accepted(
      NewEntry p, List<SiteEntity> at, List<String> bypassed, Caller caller, Instant now) {
    WorkloadEntryEntity row = new WorkloadEntryEntity(p.id(), p.spec(), caller.name(), now);
    EntryView view = newView(row, p.spec(), at);
    String id = p.id().toString();
    List<AuditRecord> events = new ArrayList<>();
    events.add(
        new AuditRecord(
            caller.name(),
            AuditAction.ENTRY_CREATE,
            id,
            p.requestId(),
            null,
            EntryMapper.json(view)));
    if (!bypassed.isEmpty()) {
      events.add(
          new AuditRecord(
              caller.name(),
              AuditAction.ENTRY_POLICY_BYPASS,
              id,
              p.requestId(),
              null,
              bypassJson(ChangeKind.CREATE, bypassed)));
    }
    List<SiteNotifier.Notice> notices =
        p.spec().siteUuids().stream()
            .map(site -> new SiteNotifier.Notice(site, payload(view)))
            .toList();
    return new Accepted(p, row, view, events, notices);
  }

  /**
   * Writes accepted entries with one statement per table, sent together: entry rows (skipping a
   * taken similar key), selector rows before site rows (the sync event trigger labels each event
   * with the entry's namespaces as its selector rows stand, V11), audit events, NOTIFYs. Fails with
   * {@link SimilarTaken} when an entry row was skipped.
   */
  private Uni<Void> insert(SqlClient tx, List<Accepted> accepted, Instant now) {
    if (accepted.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    Map<UUID, List<SelectorValue>> selectors = new LinkedHashMap<>();
    Map<UUID, List<UUID>> siteRows = new LinkedHashMap<>();
    List<AuditRecord> events = new ArrayList<>();
    List<SiteNotifier.Notice> notices = new ArrayList<>();
    for (Accepted a : accepted) {
      selectors.put(a.entry().id(), a.entry().spec().selectors());
      siteRows.put(a.entry().id(), a.entry().spec().siteUuids());
      events.addAll(a.events());
      notices.addAll(a.notices());
    }
    AtomicReference<Set<UUID>> inserted = new AtomicReference<>();
    Uni<Set<UUID>> rows =
        inserts
            .insertEntries(tx, accepted.stream().map(Accepted::row).toList())
            .invoke(inserted::set);
    return Uni.combine()
        .all()
        .unis(
            rows,
            inserts.insertSelectors(tx, selectors),
            inserts.insertSiteRows(tx, siteRows, 1, now),
            audit.appendAll(tx, events),
            notifier.notifyEach(tx, notices))
        .discardItems()
        // A skipped entry row makes its selector rows fail their foreign key: the skip is the
        // cause, and rolls the transaction back.
        .onItemOrFailure()
        .transformToUni(
            (done, failure) -> {
              Optional<SimilarTaken> taken = taken(accepted, inserted.get());
              if (taken.isPresent()) {
                return Uni.createFrom().failure(taken.get());
              }
              return failure == null
                  ? Uni.createFrom().voidItem()
                  : Uni.createFrom().failure(failure);
            });
  }

  private static Optional<SimilarTaken> taken(List<Accepted> accepted, Set<UUID> inserted) {
    if (inserted == null || inserted.size() == accepted.size()) {
      return Optional.empty();
    }
    return Optional.of(
        new SimilarTaken(
            accepted.stream()
                .map(Accepted::entry)
                .filter(p -> !inserted.contains(p.id()))
                .toList()));
  }

  /**
   * The sites an entry is created at, from the sites locked for its batch: they exist, are not
   * INACTIVE and serve its trust domain (checked as {@link #checkSites} checks them).
   */
  private static List<SiteEntity> requireSites(
      Map<UUID, SiteEntity> locked, List<UUID> siteIds, String trustDomain) {
    String field = "entry.site_ids";
    List<SiteEntity> at = new ArrayList<>();
    for (UUID siteId : siteIds) {
      SiteEntity site = locked.get(siteId);
      if (site == null) {
        throw ApiException.field(ErrorReason.SITE_NOT_FOUND, field, "no site has id " + siteId);
      }
      requireCreatable(site, trustDomain, field);
      at.add(site);
    }
    return at;
  }

  /** Deletes each id in its own transaction; one result per id, in order. */
  public Uni<List<ItemResult<DeleteResult>>> batchDelete(
      Caller caller, List<String> ids, String requestId) {
    checkBatchSize(ids.size(), "ids");
    List<Integer> indexes = IntStream.range(0, ids.size()).boxed().toList();
    return each(indexes, i -> delete(caller, Ids.parse(ids.get(i), "ids[" + i + "]"), 0, requestId))
        .call(
            results ->
                recordDenials(
                    caller,
                    WorkloadEntryServiceGrpc.getBatchDeleteEntriesMethod().getFullMethodName(),
                    results));
  }

  /** Writes the batch items denied to the caller to the audit trail, one event each. */
  private <T> Uni<Void> recordDenials(Caller caller, String method, List<ItemResult<T>> results) {
    List<String> reasons = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      ApiException error = results.get(i).error();
      if (error != null && error.reason().code() == Status.Code.PERMISSION_DENIED) {
        reasons.add("item " + i + ": " + error.getMessage());
      }
    }
    return Multi.createFrom()
        .iterable(reasons)
        .onItem()
        .transformToUniAndConcatenate(reason -> denials.record(caller.name(), method, reason))
        .collect()
        .last()
        .replaceWithVoid();
  }

  /**
   * An item of BatchCreateEntries.
   *
   * @param spec the entry, mapped from the request inside the item's own failure scope
   * @param requestId its request id
   */
  public record BatchCreateItem(Supplier<EntrySpec> spec, String requestId) {}

  private static <I, T> Uni<List<ItemResult<T>>> each(List<I> items, Function<I, Uni<T>> call) {
    return Multi.createFrom()
        .iterable(items)
        .onItem()
        .transformToUniAndConcatenate(
            item ->
                Uni.createFrom()
                    .deferred(() -> call.apply(item))
                    .map(value -> new ItemResult<T>(value, null))
                    // A database that is gone fails the batch as a whole (UNAVAILABLE), rather
                    // than every remaining item one by one.
                    .onFailure(e -> !PgErrors.isDatabaseUnavailable(e))
                    .recoverWithItem(
                        e -> new ItemResult<T>(null, GrpcErrorMapper.asApiException(e))))
        .collect()
        .asList();
  }

  private static void checkBatchSize(int size, String field) {
    if (size == 0) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, field, "a batch needs at least one item");
    }
    if (size > MAX_BATCH) {
      throw ApiException.field(
          ErrorReason.BATCH_TOO_LARGE,
          field,
          "a batch holds at most " + MAX_BATCH + " items (got " + size + "); split it");
    }
  }

  /**
   * Sites about to receive the entry: they exist, are not INACTIVE and serve the entry's trust
   * domain.
   */
  private Uni<List<SiteEntity>> checkSites(
      Mutiny.Session s, List<UUID> siteIds, String trustDomain, String field) {
    return forEachSite(s, siteIds, field, site -> requireCreatable(site, trustDomain, field));
  }

  /** A site about to receive an entry: not INACTIVE, and serving the entry's trust domain. */
  private static void requireCreatable(SiteEntity site, String trustDomain, String field) {
    if (site.getStatus() == SiteEntity.Status.INACTIVE) {
      throw ApiException.field(
          ErrorReason.SITE_INACTIVE,
          field,
          "site '" + site.getName() + "' is INACTIVE and takes no new entries");
    }
    requireTrustDomain(site, trustDomain, field);
  }

  /** Sites the entry stays at must still serve its (maybe changed) trust domain. */
  private Uni<List<SiteEntity>> checkTrustDomain(
      Mutiny.Session s, List<UUID> siteIds, String trustDomain, String field) {
    return forEachSite(s, siteIds, field, site -> requireTrustDomain(site, trustDomain, field));
  }

  /**
   * Locks each site {@code FOR SHARE} in turn and runs {@code check} on it; the locked sites, in
   * order.
   */
  private Uni<List<SiteEntity>> forEachSite(
      Mutiny.Session s, List<UUID> siteIds, String field, Consumer<SiteEntity> check) {
    return Multi.createFrom()
        .iterable(siteIds)
        .onItem()
        .transformToUniAndConcatenate(
            siteId ->
                sites
                    .lockShared(s, siteId)
                    .invoke(
                        site -> {
                          if (site == null) {
                            throw ApiException.field(
                                ErrorReason.SITE_NOT_FOUND, field, "no site has id " + siteId);
                          }
                          check.accept(site);
                        }))
        .collect()
        .asList();
  }

  private static void requireTrustDomain(SiteEntity site, String trustDomain, String field) {
    if (!site.getTrustDomain().equals(trustDomain)) {
      throw ApiException.field(
          ErrorReason.TRUST_DOMAIN_MISMATCH,
          field,
          "site '"
              + site.getName()
              + "' serves trust domain '"
              + site.getTrustDomain()
              + "', not the SPIFFE ID's '"
              + trustDomain
              + "'");
    }
  }

  private Uni<Void> rejectSimilar(Mutiny.Session s, EntrySpec spec, UUID self) {
    return entries
        .findSimilar(s, spec.similarKey(), self)
        .invoke(
            existing -> {
              if (existing != null) {
                throw similarExists(existing);
              }
            })
        .replaceWithVoid();
  }

  private static ApiException similarExists(UUID existing) {
    return ApiException.of(
        ErrorReason.ENTRY_ALREADY_EXISTS,
        "an entry with the same SPIFFE ID, parent ID and selectors already exists"
            + (existing == null ? "" : " (id " + existing + ")")
            + "; SPIRE allows only one");
  }

  /** Fails with MISSING_FIELD unless {@code revision} is positive (a read revision). */
  public static void requireRevision(long revision, String field) {
    if (revision <= 0) {
      throw ApiException.field(
          ErrorReason.MISSING_FIELD, field, "the revision the entry was read at is required");
    }
  }

  private static void checkRevision(WorkloadEntryEntity entity, long revision, String field) {
    if (entity.getRevision() != revision) {
      throw ApiException.field(
          ErrorReason.STALE_REVISION,
          field,
          "entry "
              + entity.getId()
              + " is at revision "
              + entity.getRevision()
              + ", not "
              + revision
              + "; read it again and retry");
    }
  }

  private static EntrySpec merge(EntrySpec current, EntrySpec patch, Set<EntryField> mask) {
    return new EntrySpec(
        mask.contains(EntryField.SPIFFE_ID) ? patch.spiffeId() : current.spiffeId(),
        mask.contains(EntryField.PARENT_ID) ? patch.parentId() : current.parentId(),
        mask.contains(EntryField.SELECTORS) ? patch.selectors() : current.selectors(),
        mask.contains(EntryField.TTL) ? patch.ttl() : current.ttl(),
        mask.contains(EntryField.DNS_NAMES) ? patch.dnsNames() : current.dnsNames(),
        mask.contains(EntryField.ADMIN) ? patch.admin() : current.admin(),
        mask.contains(EntryField.DOWNSTREAM) ? patch.downstream() : current.downstream(),
        mask.contains(EntryField.EXPIRY_TIME) ? patch.expiresAt() : current.expiresAt(),
        mask.contains(EntryField.SITE_IDS) ? patch.siteIds() : current.siteIds(),
        mask.contains(EntryField.FEDERATES_WITH) ? patch.federatesWith() : current.federatesWith(),
        mask.contains(EntryField.JWT_SVID_TTL) ? patch.jwtSvidTtl() : current.jwtSvidTtl(),
        mask.contains(EntryField.HINT) ? patch.hint() : current.hint(),
        mask.contains(EntryField.STORE_SVID) ? patch.storeSvid() : current.storeSvid());
  }

  private static void addSelectorRows(List<Object> rows, UUID id, List<SelectorValue> selectors) {
    for (int i = 0; i < selectors.size(); i++) {
      rows.add(new EntrySelectorEntity(id, selectors.get(i), i));
    }
  }

  private static void diffSelectors(
      UUID id,
      List<EntrySelectorEntity> current,
      List<SelectorValue> wanted,
      List<Object> inserts,
      List<Object> deletes) {
    Map<String, EntrySelectorEntity> byHash = new HashMap<>();
    current.forEach(row -> byHash.put(row.getSelectorHash(), row));
    for (int i = 0; i < wanted.size(); i++) {
      SelectorValue selector = wanted.get(i);
      EntrySelectorEntity row = byHash.remove(selector.hash());
      if (row == null) {
        inserts.add(new EntrySelectorEntity(id, selector, i));
      } else {
        row.set(selector, i);
      }
    }
    deletes.addAll(byHash.values());
  }

  /** The view of a just-created entry: its selectors as given, PENDING at each of its sites. */
  private static EntryView newView(
      WorkloadEntryEntity entity, EntrySpec spec, List<SiteEntity> sites) {
    List<EntryView.SiteState> states =
        sites.stream()
            .map(
                site ->
                    new EntryView.SiteState(
                        site.getId(),
                        site.getName(),
                        EntrySiteEntity.SyncState.PENDING,
                        null,
                        null,
                        null,
                        0))
            .sorted(Comparator.comparing(EntryView.SiteState::siteName))
            .toList();
    return new EntryView(entity, List.copyOf(spec.selectors()), states);
  }

  private Uni<EntryView> view(Mutiny.Session s, WorkloadEntryEntity entity) {
    return entries.views(s, List.of(entity)).map(views -> views.get(0));
  }

  private Uni<Void> record(
      Mutiny.Session s,
      WriteContext context,
      AuditAction action,
      EntryView view,
      String beforeJson,
      String afterJson) {
    return audit.append(
        s,
        new AuditRecord(
            context.actor(),
            action,
            view.entity().getId().toString(),
            context.auditRequestId(),
            beforeJson,
            afterJson));
  }

  private static List<UUID> siteIdsOf(EntryView view) {
    return view.sites().stream().map(EntryView.SiteState::siteId).toList();
  }

  private static List<UUID> affectedSites(EntryView before, EntryView after) {
    Set<UUID> all = new LinkedHashSet<>(siteIdsOf(before));
    all.addAll(siteIdsOf(after));
    return List.copyOf(all);
  }

  private static String payload(EntryView view) {
    return view.entity().getId() + ":" + view.entity().getRevision();
  }

  private static <T> Uni<T> notFound(UUID id) {
    return Uni.createFrom()
        .failure(ApiException.of(ErrorReason.ENTRY_NOT_FOUND, "no entry has id " + id));
  }

  private static EntryReader.EntryKey keyOf(PageToken token) {
    try {
      String spiffeId = SpiffeId.parse(token.keys().get(0), "page_token").toString();
      return new EntryReader.EntryKey(spiffeId, Ids.parse(token.keys().get(1), "page_token"));
    } catch (ApiException e) {
      throw PageToken.invalidToken();
    }
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
