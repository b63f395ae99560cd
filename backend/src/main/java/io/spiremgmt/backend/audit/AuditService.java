package io.spiremgmt.backend.audit;

import io.smallrye.mutiny.Uni;
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

  /** A page of the events matching {@code filter}, newest first, after {@code pageToken}. */
  public Uni<Page<AuditEventRow>> list(AuditFilter filter, int pageSize, String pageToken) {
    String fingerprint = filter.canonical();
    PageToken token = PageToken.decode(pageToken, fingerprint, 1);
    Long beforeId = token == null ? null : token.longKey(0);
    return sessions
        .withSession(s -> audit.page(s, filter, beforeId, Page.fetchSize(pageSize)))
        .map(rows -> Page.of(rows, pageSize, fingerprint, e -> List.of(Long.toString(e.id()))));
  }

  /** Verifies the hash chain of every sealed event. */
  public Uni<AuditSealer.Verification> verify() {
    return sealer.verify();
  }
}
