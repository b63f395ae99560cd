package io.spiremgmt.backend.sync;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.UUID;
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
    return Multi.createFrom()
        .iterable(siteIds)
        .onItem()
        .transformToUniAndConcatenate(
            site ->
                s.createNativeQuery(
                        "SELECT count(*) FROM (SELECT pg_notify(:channel, :payload)) n", Long.class)
                    .setParameter("channel", channel(site))
                    .setParameter("payload", payload)
                    .getSingleResult())
        .collect()
        .last()
        .replaceWithVoid();
  }
}
