package io.spiremgmt.backend.entry;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The read side of entries, on the Vert.x PostgreSQL client: one SQL round trip per page or entry,
 * with the selectors and per-site states aggregated next to each row. Updates and deletes go
 * through Hibernate Reactive, creates through {@link EntryInsertRepository} ({@link EntryService});
 * reads here need no persistence context.
 */
@ApplicationScoped
public class EntryReader {
  private static final Pattern NAMED = Pattern.compile(":([a-zA-Z][a-zA-Z0-9]*)");

  private static final String COLUMNS =
      "SELECT p.id, p.spiffe_id, p.parent_id, p.ttl, p.jwt_svid_ttl, p.dns_names, p.federates_with, p.admin,"
          + " p.downstream, p.store_svid, p.hint, p.expires_at, p.revision, p.created_by, p.created_at,"
          + " p.updated_at, p.delete_requested_at,"
          + " sel.types AS selector_types, sel.vals AS selector_values,"
          + " (SELECT json_agg(json_build_object('site_id', es.site_id, 'site_name', si.name, 'state',"
          + " es.sync_status, 'last_sync_at', es.last_sync_at, 'last_error', es.last_error, 'spire_entry_id',"
          + " es.spire_entry_id, 'attempts', es.attempts) ORDER BY si.name COLLATE \"C\") FROM workload_entry_sites es JOIN sites si ON si.id ="
          + " es.site_id WHERE es.workload_entry_id = p.id) AS site_states";

  /** Selectors of each row in one index probe: both arrays from the same ordered scan. */
  private static final String SELECTORS_JOIN =
      " CROSS JOIN LATERAL (SELECT array_agg(s.type ORDER BY s.position) AS types,"
          + " array_agg(s.value ORDER BY s.position) AS vals FROM workload_entry_selectors s"
          + " WHERE s.workload_entry_id = p.id) sel";

  private final Pool pool;

  EntryReader(Pool pool) {
    this.pool = pool;
  }

  /** The entry with this id, or null. */
  public Uni<EntryView> get(UUID id) {
    return pool.preparedQuery(
            COLUMNS
                + " FROM (SELECT e.* FROM workload_entries e WHERE e.id = $1) p"
                + SELECTORS_JOIN)
        .execute(Tuple.of(id))
        .map(rows -> rows.iterator().hasNext() ? toView(rows.iterator().next()) : null);
  }

  /** The entries with these ids that exist, in the order given. */
  public Uni<List<EntryView>> getMany(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return pool.preparedQuery(
            COLUMNS
                + " FROM (SELECT e.* FROM workload_entries e WHERE e.id = ANY($1)) p"
                + SELECTORS_JOIN)
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .map(
            rows -> {
              Map<UUID, EntryView> byId = new HashMap<>();
              rows.forEach(
                  row -> {
                    EntryView view = toView(row);
                    byId.put(view.entity().getId(), view);
                  });
              return ids.stream().filter(byId::containsKey).map(byId::get).toList();
            });
  }

  /**
   * One page of entries matching {@code filter}, after the keyset position {@code after} (null for
   * the first page), at most {@code limit} rows. Never uses OFFSET: every filter has an index that
   * yields rows in key order (see the V1 migration and docs/architecture.md).
   */
  public Uni<List<EntryView>> page(EntryFilter filter, EntryKey after, int limit) {
    StringBuilder from = new StringBuilder("SELECT e.* FROM workload_entries e");
    List<String> where = new ArrayList<>();
    Map<String, Object> params = new HashMap<>();
    // The columns rows are ordered by: equality-fixed prefix columns, then the entry id. Naming the
    // prefix lets the planner match the driving index exactly instead of scanning another one in id
    // order.
    String idKey = "e.id";
    String orderPrefix = "";

    if (filter.siteId() != null) {
      from.append(
          " JOIN workload_entry_sites ds ON ds.workload_entry_id = e.id AND ds.site_id = :site");
      params.put("site", filter.siteId());
      if (filter.state() != null) {
        from.append(" AND ds.sync_status = :state");
        params.put("state", filter.state().name());
        orderPrefix = "ds.site_id, ds.sync_status, ";
      } else {
        orderPrefix = "ds.site_id, ";
      }
      idKey = "ds.workload_entry_id";
    } else if (filter.state() != null) {
      where.add(
          "EXISTS (SELECT 1 FROM workload_entry_sites st WHERE st.workload_entry_id = e.id"
              + " AND st.sync_status = :state)");
      params.put("state", filter.state().name());
    }

    List<SelectorValue> selectors = filter.selectors();
    if (!selectors.isEmpty()) {
      for (int i = 0; i < selectors.size(); i++) {
        params.put("sel" + i, selectors.get(i).hash());
      }
      switch (filter.match()) {
        case EXACT -> {
          where.add("e.selectors_hash = :selectorsHash");
          params.put("selectorsHash", SelectorValue.setHash(selectors));
          if (filter.siteId() == null) {
            orderPrefix = "e.selectors_hash, ";
          }
        }
        case SUPERSET -> {
          int first = 0;
          if (filter.siteId() == null) {
            from.append(
                " JOIN workload_entry_selectors s0 ON s0.workload_entry_id = e.id AND s0.selector_hash = :sel0");
            idKey = "s0.workload_entry_id";
            orderPrefix = "s0.selector_hash, ";
            first = 1;
          }
          for (int i = first; i < selectors.size(); i++) {
            where.add(
                "EXISTS (SELECT 1 FROM workload_entry_selectors s WHERE s.workload_entry_id = e.id"
                    + " AND s.selector_hash = :sel"
                    + i
                    + ")");
          }
        }
        case SUBSET -> {
          List<String> names = new ArrayList<>();
          for (int i = 0; i < selectors.size(); i++) {
            names.add(":sel" + i);
          }
          String in = String.join(", ", names);
          where.add(
              "EXISTS (SELECT 1 FROM workload_entry_selectors s WHERE s.workload_entry_id = e.id"
                  + " AND s.selector_hash IN ("
                  + in
                  + "))");
          where.add(
              "NOT EXISTS (SELECT 1 FROM workload_entry_selectors x WHERE x.workload_entry_id = e.id"
                  + " AND x.selector_hash NOT IN ("
                  + in
                  + "))");
        }
      }
    }
    if (filter.scopeNamespaces() != null) {
      where.add(
          "EXISTS (SELECT 1 FROM workload_entry_selectors v WHERE v.workload_entry_id = e.id"
              + " AND v.selector_hash = ANY(:scope))");
      params.put(
          "scope",
          filter.scopeNamespaces().stream()
              .map(ns -> new SelectorValue("k8s:ns", ns).hash())
              .toArray(String[]::new));
    }
    if (filter.spiffeId() != null) {
      where.add("e.spiffe_id = :spiffeId");
      params.put("spiffeId", filter.spiffeId());
    }
    if (filter.spiffeIdPrefix() != null) {
      where.add("e.spiffe_id >= :prefixLow AND e.spiffe_id < :prefixHigh");
      params.put("prefixLow", filter.spiffeIdPrefix());
      params.put("prefixHigh", filter.spiffeIdPrefix() + '\uffff');
    }
    if (filter.parentId() != null) {
      where.add("e.parent_id = :parentId");
      params.put("parentId", filter.parentId());
      if (orderPrefix.isEmpty()) {
        orderPrefix = "e.parent_id, ";
      }
    }

    String innerOrder;
    String outerOrder;
    if (filter.orderedBySpiffeId()) {
      if (after != null) {
        where.add("(e.spiffe_id, e.id) > (:afterSpiffeId, :afterId)");
        params.put("afterSpiffeId", after.spiffeId());
        params.put("afterId", after.id());
      }
      innerOrder = " ORDER BY e.spiffe_id, e.id";
      outerOrder = " ORDER BY p.spiffe_id, p.id";
    } else {
      if (after != null) {
        where.add(idKey + " > :afterId");
        params.put("afterId", after.id());
      }
      innerOrder = " ORDER BY " + orderPrefix + idKey;
      outerOrder = " ORDER BY p.id";
    }
    StringBuilder inner = new StringBuilder(from);
    if (!where.isEmpty()) {
      inner.append(" WHERE ").append(String.join(" AND ", where));
    }
    inner.append(innerOrder).append(" LIMIT ").append(limit);

    Tuple tuple = Tuple.tuple();
    String sql =
        positional(
            COLUMNS + " FROM (" + inner + ") p" + SELECTORS_JOIN + outerOrder, params, tuple);
    return pool.preparedQuery(sql)
        .execute(tuple)
        .map(
            rows -> {
              List<EntryView> views = new ArrayList<>();
              rows.forEach(row -> views.add(toView(row)));
              return views;
            });
  }

  /**
   * Rewrites {@code :name} parameters to PostgreSQL's {@code $n}, adding their values to {@code
   * tuple}.
   */
  private static String positional(String sql, Map<String, Object> params, Tuple tuple) {
    Map<String, Integer> positions = new HashMap<>();
    Matcher m = NAMED.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      Integer position = positions.get(name);
      if (position == null) {
        tuple.addValue(params.get(name));
        position = tuple.size();
        positions.put(name, position);
      }
      m.appendReplacement(out, "\\$" + position);
    }
    m.appendTail(out);
    return out.toString();
  }

  private static EntryView toView(Row row) {
    String[] types = orEmpty(row.getArrayOfStrings("selector_types"));
    String[] values = orEmpty(row.getArrayOfStrings("selector_values"));
    List<SelectorValue> selectors = new ArrayList<>(types.length);
    for (int i = 0; i < types.length; i++) {
      selectors.add(new SelectorValue(types[i], values[i]));
    }
    List<EntryView.SiteState> sites = new ArrayList<>();
    Object states = row.getValue("site_states");
    if (states instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        JsonObject s = array.getJsonObject(i);
        sites.add(
            new EntryView.SiteState(
                UUID.fromString(s.getString("site_id")),
                s.getString("site_name"),
                EntrySiteEntity.SyncState.valueOf(s.getString("state")),
                instant(s.getString("last_sync_at")),
                s.getString("last_error"),
                s.getString("spire_entry_id"),
                s.getInteger("attempts")));
      }
    }
    EntrySpec spec =
        new EntrySpec(
            row.getString("spiffe_id"),
            row.getString("parent_id"),
            selectors,
            row.getInteger("ttl"),
            List.of(row.getArrayOfStrings("dns_names")),
            row.getBoolean("admin"),
            row.getBoolean("downstream"),
            instant(row.getOffsetDateTime("expires_at")),
            sites.stream().map(site -> site.siteId().toString()).toList(),
            List.of(row.getArrayOfStrings("federates_with")),
            row.getInteger("jwt_svid_ttl"),
            row.getString("hint"),
            row.getBoolean("store_svid"));
    WorkloadEntryEntity entity =
        WorkloadEntryEntity.stored(
            row.getUUID("id"),
            spec,
            row.getLong("revision"),
            row.getString("created_by"),
            instant(row.getOffsetDateTime("created_at")),
            instant(row.getOffsetDateTime("updated_at")),
            instant(row.getOffsetDateTime("delete_requested_at")));
    return new EntryView(entity, List.copyOf(selectors), List.copyOf(sites));
  }

  private static String[] orEmpty(String[] values) {
    return values == null ? new String[0] : values;
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static Instant instant(String iso) {
    return iso == null ? null : OffsetDateTime.parse(iso).toInstant();
  }

  /**
   * A keyset position: the last entry of a page.
   *
   * @param spiffeId its SPIFFE ID (used when ordering by SPIFFE ID)
   * @param id its id
   */
  public record EntryKey(String spiffeId, UUID id) {}
}
