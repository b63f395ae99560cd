package io.spiremgmt.backend.audit;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.auth.Role;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/** Reads of the audit trail: pages of events and the hash chain's verification. */
@ApplicationScoped
public class AuditService {
  private final Mutiny.SessionFactory sessions;
  private final AuditRepository audit;
  private final AuditSealer sealer;

  AuditService(Mutiny.SessionFactory sessions, AuditRepository audit, AuditSealer sealer) {
    this.sessions = sessions;
    this.audit = audit;
    this.sealer = sealer;
  }

  /**
   * A page of the events matching {@code filter} that {@code caller} may see, newest first, after
   * {@code pageToken}. Events about API keys ({@code apikey.*}) describe keys, which only Admins
   * may list: for anyone else they are left out in the query (so pages and tokens stay exact), and
   * asking for them by {@code target_type} is OUTSIDE_SCOPE. A Developer sees only events about
   * entries with one of its namespaces (the {@code namespaces} each entry event records when it is
   * written, V11), in the query and the page token's fingerprint alike; asking for another target
   * type is OUTSIDE_SCOPE.
   */
  public Uni<Page<AuditEventRow>> list(
      Caller caller, AuditFilter filter, int pageSize, String pageToken) {
    if (caller.access().kind() == Access.Kind.NAMESPACES) {
      if (filter.targetType() != null && filter.targetType() != AuditTargetType.ENTRY) {
        throw ApiException.field(
            ErrorReason.OUTSIDE_SCOPE,
            "target_type",
            "a Developer's audit trail holds only events about entries of its namespaces; ask"
                + " for target_type 'entry' or none");
      }
      filter = filter.scopedTo(caller.access().namespaces());
    } else if (!caller.roles().contains(Role.ADMIN)) {
      if (filter.targetType() == AuditTargetType.APIKEY) {
        throw ApiException.field(
            ErrorReason.OUTSIDE_SCOPE,
            "target_type",
            "events about API keys are for Admins only, as ListApiKeys is");
      }
      filter = filter.withoutApiKeys();
    }
    String fingerprint = filter.canonical();
    PageToken token = PageToken.decode(pageToken, fingerprint, 1);
    Long beforeId = token == null ? null : token.longKey(0);
    AuditFilter scoped = filter;
    return sessions
        .withSession(s -> audit.page(s, scoped, beforeId, Page.fetchSize(pageSize)))
        .map(rows -> Page.of(rows, pageSize, fingerprint, e -> List.of(Long.toString(e.id()))));
  }

  /** Verifies the hash chain of every sealed event. */
  public Uni<AuditSealer.Verification> verify() {
    return sealer.verify();
  }
}
