package io.spiremgmt.backend.notify;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
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
