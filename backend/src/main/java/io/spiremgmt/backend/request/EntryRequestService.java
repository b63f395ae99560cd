package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.auth.Role;
import io.spiremgmt.backend.entry.EntryField;
import io.spiremgmt.backend.entry.EntryMapper;
import io.spiremgmt.backend.entry.EntryScope;
import io.spiremgmt.backend.entry.EntryService;
import io.spiremgmt.backend.entry.EntrySpec;
import io.spiremgmt.backend.entry.EntryView;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.error.PgErrors;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.UuidV7;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Entry requests: submission (applied at once when the approval policy asks for no approval),
 * preview, reads, decisions and expiry. Every state change is one transaction with its audit event
 * and its {@code entry_request_events} row; an applied change goes through {@link EntryService}'s
 * write path in that same transaction.
 */
@ApplicationScoped
public class EntryRequestService {
  /** Longest justification, comment or rejection reason. */
  public static final int MAX_TEXT = 2000;

  /** The actor of changes the service makes by itself (expiry). */
  public static final String SYSTEM = "system";

  private static final String UNIQUE_CLIENT = "entry_requests_client_uq";
  private static final String UNIQUE_SIMILAR = "workload_entries_similar_uq";

  private final Mutiny.SessionFactory sessions;
  private final EntryRequestRepository requests;
  private final ApprovalPolicyService policy;
  private final EntryService entries;
  private final AuditRepository audit;
  private final RequestMetrics metrics;
  private final Duration expireAfter;

  EntryRequestService(
      Mutiny.SessionFactory sessions,
      EntryRequestRepository requests,
      ApprovalPolicyService policy,
      EntryService entries,
      AuditRepository audit,
      RequestMetrics metrics,
      RequestConfig config) {
    this.sessions = sessions;
    this.requests = requests;
    this.policy = policy;
    this.entries = entries;
    this.audit = audit;
    this.metrics = metrics;
    this.expireAfter = config.expireAfter();
  }

  /**
   * A request as the API shows it.
   *
   * @param request the row
   * @param approvals its approvals, oldest first
   * @param current the entry as it is now (GetEntryRequest only), or null
   */
  public record RequestView(
      EntryRequestEntity request, List<EntryRequestApproval> approvals, Entry current) {}

  /**
   * What a submit would do.
   *
   * @param problems every problem found
   * @param evaluation the approval verdict, or null when the change did not get that far
   */
  public record Preview(List<ApiException> problems, PolicyEvaluator.Evaluation evaluation) {}

  /**
   * Submits a change; see {@code EntryRequestService.SubmitEntryRequest}.
   *
   * @param clientRequestId the idempotency key, or null
   * @param supersedes the request this one replaces, or null
   */
  public Uni<RequestView> submit(
      Caller caller,
      ChangeInput change,
      String justification,
      String clientRequestId,
      UUID supersedes) {
    checkText(justification, "justification", true);
    if (clientRequestId != null) {
      io.spiremgmt.backend.validation.Text.check(clientRequestId, "request_id", Ids.MAX_REQUEST_ID);
    }
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                person(s, caller)
                    .chain(
                        person ->
                            (clientRequestId == null
                                    ? Uni.createFrom().<EntryRequestEntity>nullItem()
                                    : requests.findByClientRequestId(
                                        s, caller.name(), clientRequestId))
                                .chain(
                                    existing ->
                                        existing != null
                                            ? view(s, existing, false)
                                            : submitNew(
                                                s,
                                                caller,
                                                person,
                                                change,
                                                justification,
                                                clientRequestId,
                                                supersedes,
                                                now))))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_CLIENT))
        .recoverWithUni(
            () ->
                // A concurrent retry with the same key won the insert: answer with its request.
                sessions.withSession(
                    s ->
                        requests
                            .findByClientRequestId(s, caller.name(), clientRequestId)
                            .chain(r -> view(s, r, false))))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_SIMILAR))
        .transform(EntryRequestService::similarExists);
  }

  private Uni<RequestView> submitNew(
      Mutiny.Session s,
      Caller caller,
      String person,
      ChangeInput change,
      String justification,
      String clientRequestId,
      UUID supersedes,
      Instant now) {
    UUID entryId = change.entryId() == null ? UuidV7.next() : change.entryId();
    return lockSuperseded(s, person, supersedes)
        .chain(
            old ->
                prepare(s, caller.access(), change, entryId, now)
                    .chain(
                        prepared ->
                            policy
                                .evaluate(s, caller, prepared.beforeSpec(), prepared.after())
                                .chain(
                                    verdict -> {
                                      EntryRequestEntity r =
                                          newRequest(
                                              caller,
                                              person,
                                              change,
                                              prepared,
                                              justification,
                                              clientRequestId,
                                              verdict,
                                              now);
                                      if (old != null) {
                                        r.setSupersedes(old.getId());
                                      }
                                      Uni<Void> persisted = s.persist(r).chain(s::flush);
                                      if (old != null) {
                                        persisted =
                                            persisted.invoke(() -> old.setSupersededBy(r.getId()));
                                      }
                                      if (verdict.required()) {
                                        return persisted.chain(
                                            () ->
                                                record(
                                                    s,
                                                    r,
                                                    caller.name(),
                                                    AuditAction.ENTRY_REQUEST_SUBMIT,
                                                    "submit"));
                                      }
                                      return persisted.chain(
                                          () -> apply(s, caller, r, prepared, now));
                                    })));
  }

  private Uni<EntryRequestEntity> lockSuperseded(Mutiny.Session s, String person, UUID id) {
    if (id == null) {
      return Uni.createFrom().nullItem();
    }
    return requests
        .lock(s, id)
        .invoke(
            old -> {
              if (old == null || !old.getRequesterPerson().equals(person)) {
                throw ApiException.field(
                    old == null
                        ? ErrorReason.REQUEST_NOT_FOUND
                        : ErrorReason.REQUEST_NOT_SUPERSEDABLE,
                    "supersedes",
                    old == null
                        ? "no entry request has id " + id
                        : "request " + id + " is not yours: only its requester may supersede it");
              }
              if (old.getState() != EntryRequestEntity.State.CONFLICT
                  && old.getState() != EntryRequestEntity.State.FAILED) {
                throw ApiException.field(
                    ErrorReason.REQUEST_NOT_SUPERSEDABLE,
                    "supersedes",
                    "request "
                        + id
                        + " is "
                        + old.getState()
                        + "; only a CONFLICT or FAILED request can be superseded");
              }
              if (old.getSupersededBy() != null) {
                throw ApiException.field(
                    ErrorReason.REQUEST_NOT_SUPERSEDABLE,
                    "supersedes",
                    "request " + id + " is superseded already by " + old.getSupersededBy());
              }
            });
  }

  /**
   * Every check of the change, in the session's transaction, as the direct write makes them (the
   * rows it reads are locked as the write would lock them).
   */
  private Uni<EntryService.PreparedChange> prepare(
      Mutiny.Session s, Access access, ChangeInput change, UUID entryId, Instant now) {
    return switch (change.kind()) {
      case CREATE -> entries.prepareCreate(s, access, change.spec(), entryId, change.prefix(), now);
      case UPDATE ->
          entries.prepareUpdate(
              s,
              access,
              entryId,
              change.revision(),
              change.spec(),
              change.mask(),
              change.prefix(),
              now);
      case DELETE ->
          entries
              .prepareDelete(s, access, entryId, change.revision(), change.prefix() + "revision")
              .invoke(
                  prepared -> {
                    if (prepared.alreadyDeleting()) {
                      throw ApiException.of(
                          ErrorReason.ENTRY_BEING_DELETED,
                          "entry " + entryId + " is being deleted already");
                    }
                  });
    };
  }

  private EntryRequestEntity newRequest(
      Caller caller,
      String person,
      ChangeInput change,
      EntryService.PreparedChange prepared,
      String justification,
      String clientRequestId,
      PolicyEvaluator.Evaluation verdict,
      Instant now) {
    Set<String> namespaces = new LinkedHashSet<>();
    EntrySpec before = prepared.beforeSpec();
    if (before != null) {
      namespaces.addAll(EntryScope.namespaces(before.selectors()));
    }
    if (prepared.after() != null) {
      namespaces.addAll(EntryScope.namespaces(prepared.after().selectors()));
    }
    EntryRequestEntity r =
        new EntryRequestEntity(
            UuidV7.next(),
            EntryRequestEntity.Kind.valueOf(change.kind().name()),
            prepared.id(),
            change.revision(),
            prepared.before() == null ? null : EntryMapper.toProto(prepared.before()).toByteArray(),
            prepared.after() == null
                ? null
                : EntryMapper.content(prepared.after()).toBuilder()
                    .setId(prepared.id().toString())
                    .build()
                    .toByteArray(),
            change.mask().stream().map(EntryField::path).sorted().toList(),
            justification,
            caller.name(),
            person,
            clientRequestId,
            verdict.sites(),
            List.copyOf(namespaces),
            now,
            now.plus(expireAfter));
    r.requireApproval(verdict.reasons(), verdict.approvals());
    return r;
  }

  /** Writes the prepared change for request {@code r} and ends it APPLIED. */
  private Uni<RequestView> apply(
      Mutiny.Session s,
      Caller decider,
      EntryRequestEntity r,
      EntryService.PreparedChange prepared,
      Instant now) {
    EntryService.WriteContext context =
        new EntryService.WriteContext(decider, decider.name(), r.getId().toString(), true);
    return entries
        .commit(s, prepared, context, now)
        .chain(
            committed -> {
              if (!committed.purged()) {
                r.setAppliedEntry(EntryMapper.toProto(committed.entry()).toByteArray());
              }
              r.end(EntryRequestEntity.State.APPLIED, decider.name(), null, now);
              return record(s, r, decider.name(), AuditAction.ENTRY_REQUEST_APPLY, "apply");
            });
  }

  /** Previews a change: what a submit would answer, writing nothing. */
  public Uni<Preview> preview(Caller caller, ChangeInput change, String justification) {
    List<ApiException> problems = new java.util.ArrayList<>();
    try {
      checkText(justification, "justification", true);
    } catch (ApiException e) {
      problems.add(e);
    }
    if (change == null) {
      return Uni.createFrom().item(new Preview(List.copyOf(problems), null));
    }
    if (change.kind() == EntryService.ChangeKind.CREATE) {
      // An update's values are a patch: they are checked once merged with the stored entry.
      problems.addAll(
          io.spiremgmt.backend.entry.EntryValidator.problems(
              change.spec(), change.prefix(), now()));
    }
    if (problems.stream().anyMatch(p -> p.field() != null && p.field().startsWith("change"))) {
      // The content is broken: the checks against stored state would only repeat it.
      return Uni.createFrom().item(new Preview(List.copyOf(problems), null));
    }
    Instant now = now();
    UUID entryId = change.entryId() == null ? UuidV7.next() : change.entryId();
    return sessions.withTransaction(
        (s, tx) -> {
          // Nothing of a preview is ever committed.
          tx.markForRollback();
          return prepare(s, caller.access(), change, entryId, now)
              .chain(
                  prepared -> policy.evaluate(s, caller, prepared.beforeSpec(), prepared.after()))
              .map(verdict -> new Preview(List.copyOf(problems), verdict))
              .onFailure(ApiException.class)
              .recoverWithItem(
                  e -> {
                    problems.add((ApiException) e);
                    return new Preview(List.copyOf(problems), null);
                  });
        });
  }

  /** One request the caller may see, with the entry as it is now. */
  public Uni<RequestView> get(Caller caller, UUID id) {
    return sessions.withSession(
        s ->
            person(s, caller)
                .chain(
                    person ->
                        requests
                            .find(s, id)
                            .invoke(r -> requireVisible(caller, person, r, id))
                            .chain(r -> view(s, r, true))
                            .map(v -> withoutHiddenCurrent(caller, v))));
  }

  /**
   * The view without the current entry when the caller may not see it (a Developer's request whose
   * entry has since left its namespaces).
   */
  private static RequestView withoutHiddenCurrent(Caller caller, RequestView v) {
    if (v.current() == null
        || EntryScope.visible(
            caller.access(),
            v.current().getSelectorsList().stream()
                .map(
                    sel ->
                        new io.spiremgmt.backend.entry.SelectorValue(sel.getType(), sel.getValue()))
                .toList())) {
      return v;
    }
    return new RequestView(v.request(), v.approvals(), null);
  }

  /** A page of the requests matching the filter that the caller may see, newest first. */
  public Uni<Page<RequestView>> list(
      Caller caller, EntryRequestMapper.ListInput input, int pageSize, String pageToken) {
    return sessions.withSession(
        s ->
            person(s, caller)
                .chain(
                    person -> {
                      RequestFilter filter =
                          new RequestFilter(
                              input.mine(),
                              input.awaiting(),
                              input.states(),
                              input.siteId(),
                              input.entryId(),
                              input.namespace(),
                              person,
                              caller.access().kind() == Access.Kind.ALL
                                  ? null
                                  : caller.access().namespaces());
                      String fingerprint = filter.canonical();
                      PageToken token = PageToken.decode(pageToken, fingerprint, 1);
                      UUID after = token == null ? null : afterId(token);
                      if (filter.awaiting() && !mayApprove(caller)) {
                        // Nothing awaits the decision of a caller who cannot decide.
                        return Uni.createFrom().item(new Page<RequestView>(List.of(), ""));
                      }
                      return requests
                          .page(s, filter, after, Page.fetchSize(pageSize))
                          .chain(
                              rows ->
                                  requests
                                      .approvals(
                                          s, rows.stream().map(EntryRequestEntity::getId).toList())
                                      .map(
                                          approvals ->
                                              Page.of(
                                                      rows,
                                                      pageSize,
                                                      fingerprint,
                                                      r -> List.of(r.getId().toString()))
                                                  .map(
                                                      r ->
                                                          new RequestView(
                                                              r,
                                                              approvals.getOrDefault(
                                                                  r.getId(), List.of()),
                                                              null))));
                    }));
  }

  /**
   * Approves a request; on its last approval applies the change (APPLIED), or ends it CONFLICT or
   * FAILED.
   */
  public Uni<RequestView> approve(Caller caller, UUID id, String comment) {
    checkText(comment, "comment", false);
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                decide(s, caller, id, now, true)
                    .chain(
                        d ->
                            requests
                                .addApproval(
                                    s,
                                    id,
                                    new EntryRequestApproval(
                                        d.person(), caller.name(), comment, now))
                                .chain(
                                    added ->
                                        requests
                                            .approvals(s, List.of(id))
                                            .chain(
                                                byId -> {
                                                  EntryRequestEntity r = d.request();
                                                  int count =
                                                      byId.getOrDefault(id, List.of()).size();
                                                  if (count < r.getApprovalsRequired()) {
                                                    if (!added) {
                                                      // A second approval by the same person
                                                      // counts once and changes nothing.
                                                      return view(s, r, false);
                                                    }
                                                    r.touch(now);
                                                    return record(
                                                        s,
                                                        r,
                                                        caller.name(),
                                                        AuditAction.ENTRY_REQUEST_APPROVE,
                                                        "approve");
                                                  }
                                                  return applyApproved(s, caller, r, now);
                                                }))))
        .invoke(v -> observeDecision(v.request(), now))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_SIMILAR))
        .transform(EntryRequestService::similarExists);
  }

  private Uni<RequestView> applyApproved(
      Mutiny.Session s, Caller caller, EntryRequestEntity r, Instant now) {
    ChangeInput change = storedChange(r);
    return prepare(s, caller.access(), change, r.getEntryId(), now)
        .map(prepared -> (Object) prepared)
        .onFailure(ApiException.class)
        .recoverWithItem(e -> e)
        .chain(
            outcome -> {
              if (outcome instanceof EntryService.PreparedChange prepared) {
                return apply(s, caller, r, prepared, now);
              }
              ApiException e = (ApiException) outcome;
              if (e.reason() == ErrorReason.STALE_REVISION
                  || (e.reason() == ErrorReason.ENTRY_BEING_DELETED
                      && r.getKind() != EntryRequestEntity.Kind.CREATE)) {
                return conflict(s, caller, r, e, now);
              }
              r.setFailureReason(e.reason().name());
              r.end(EntryRequestEntity.State.FAILED, caller.name(), e.getMessage(), now);
              return record(s, r, caller.name(), AuditAction.ENTRY_REQUEST_FAIL, "fail");
            });
  }

  private Uni<RequestView> conflict(
      Mutiny.Session s, Caller caller, EntryRequestEntity r, ApiException e, Instant now) {
    return entries
        .current(s, r.getEntryId())
        .chain(
            current -> {
              if (current != null) {
                r.setConflictingEntry(EntryMapper.toProto(current).toByteArray());
              }
              r.end(
                  EntryRequestEntity.State.CONFLICT,
                  caller.name(),
                  "the entry changed since the request was based on revision "
                      + r.getBaseRevision()
                      + ": "
                      + e.getMessage()
                      + "; submit a new request that supersedes this one",
                  now);
              return record(s, r, caller.name(), AuditAction.ENTRY_REQUEST_CONFLICT, "conflict");
            });
  }

  /** The change a stored request asks for. */
  private static ChangeInput storedChange(EntryRequestEntity r) {
    EntryService.ChangeKind kind = EntryService.ChangeKind.valueOf(r.getKind().name());
    EntrySpec spec =
        r.getProposedEntry() == null
            ? null
            : EntryMapper.toSpec(EntryRequestMapper.parse(r.getProposedEntry()));
    Set<EntryField> mask =
        kind == EntryService.ChangeKind.UPDATE ? EntryField.fromMask(r.getUpdateMask()) : Set.of();
    return new ChangeInput(
        kind, r.getEntryId(), r.getBaseRevision(), spec, mask, "proposed_entry.");
  }

  /** Rejects a request with a reason. */
  public Uni<RequestView> reject(Caller caller, UUID id, String reason) {
    checkText(reason, "reason", true);
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                decide(s, caller, id, now, true)
                    .chain(
                        d -> {
                          d.request()
                              .end(EntryRequestEntity.State.REJECTED, caller.name(), reason, now);
                          return record(
                              s,
                              d.request(),
                              caller.name(),
                              AuditAction.ENTRY_REQUEST_REJECT,
                              "reject");
                        }))
        .invoke(v -> observeDecision(v.request(), now));
  }

  /** Cancels a request; only its requester may. */
  public Uni<RequestView> cancel(Caller caller, UUID id) {
    Instant now = now();
    return sessions.withTransaction(
        (s, tx) ->
            decide(s, caller, id, now, false)
                .chain(
                    d -> {
                      d.request().end(EntryRequestEntity.State.CANCELLED, caller.name(), null, now);
                      return record(
                          s,
                          d.request(),
                          caller.name(),
                          AuditAction.ENTRY_REQUEST_CANCEL,
                          "cancel");
                    }));
  }

  private record Decision(EntryRequestEntity request, String person) {}

  /**
   * The prelude of a decision: the request locked without waiting (ABORTED when another decision
   * holds it), PENDING and not past its expiry, and decided by someone other than its requester
   * (approve, reject) or by its requester (cancel).
   */
  private Uni<Decision> decide(
      Mutiny.Session s, Caller caller, UUID id, Instant now, boolean approver) {
    return person(s, caller)
        .chain(
            person ->
                requests
                    .lockNowait(s, id)
                    .map(
                        r -> {
                          requireVisible(caller, person, r, id);
                          if (r.getState() != EntryRequestEntity.State.PENDING) {
                            throw ApiException.of(
                                ErrorReason.REQUEST_NOT_PENDING,
                                "request " + id + " is " + r.getState() + ", not PENDING");
                          }
                          if (!r.getExpiresAt().isAfter(now)) {
                            throw ApiException.of(
                                ErrorReason.REQUEST_NOT_PENDING,
                                "request " + id + " expired at " + r.getExpiresAt());
                          }
                          boolean own = r.getRequesterPerson().equals(person);
                          if (approver && own) {
                            throw ApiException.of(
                                ErrorReason.SELF_APPROVAL,
                                "request "
                                    + id
                                    + " is yours ("
                                    + person
                                    + "): another approver must decide it; you may cancel it");
                          }
                          if (!approver && !own) {
                            throw ApiException.of(
                                ErrorReason.NOT_REQUESTER,
                                "only the requester (" + r.getRequesterPerson() + ") may cancel");
                          }
                          return new Decision(r, person);
                        }));
  }

  /** Ends PENDING requests past their expiry (a batch of at most {@code limit}); how many. */
  public Uni<Integer> expireDue(int limit) {
    Instant now = now();
    return sessions.withTransaction(
        (s, tx) ->
            requests
                .lockExpired(s, now, limit)
                .chain(
                    due -> {
                      Uni<Void> chain = Uni.createFrom().voidItem();
                      for (EntryRequestEntity r : due) {
                        chain =
                            chain.chain(
                                () -> {
                                  r.end(
                                      EntryRequestEntity.State.EXPIRED,
                                      SYSTEM,
                                      "not decided within " + expireAfter,
                                      now);
                                  return record(
                                          s, r, SYSTEM, AuditAction.ENTRY_REQUEST_EXPIRE, "expire")
                                      .replaceWithVoid();
                                });
                      }
                      return chain.replaceWith(due.size());
                    }));
  }

  /** The entry request gauges' figures. */
  public Uni<EntryRequestRepository.PendingStats> pendingStats() {
    return sessions.withSession(requests::pendingStats);
  }

  /**
   * Audits the request's change, logs it for the stream and answers the request as it now stands.
   */
  private Uni<RequestView> record(
      Mutiny.Session s, EntryRequestEntity r, String actor, AuditAction action, String event) {
    return s.flush()
        .chain(() -> requests.approvals(s, List.of(r.getId())))
        .chain(
            byId -> {
              List<EntryRequestApproval> approvals = byId.getOrDefault(r.getId(), List.of());
              return audit
                  .append(
                      s,
                      new AuditRecord(
                          actor,
                          action,
                          r.getId().toString(),
                          r.getClientRequestId() == null
                              ? r.getId().toString()
                              : r.getClientRequestId(),
                          null,
                          EntryRequestMapper.json(r, approvals)))
                  .chain(() -> requests.logEvent(s, r.getId(), event, actor))
                  .replaceWith(new RequestView(r, approvals, null));
            });
  }

  private Uni<RequestView> view(Mutiny.Session s, EntryRequestEntity r, boolean withCurrent) {
    Uni<Map<UUID, List<EntryRequestApproval>>> approvals =
        requests.approvals(s, List.of(r.getId()));
    Uni<EntryView> current =
        withCurrent ? entries.current(s, r.getEntryId()) : Uni.createFrom().nullItem();
    return approvals.chain(
        byId ->
            current.map(
                entry ->
                    new RequestView(
                        r,
                        byId.getOrDefault(r.getId(), List.of()),
                        entry == null ? null : EntryMapper.toProto(entry))));
  }

  /** The requests with these ids that still exist, with their approvals (no current entry). */
  public Uni<Map<UUID, RequestView>> views(List<UUID> ids) {
    return sessions.withSession(
        s ->
            s.find(EntryRequestEntity.class, ids.toArray())
                .chain(
                    found ->
                        requests
                            .approvals(s, ids)
                            .map(
                                approvals -> {
                                  Map<UUID, RequestView> byId = new java.util.LinkedHashMap<>();
                                  for (EntryRequestEntity r : found) {
                                    if (r != null) {
                                      byId.put(
                                          r.getId(),
                                          new RequestView(
                                              r,
                                              approvals.getOrDefault(r.getId(), List.of()),
                                              null));
                                    }
                                  }
                                  return byId;
                                })));
  }

  /** The person behind {@code caller} (see {@link #person(Mutiny.Session, Caller)}). */
  public Uni<String> personOf(Caller caller) {
    return sessions.withSession(s -> person(s, caller));
  }

  /**
   * The person behind a caller: for an API key, the principal that created the key; otherwise the
   * caller's own principal.
   */
  private Uni<String> person(Mutiny.Session s, Caller caller) {
    if (caller.method() != Caller.AuthMethod.API_KEY || !caller.name().startsWith("apikey:")) {
      return Uni.createFrom().item(caller.name());
    }
    return requests
        .apiKeyCreator(s, caller.name().substring("apikey:".length()))
        .map(creator -> creator == null ? caller.name() : creator);
  }

  private static void requireVisible(Caller caller, String person, EntryRequestEntity r, UUID id) {
    boolean visible =
        r != null
            && (caller.access().unrestricted()
                || (caller.access().kind() == Access.Kind.NAMESPACES
                    && (r.getRequesterPerson().equals(person)
                        || !Collections.disjoint(
                            r.getNamespaces(), caller.access().namespaces()))));
    if (!visible) {
      throw ApiException.of(ErrorReason.REQUEST_NOT_FOUND, "no entry request has id " + id);
    }
  }

  private static boolean mayApprove(Caller caller) {
    return caller.roles().contains(Role.ADMIN) || caller.roles().contains(Role.OPERATOR);
  }

  private void observeDecision(EntryRequestEntity r, Instant now) {
    if (r.getState() != EntryRequestEntity.State.PENDING) {
      metrics.decided(Duration.between(r.getCreatedAt(), now));
    }
  }

  private static UUID afterId(PageToken token) {
    try {
      return Ids.parse(token.keys().get(0), "page_token");
    } catch (ApiException e) {
      throw PageToken.invalidToken();
    }
  }

  /**
   * Checks a free text: at most {@link #MAX_TEXT} characters, no control characters but line breaks
   * and tabs; {@code required} ones must not be blank.
   */
  static void checkText(String value, String field, boolean required) {
    if (required && value.isBlank()) {
      throw ApiException.field(ErrorReason.MISSING_FIELD, field, "required: say why");
    }
    if (value.length() > MAX_TEXT) {
      throw ApiException.field(
          ErrorReason.INVALID_FIELD,
          field,
          "at most " + MAX_TEXT + " characters (got " + value.length() + ")");
    }
    String problem =
        io.spiremgmt.backend.validation.Text.controlCharacterProblem(
            value.replace('\n', ' ').replace('\r', ' ').replace('\t', ' '));
    if (problem != null) {
      throw ApiException.field(ErrorReason.INVALID_FIELD, field, problem);
    }
  }

  private static Throwable similarExists(Throwable e) {
    return ApiException.of(
        ErrorReason.ENTRY_ALREADY_EXISTS,
        "an entry with the same SPIFFE ID, parent ID and selectors was created at the same time;"
            + " nothing was changed");
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
