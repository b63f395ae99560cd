package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.auth.Role;
import io.spiremgmt.backend.entry.ApprovalService;
import io.spiremgmt.backend.entry.EntrySpec;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.UuidV7;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The approval policy: reads it, replaces it (Admin), and holds direct entry writes to it ({@link
 * ApprovalService}).
 */
@ApplicationScoped
public class ApprovalPolicyService implements ApprovalService {
  /** The audit target id of the policy. */
  static final String TARGET_ID = "approval-policy";

  private final Mutiny.SessionFactory sessions;
  private final ApprovalPolicyRepository policies;
  private final AuditRepository audit;

  ApprovalPolicyService(
      Mutiny.SessionFactory sessions, ApprovalPolicyRepository policies, AuditRepository audit) {
    this.sessions = sessions;
    this.policies = policies;
    this.audit = audit;
  }

  /** Whether a caller's change counts as a Developer's: its access is namespace-scoped. */
  private static boolean developerChange(Caller caller) {
    return caller.access().kind() == Access.Kind.NAMESPACES;
  }

  /**
   * The verdict on {@code caller} changing {@code before} into {@code after}, under the policy as
   * committed (read in the session's transaction, only the touched sites' settings).
   */
  public Uni<PolicyEvaluator.Evaluation> evaluate(
      Mutiny.Session s, Caller caller, EntrySpec before, EntrySpec after) {
    return policies
        .loadFor(s, PolicyEvaluator.touchedSites(before, after))
        .map(policy -> PolicyEvaluator.evaluate(policy, developerChange(caller), before, after));
  }

  @Override
  public Uni<List<String>> checkDirect(
      Mutiny.Session s, Caller caller, EntrySpec before, EntrySpec after) {
    return evaluate(s, caller, before, after).map(verdict -> directVerdict(caller, verdict));
  }

  @Override
  public Uni<DirectGate> gate(SqlClient tx, Caller caller, Collection<UUID> sites) {
    return policies
        .loadFor(tx, sites)
        .map(
            policy ->
                (before, after) ->
                    directVerdict(
                        caller,
                        PolicyEvaluator.evaluate(policy, developerChange(caller), before, after)));
  }

  /**
   * A direct write's fate under {@code verdict}: the reasons an Admin bypasses (empty when approval
   * is not needed), or APPROVAL_REQUIRED for anyone else.
   */
  private static List<String> directVerdict(Caller caller, PolicyEvaluator.Evaluation verdict) {
    if (!verdict.required()) {
      return List.of();
    }
    if (caller.roles().contains(Role.ADMIN)) {
      return verdict.reasons();
    }
    throw ApiException.of(
        ErrorReason.APPROVAL_REQUIRED,
        "this change needs approval ("
            + String.join("; ", verdict.reasons())
            + "): submit it with EntryRequestService.SubmitEntryRequest");
  }

  /** The policy. */
  public Uni<ApprovalPolicy> get() {
    return sessions.withSession(policies::load);
  }

  /**
   * Replaces the policy with {@code wanted} if its revision is still the stored one; audited as
   * {@code approval_policy.update}.
   */
  public Uni<ApprovalPolicy> update(Caller caller, ApprovalPolicy wanted) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    return sessions.withTransaction(
        (s, tx) ->
            policies
                .lock(s)
                .chain(
                    before -> {
                      if (before.revision() != wanted.revision()) {
                        throw ApiException.field(
                            ErrorReason.STALE_REVISION,
                            "policy.revision",
                            "the approval policy is at revision "
                                + before.revision()
                                + ", not "
                                + wanted.revision()
                                + "; read it again and retry");
                      }
                      return policies
                          .unknownSites(s, wanted.sites().stream().map(p -> p.siteId()).toList())
                          .chain(
                              unknown -> {
                                if (!unknown.isEmpty()) {
                                  throw ApiException.field(
                                      ErrorReason.SITE_NOT_FOUND,
                                      "policy.sites",
                                      "no site has id " + unknown.get(0));
                                }
                                return policies.save(s, wanted, caller.name(), now);
                              })
                          .chain(() -> policies.load(s))
                          .call(
                              after ->
                                  audit.append(
                                      s,
                                      new AuditRecord(
                                          caller.name(),
                                          AuditAction.APPROVAL_POLICY_UPDATE,
                                          TARGET_ID,
                                          UuidV7.next().toString(),
                                          ApprovalPolicyMapper.json(before),
                                          ApprovalPolicyMapper.json(after))));
                    }));
  }
}
