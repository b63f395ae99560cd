package io.spiremgmt.backend.request;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Queries on {@code entry_requests}, {@code entry_request_approvals} and {@code
 * entry_request_events}, in the session's transaction.
 */
@ApplicationScoped
public class EntryRequestRepository {

  /** The request, or null (a plain read). */
  public Uni<EntryRequestEntity> find(Mutiny.Session s, UUID id) {
    return s.find(EntryRequestEntity.class, id);
  }

  /**
   * The request locked for update without waiting, or null: a row another transaction is deciding
   * fails the statement (SQLSTATE 55P03), which the API answers ABORTED, so two decisions on one
   * request never queue behind each other and exactly one wins.
   */
  public Uni<EntryRequestEntity> lockNowait(Mutiny.Session s, UUID id) {
    return s.createNativeQuery(
            "SELECT * FROM entry_requests WHERE id = :id FOR UPDATE NOWAIT",
            EntryRequestEntity.class)
        .setParameter("id", id)
        .getResultList()
        .map(rows -> rows.isEmpty() ? null : rows.get(0));
  }

  /** The request locked for update (waiting), or null. */
  public Uni<EntryRequestEntity> lock(Mutiny.Session s, UUID id) {
    return s.createNativeQuery(
            "SELECT * FROM entry_requests WHERE id = :id FOR UPDATE", EntryRequestEntity.class)
        .setParameter("id", id)
        .getResultList()
        .map(rows -> rows.isEmpty() ? null : rows.get(0));
  }

  /** The request {@code requester} submitted with this idempotency key, or null. */
  public Uni<EntryRequestEntity> findByClientRequestId(
      Mutiny.Session s, String requester, String clientRequestId) {
    return s.createSelectionQuery(
            "from EntryRequestEntity where requester = :requester"
                + " and clientRequestId = :client",
            EntryRequestEntity.class)
        .setParameter("requester", requester)
        .setParameter("client", clientRequestId)
        .getResultList()
        .map(rows -> rows.isEmpty() ? null : rows.get(0));
  }

  /** The principal that created API key {@code name}, or null when no key has that name. */
  public Uni<String> apiKeyCreator(Mutiny.Session s, String name) {
    return s.createNativeQuery("SELECT created_by FROM api_keys WHERE name = :name", String.class)
        .setParameter("name", name)
        .getResultList()
        .map(rows -> rows.isEmpty() ? null : rows.get(0));
  }

  /** The approvals of the given requests, each list oldest first. */
  public Uni<Map<UUID, List<EntryRequestApproval>>> approvals(
      Mutiny.Session s, Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(Map.of());
    }
    return s.createNativeQuery(
            "SELECT request_id, approver_person, approver, comment, approved_at"
                + " FROM entry_request_approvals"
                + " WHERE request_id = ANY(CAST(string_to_array(:ids, ',') AS uuid[]))"
                + " ORDER BY approved_at, approver_person",
            Object[].class)
        .setParameter("ids", String.join(",", ids.stream().map(UUID::toString).toList()))
        .getResultList()
        .map(
            rows -> {
              Map<UUID, List<EntryRequestApproval>> byRequest = new HashMap<>();
              for (Object[] r : rows) {
                byRequest
                    .computeIfAbsent((UUID) r[0], k -> new ArrayList<>())
                    .add(
                        new EntryRequestApproval(
                            (String) r[1], (String) r[2], (String) r[3], SqlTime.instant(r[4])));
              }
              return byRequest;
            });
  }

  /**
   * Records {@code approval} of request {@code id} unless the same person approved it already;
   * whether it was new.
   */
  public Uni<Boolean> addApproval(Mutiny.Session s, UUID id, EntryRequestApproval approval) {
    return s.createNativeQuery(
            "INSERT INTO entry_request_approvals"
                + " (request_id, approver_person, approver, comment, approved_at)"
                + " VALUES (:id, :person, :approver, :comment, :at) ON CONFLICT DO NOTHING")
        .setParameter("id", id)
        .setParameter("person", approval.approverPerson())
        .setParameter("approver", approval.approver())
        .setParameter("comment", approval.comment())
        .setParameter("at", approval.approvedAt())
        .executeUpdate()
        .map(n -> n > 0);
  }

  /** Logs a change of request {@code id} for StreamEntryRequestUpdates (a trigger NOTIFYs). */
  public Uni<Void> logEvent(Mutiny.Session s, UUID id, String event, String actor) {
    return s.createNativeQuery(
            "INSERT INTO entry_request_events (request_id, event, actor)"
                + " VALUES (:id, :event, :actor)")
        .setParameter("id", id)
        .setParameter("event", event)
        .setParameter("actor", actor)
        .executeUpdate()
        .replaceWithVoid();
  }

  /**
   * A page of the requests matching {@code filter}, newest first (ids are UUIDv7), after {@code
   * afterId} (exclusive; null for the first page).
   */
  public Uni<List<EntryRequestEntity>> page(
      Mutiny.Session s, RequestFilter filter, UUID afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT r.* FROM entry_requests r WHERE TRUE");
    Map<String, Object> params = new HashMap<>();
    if (filter.mine()) {
      sql.append(" AND r.requester_person = :person");
    }
    if (filter.awaiting()) {
      sql.append(
          " AND r.state = 'PENDING' AND r.requester_person <> :person AND NOT EXISTS (SELECT 1"
              + " FROM entry_request_approvals a WHERE a.request_id = r.id"
              + " AND a.approver_person = :person)");
    }
    if (filter.mine() || filter.awaiting() || filter.scopeNamespaces() != null) {
      params.put("person", filter.person());
    }
    if (!filter.states().isEmpty()) {
      sql.append(" AND r.state = ANY(string_to_array(:states, ','))");
      params.put(
          "states", String.join(",", filter.states().stream().map(Enum::name).sorted().toList()));
    }
    if (filter.siteId() != null) {
      sql.append(" AND r.site_ids @> ARRAY[CAST(:site AS uuid)]");
      params.put("site", filter.siteId().toString());
    }
    if (filter.entryId() != null) {
      sql.append(" AND r.entry_id = :entry");
      params.put("entry", filter.entryId());
    }
    if (filter.namespace() != null) {
      sql.append(" AND r.namespaces @> ARRAY[CAST(:ns AS text)]");
      params.put("ns", filter.namespace());
    }
    // A caller's own requests are always visible: with "mine" the scope adds nothing, and its OR
    // would make PostgreSQL's generic plan read all of a busy requester's rows and sort them.
    if (filter.scopeNamespaces() != null && !filter.mine()) {
      sql.append(
          " AND (r.requester_person = :person"
              + " OR r.namespaces && CAST(string_to_array(:scope, ',') AS text[]))");
      params.put("scope", String.join(",", filter.scopeNamespaces()));
    }
    if (afterId != null) {
      sql.append(" AND r.id < :after");
      params.put("after", afterId);
    }
    sql.append(" ORDER BY r.id DESC LIMIT :limit");
    params.put("limit", limit);
    Mutiny.SelectionQuery<EntryRequestEntity> query =
        s.createNativeQuery(sql.toString(), EntryRequestEntity.class);
    params.forEach(query::setParameter);
    return query.getResultList();
  }

  /**
   * PENDING requests past their expiry, oldest first, at most {@code limit}, locked for update;
   * rows another replica has locked are skipped.
   */
  public Uni<List<EntryRequestEntity>> lockExpired(Mutiny.Session s, Instant now, int limit) {
    return s.createNativeQuery(
            "SELECT * FROM entry_requests WHERE state = 'PENDING' AND expires_at <= :now"
                + " ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED",
            EntryRequestEntity.class)
        .setParameter("now", now)
        .setParameter("limit", limit)
        .getResultList();
  }

  /**
   * PENDING requests per site (sites with none are left out) and the submission time of the oldest
   * PENDING request, for the gauges.
   */
  public Uni<PendingStats> pendingStats(Mutiny.Session s) {
    return s.createNativeQuery(
            "SELECT CAST(x.site AS text), count(*) FROM entry_requests r,"
                + " unnest(r.site_ids) AS x(site) WHERE r.state = 'PENDING' GROUP BY x.site",
            Object[].class)
        .getResultList()
        .chain(
            rows ->
                s.createNativeQuery(
                        "SELECT min(created_at) FROM entry_requests WHERE state = 'PENDING'",
                        Object.class)
                    .getSingleResult()
                    .map(
                        oldest -> {
                          Map<UUID, Long> bySite = new HashMap<>();
                          for (Object[] r : rows) {
                            bySite.put(UUID.fromString((String) r[0]), ((Number) r[1]).longValue());
                          }
                          return new PendingStats(bySite, SqlTime.instant(oldest));
                        }));
  }

  /**
   * What the entry request gauges show.
   *
   * @param bySite PENDING requests per site
   * @param oldest the oldest PENDING request's submission time, or null when none is pending
   */
  public record PendingStats(Map<UUID, Long> bySite, Instant oldest) {}
}
