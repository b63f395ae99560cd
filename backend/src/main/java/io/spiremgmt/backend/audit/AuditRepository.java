package io.spiremgmt.backend.audit;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Appends to and reads {@code audit_events}: the one writer of audit rows. Rows are only ever
 * inserted, in the transaction of the change they describe, so a change and its event commit or
 * roll back together; a Hibernate session's transaction ({@link #append}) or a Vert.x client's
 * ({@link #appendAll}), whichever the service opened.
 */
@ApplicationScoped
public class AuditRepository {

  private static final String INSERT_ALL =
      "INSERT INTO audit_events (actor, action, target_type, target_id, request_id, before_state,"
          + " after_state) SELECT x.actor, x.action, x.target_type, x.target_id, x.request_id,"
          + " x.before::jsonb, x.after::jsonb FROM unnest($1::text[], $2::text[], $3::text[],"
          + " $4::text[], $5::text[], $6::text[], $7::text[])"
          + " AS x(actor, action, target_type, target_id, request_id, before, after)";

  /** Appends an event in the session's transaction. */
  public Uni<Void> append(Mutiny.Session s, AuditRecord r) {
    return s.createNativeQuery(
            "INSERT INTO audit_events (actor, action, target_type, target_id, request_id, before_state,"
                + " after_state) VALUES (:actor, :action, :targetType, :targetId, :requestId,"
                + " CAST(CAST(:before AS text) AS jsonb), CAST(CAST(:after AS text) AS jsonb))")
        .setParameter("actor", r.actor())
        .setParameter("action", r.action().value())
        .setParameter("targetType", r.action().targetType().value())
        .setParameter("targetId", r.targetId())
        .setParameter("requestId", r.requestId())
        .setParameter("before", r.beforeJson())
        .setParameter("after", r.afterJson())
        .executeUpdate()
        .replaceWithVoid();
  }

  /**
   * Appends events in one statement on {@code client}: a transaction of the Vert.x client (the
   * events commit with the change), or the pool itself for events that are their own change (a
   * denial).
   */
  public Uni<Void> appendAll(SqlClient client, List<AuditRecord> records) {
    if (records.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    int n = records.size();
    String[] actors = new String[n];
    String[] actions = new String[n];
    String[] types = new String[n];
    String[] targets = new String[n];
    String[] requests = new String[n];
    String[] befores = new String[n];
    String[] afters = new String[n];
    for (int i = 0; i < n; i++) {
      AuditRecord r = records.get(i);
      actors[i] = r.actor();
      actions[i] = r.action().value();
      types[i] = r.action().targetType().value();
      targets[i] = r.targetId();
      requests[i] = r.requestId();
      befores[i] = r.beforeJson();
      afters[i] = r.afterJson();
    }
    return client
        .preparedQuery(INSERT_ALL)
        .execute(
            Tuple.tuple()
                .addArrayOfString(actors)
                .addArrayOfString(actions)
                .addArrayOfString(types)
                .addArrayOfString(targets)
                .addArrayOfString(requests)
                .addArrayOfString(befores)
                .addArrayOfString(afters))
        .replaceWithVoid();
  }

  /**
   * Events matching {@code filter} with an id below {@code beforeId} (null: from the newest),
   * newest first.
   */
  public Uni<List<AuditEventRow>> page(
      Mutiny.Session s, AuditFilter filter, Long beforeId, int limit) {
    List<String> where = new ArrayList<>();
    Map<String, Object> params = new HashMap<>();
    if (filter.targetType() != null) {
      where.add("target_type = :targetType");
      params.put("targetType", filter.targetType().value());
    }
    if (!filter.withApiKeys()) {
      where.add("target_type <> :apiKeyType");
      params.put("apiKeyType", AuditTargetType.APIKEY.value());
    }
    if (filter.scopeNamespaces() != null) {
      // The GIN index on namespaces (V11); entry events only, so nothing else can match.
      where.add("target_type = :entryType");
      params.put("entryType", AuditTargetType.ENTRY.value());
      where.add("namespaces IS NOT NULL");
      where.add("namespaces && string_to_array(CAST(:scopeNamespaces AS text), ',')");
      params.put("scopeNamespaces", String.join(",", filter.scopeNamespaces()));
    }
    if (filter.targetId() != null) {
      where.add("target_id = :targetId");
      params.put("targetId", filter.targetId());
    }
    if (filter.actor() != null) {
      where.add("actor = :actor");
      params.put("actor", filter.actor());
    }
    if (filter.start() != null) {
      where.add("occurred_at >= timestamptz 'epoch' + :startMicros * interval '1 microsecond'");
      params.put("startMicros", micros(filter.start()));
    }
    if (filter.end() != null) {
      where.add("occurred_at < timestamptz 'epoch' + :endMicros * interval '1 microsecond'");
      params.put("endMicros", micros(filter.end()));
    }
    if (beforeId != null) {
      where.add("id < :beforeId");
      params.put("beforeId", beforeId);
    }
    String sql =
        "SELECT id, CAST(EXTRACT(EPOCH FROM occurred_at) * 1000000 AS bigint), actor, action, target_type,"
            + " target_id, request_id, CAST(before_state AS text), CAST(after_state AS text)"
            + " FROM audit_events"
            + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
            + " ORDER BY id DESC LIMIT "
            + limit;
    Mutiny.SelectionQuery<Object[]> query = s.createNativeQuery(sql, Object[].class);
    params.forEach(query::setParameter);
    return query.getResultList().map(rows -> rows.stream().map(AuditRepository::toRow).toList());
  }

  private static AuditEventRow toRow(Object[] r) {
    long micros = ((Number) r[1]).longValue();
    Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    return new AuditEventRow(
        ((Number) r[0]).longValue(),
        at,
        (String) r[2],
        (String) r[3],
        (String) r[4],
        (String) r[5],
        (String) r[6],
        (String) r[7],
        (String) r[8]);
  }

  private static long micros(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t);
  }
}
