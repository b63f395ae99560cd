package io.spiremgmt.backend.apikey;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * The {@code api_keys} table (migration V7), written and read in the caller's session; the lookup
 * by secret, which runs on every call an API key authenticates, reads the pool directly.
 */
@ApplicationScoped
public class ApiKeyRepository {
  private static final String COLUMNS =
      "SELECT id::text, name, role, array_to_string(namespaces, ','), site_id::text,"
          + " (extract(epoch FROM expires_at) * 1000000)::bigint,"
          + " (extract(epoch FROM created_at) * 1000000)::bigint, created_by,"
          + " (extract(epoch FROM revoked_at) * 1000000)::bigint, revoked_by FROM api_keys";

  private final Pool pool;

  ApiKeyRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * What a key grants, as found by its secret's hash or its id.
   *
   * @param id the key's id
   * @param name the key's name
   * @param role its role's claim value
   * @param namespaces a Developer key's namespaces, or null
   * @param siteId a SiteAgent key's site, or null
   * @param revoked whether it was revoked
   * @param expired whether it expired (by the database clock)
   * @param expiresAt when it expires
   */
  public record Credential(
      UUID id,
      String name,
      String role,
      String[] namespaces,
      UUID siteId,
      boolean revoked,
      boolean expired,
      Instant expiresAt) {}

  private static final String CREDENTIAL =
      "SELECT id, name, role, namespaces, site_id, revoked_at IS NOT NULL AS revoked,"
          + " expires_at <= now() AS expired, expires_at FROM api_keys";

  /** The key whose secret hashes to {@code secretHash}, or null: one indexed lookup. */
  public Uni<Credential> findBySecretHash(byte[] secretHash) {
    return pool.preparedQuery(CREDENTIAL + " WHERE secret_hash = $1")
        .execute(Tuple.of(Buffer.buffer(secretHash)))
        .map(ApiKeyRepository::credential);
  }

  /** The key with {@code id}, or null: a primary key lookup (a long call re-checking its key). */
  public Uni<Credential> findById(UUID id) {
    return pool.preparedQuery(CREDENTIAL + " WHERE id = $1")
        .execute(Tuple.of(id))
        .map(ApiKeyRepository::credential);
  }

  private static Credential credential(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    if (rows.rowCount() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    return new Credential(
        r.getUUID("id"),
        r.getString("name"),
        r.getString("role"),
        r.getArrayOfStrings("namespaces"),
        r.getUUID("site_id"),
        r.getBoolean("revoked"),
        r.getBoolean("expired"),
        r.getOffsetDateTime("expires_at").toInstant());
  }

  /** Inserts a key with the hash of its secret. */
  public Uni<Void> insert(
      Mutiny.Session s, UUID id, ApiKeySpec spec, byte[] secretHash, Instant now, String actor) {
    return s.createNativeQuery(
            "INSERT INTO api_keys (id, name, role, namespaces, site_id, secret_hash, expires_at,"
                + " created_at, created_by) VALUES (:id, :name, :role,"
                + " string_to_array(CAST(:namespaces AS text), ','), CAST(CAST(:site AS text) AS uuid),"
                + " :hash, :expires, :now, :actor)")
        .setParameter("id", id)
        .setParameter("name", spec.name())
        .setParameter("role", spec.role().claim())
        .setParameter("namespaces", String.join(",", spec.namespaces()))
        .setParameter("site", spec.site() == null ? null : spec.site().toString())
        .setParameter("hash", secretHash)
        .setParameter("expires", spec.expiresAt())
        .setParameter("now", now)
        .setParameter("actor", actor)
        .executeUpdate()
        .replaceWithVoid();
  }

  /** The key with {@code id}, locked for update, or null. */
  public Uni<ApiKeyView> lock(Mutiny.Session s, UUID id) {
    return s.createNativeQuery(COLUMNS + " WHERE id = :id FOR UPDATE", Object[].class)
        .setParameter("id", id)
        .getResultList()
        .map(rows -> rows.isEmpty() ? null : toView(rows.get(0)));
  }

  /** Marks a key revoked. */
  public Uni<Void> revoke(Mutiny.Session s, UUID id, Instant now, String actor) {
    return s.createNativeQuery(
            "UPDATE api_keys SET revoked_at = :now, revoked_by = :actor WHERE id = :id")
        .setParameter("now", now)
        .setParameter("actor", actor)
        .setParameter("id", id)
        .executeUpdate()
        .replaceWithVoid();
  }

  /** Up to {@code limit} keys with an id above {@code after} (null: from the first), by id. */
  public Uni<List<ApiKeyView>> page(Mutiny.Session s, UUID after, int limit) {
    String sql =
        COLUMNS + (after == null ? "" : " WHERE id > :after") + " ORDER BY id LIMIT :limit";
    Mutiny.SelectionQuery<Object[]> q = s.createNativeQuery(sql, Object[].class);
    if (after != null) {
      q.setParameter("after", after);
    }
    return q.setParameter("limit", limit)
        .getResultList()
        .map(rows -> rows.stream().map(ApiKeyRepository::toView).toList());
  }

  private static ApiKeyView toView(Object[] r) {
    String namespaces = (String) r[3];
    return new ApiKeyView(
        UUID.fromString((String) r[0]),
        (String) r[1],
        (String) r[2],
        namespaces == null || namespaces.isEmpty()
            ? List.of()
            : Arrays.asList(namespaces.split(",")),
        r[4] == null ? null : UUID.fromString((String) r[4]),
        instant(r[5]),
        instant(r[6]),
        (String) r[7],
        instant(r[8]),
        (String) r[9]);
  }

  private static Instant instant(Object micros) {
    return micros == null
        ? null
        : Instant.EPOCH.plus(((Number) micros).longValue(), ChronoUnit.MICROS);
  }
}
