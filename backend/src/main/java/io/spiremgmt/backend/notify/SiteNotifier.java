package io.spiremgmt.backend.notify;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Sends a PostgreSQL {@code NOTIFY} on each affected site's channel, inside the writing
 * transaction: PostgreSQL delivers it on commit and drops it on rollback, so listeners on any
 * replica wake exactly for committed changes.
 */
@ApplicationScoped
public class SiteNotifier {

  /** The channel a site's changes are announced on: {@code site_} and the id's 32 hex digits. */
  public static String channel(UUID siteId) {
    return "site_" + siteId.toString().replace("-", "");
  }

  /** One notification: {@code payload} ({@code <entry id>:<revision>}) on a site's channel. */
  public record Notice(UUID siteId, String payload) {}

  /** Sends every notice in one statement on a Vert.x transaction (a batch of writes). */
  public Uni<Void> notifyEach(SqlClient tx, List<Notice> notices) {
    if (notices.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return tx.preparedQuery(
            "SELECT count(pg_notify(x.channel, x.payload))"
                + " FROM unnest($1::text[], $2::text[]) AS x(channel, payload)")
        .execute(
            Tuple.of(
                notices.stream().map(n -> channel(n.siteId())).toArray(String[]::new),
                notices.stream().map(Notice::payload).toArray(String[]::new)))
        .replaceWithVoid();
  }

  /**
   * Notifies every site in {@code siteIds} with {@code payload} ({@code <entry id>:<revision>}).
   */
  public Uni<Void> notifySites(Mutiny.Session s, Collection<UUID> siteIds, String payload) {
    if (siteIds.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    // Channel names are built from UUIDs (hex digits only), so they are safe as literals; one
    // statement notifies every site.
    String channels =
        siteIds.stream().map(id -> "('" + channel(id) + "')").collect(Collectors.joining(", "));
    return s.createNativeQuery(
            "SELECT count(*) FROM (SELECT pg_notify(v.channel, :payload) FROM (VALUES "
                + channels
                + ") v(channel)) n",
            Long.class)
        .setParameter("payload", payload)
        .getSingleResult()
        .replaceWithVoid();
  }
}
