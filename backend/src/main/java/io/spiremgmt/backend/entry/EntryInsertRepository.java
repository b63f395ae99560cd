package io.spiremgmt.backend.entry;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Set-based inserts of new entries on a Vert.x PostgreSQL transaction: one statement per table
 * whatever the number of entries (their columns sent as arrays and expanded by {@code unnest}), so
 * the statements of one create can be pipelined on the connection. Callers own the transaction.
 */
@ApplicationScoped
public class EntryInsertRepository {
  private static final String INSERT_ENTRIES =
      "INSERT INTO workload_entries (id, spiffe_id, parent_id, ttl, jwt_svid_ttl, dns_names, federates_with,"
          + " admin, downstream, store_svid, hint, expires_at, selectors_hash, similar_key, revision,"
          + " created_by, created_at, updated_at)"
          + " SELECT x.id, x.spiffe_id, x.parent_id, x.ttl, x.jwt_svid_ttl,"
          + " ARRAY(SELECT jsonb_array_elements_text(x.dns_names::jsonb)),"
          + " ARRAY(SELECT jsonb_array_elements_text(x.federates_with::jsonb)),"
          + " x.admin, x.downstream, x.store_svid, x.hint, x.expires_at, x.selectors_hash, x.similar_key,"
          + " x.revision, x.created_by, x.created_at, x.updated_at"
          + " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[],"
          + " $8::bool[], $9::bool[], $10::bool[], $11::text[], $12::timestamptz[], $13::text[], $14::text[],"
          + " $15::bigint[], $16::text[], $17::timestamptz[], $18::timestamptz[])"
          + " AS x(id, spiffe_id, parent_id, ttl, jwt_svid_ttl, dns_names, federates_with, admin, downstream,"
          + " store_svid, hint, expires_at, selectors_hash, similar_key, revision, created_by, created_at,"
          + " updated_at)"
          + " ON CONFLICT ON CONSTRAINT workload_entries_similar_uq DO NOTHING"
          + " RETURNING id";

  private static final String INSERT_SELECTORS =
      "INSERT INTO workload_entry_selectors (workload_entry_id, selector_hash, type, value, position)"
          + " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[])";

  private static final String INSERT_SITE_ROWS =
      "INSERT INTO workload_entry_sites (workload_entry_id, site_id, sync_status, target_revision,"
          + " changed_at)"
          + " SELECT x.entry, x.site, 'PENDING', $3, $4"
          + " FROM unnest($1::uuid[], $2::uuid[]) AS x(entry, site)";

  private static final String SIMILAR =
      "SELECT similar_key, id FROM workload_entries WHERE similar_key = ANY($1::text[])";

  /**
   * Inserts the entry rows; an entry whose "similar" key is taken (by a committed entry, or by one
   * whose transaction commits while this waits) is skipped. The ids of the rows inserted.
   */
  public Uni<Set<UUID>> insertEntries(SqlClient tx, List<WorkloadEntryEntity> entries) {
    int n = entries.size();
    UUID[] ids = new UUID[n];
    String[] spiffeIds = new String[n];
    String[] parentIds = new String[n];
    Integer[] ttls = new Integer[n];
    Integer[] jwtTtls = new Integer[n];
    String[] dnsNames = new String[n];
    String[] federatesWith = new String[n];
    Boolean[] admins = new Boolean[n];
    Boolean[] downstreams = new Boolean[n];
    Boolean[] storeSvids = new Boolean[n];
    String[] hints = new String[n];
    OffsetDateTime[] expiries = new OffsetDateTime[n];
    String[] selectorHashes = new String[n];
    String[] similarKeys = new String[n];
    Long[] revisions = new Long[n];
    String[] creators = new String[n];
    OffsetDateTime[] created = new OffsetDateTime[n];
    OffsetDateTime[] updated = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      WorkloadEntryEntity e = entries.get(i);
      EntrySpec spec = e.spec(List.of(), List.of());
      ids[i] = e.getId();
      spiffeIds[i] = spec.spiffeId();
      parentIds[i] = spec.parentId();
      ttls[i] = spec.ttl();
      jwtTtls[i] = spec.jwtSvidTtl();
      dnsNames[i] = new JsonArray(spec.dnsNames()).encode();
      federatesWith[i] = new JsonArray(spec.federatesWith()).encode();
      admins[i] = spec.admin();
      downstreams[i] = spec.downstream();
      storeSvids[i] = spec.storeSvid();
      hints[i] = spec.hint();
      expiries[i] = time(spec.expiresAt());
      selectorHashes[i] = e.getSelectorsHash();
      similarKeys[i] = e.getSimilarKey();
      revisions[i] = e.getRevision();
      creators[i] = e.getCreatedBy();
      created[i] = time(e.getCreatedAt());
      updated[i] = time(e.getUpdatedAt());
    }
    Tuple params =
        Tuple.tuple()
            .addArrayOfUUID(ids)
            .addArrayOfString(spiffeIds)
            .addArrayOfString(parentIds)
            .addArrayOfInteger(ttls)
            .addArrayOfInteger(jwtTtls)
            .addArrayOfString(dnsNames)
            .addArrayOfString(federatesWith)
            .addArrayOfBoolean(admins)
            .addArrayOfBoolean(downstreams)
            .addArrayOfBoolean(storeSvids)
            .addArrayOfString(hints)
            .addArrayOfOffsetDateTime(expiries)
            .addArrayOfString(selectorHashes)
            .addArrayOfString(similarKeys)
            .addArrayOfLong(revisions)
            .addArrayOfString(creators)
            .addArrayOfOffsetDateTime(created)
            .addArrayOfOffsetDateTime(updated);
    return tx.preparedQuery(INSERT_ENTRIES)
        .execute(params)
        .map(
            rows -> {
              Set<UUID> inserted = new HashSet<>();
              for (Row row : rows) {
                inserted.add(row.getUUID(0));
              }
              return inserted;
            });
  }

  /** Inserts the selector rows of new entries, each entry's selectors in their given order. */
  public Uni<Void> insertSelectors(SqlClient tx, Map<UUID, List<SelectorValue>> selectors) {
    List<UUID> ids = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    List<String> types = new ArrayList<>();
    List<String> values = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    selectors.forEach(
        (id, list) -> {
          for (int i = 0; i < list.size(); i++) {
            SelectorValue s = list.get(i);
            ids.add(id);
            hashes.add(s.hash());
            types.add(s.type());
            values.add(s.value());
            positions.add(i);
          }
        });
    if (ids.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.preparedQuery(INSERT_SELECTORS)
        .execute(
            Tuple.tuple()
                .addArrayOfUUID(ids.toArray(UUID[]::new))
                .addArrayOfString(hashes.toArray(String[]::new))
                .addArrayOfString(types.toArray(String[]::new))
                .addArrayOfString(values.toArray(String[]::new))
                .addArrayOfInteger(positions.toArray(Integer[]::new)))
        .replaceWithVoid();
  }

  /** Inserts a PENDING row at {@code revision} for each (entry, site) pair. */
  public Uni<Void> insertSiteRows(
      SqlClient tx, Map<UUID, ? extends Collection<UUID>> sites, long revision, Instant now) {
    List<UUID> entryIds = new ArrayList<>();
    List<UUID> siteIds = new ArrayList<>();
    sites.forEach(
        (entry, list) ->
            list.forEach(
                site -> {
                  entryIds.add(entry);
                  siteIds.add(site);
                }));
    if (entryIds.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.preparedQuery(INSERT_SITE_ROWS)
        .execute(
            Tuple.tuple()
                .addArrayOfUUID(entryIds.toArray(UUID[]::new))
                .addArrayOfUUID(siteIds.toArray(UUID[]::new))
                .addLong(revision)
                .addOffsetDateTime(time(now)))
        .replaceWithVoid();
  }

  /** The ids of the stored entries holding these "similar" keys, by key. */
  public Uni<Map<String, UUID>> similar(SqlClient client, Collection<String> similarKeys) {
    return client
        .preparedQuery(SIMILAR)
        .execute(Tuple.of(similarKeys.toArray(String[]::new)))
        .map(
            rows -> {
              Map<String, UUID> byKey = new HashMap<>();
              for (Row row : rows) {
                byKey.put(row.getString(0).trim(), row.getUUID(1));
              }
              return byKey;
            });
  }

  private static OffsetDateTime time(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
