package io.spiremgmt.agent.sync;

import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.Entry;
import java.util.List;

/**
 * Turns a central entry into the SPIRE entry a site must hold: the SPIRE id is {@code
 * <prefix>.<central id>}, the selectors go over as SPIRE's (type, value) pairs, the TTL is the
 * X.509-SVID TTL and the expiry becomes Unix seconds.
 */
public final class EntryTranslator {
  private final String idPrefix;

  /** A translator for entries owned under {@code ownedPrefix} (the dot is added here). */
  public EntryTranslator(String ownedPrefix) {
    this.idPrefix = ownedPrefix + ".";
  }

  /** The prefix every owned SPIRE entry id starts with, dot included. */
  public String idPrefix() {
    return idPrefix;
  }

  /** The SPIRE entry id of the central entry {@code centralId}. */
  public String spireId(String centralId) {
    return idPrefix + centralId;
  }

  /** The central id of an owned SPIRE entry id, or null for an id this agent does not own. */
  public String centralId(String spireId) {
    return spireId.startsWith(idPrefix) ? spireId.substring(idPrefix.length()) : null;
  }

  /**
   * A selector in SPIRE's form: the canonical {@code type:value} split at its first {@code :}, so
   * {@code (k8s:ns, payments)} and {@code (k8s, ns:payments)} are both plugin {@code k8s}, value
   * {@code ns:payments} (SPIRE refuses a type with a colon).
   */
  static SpireEntry.Selector spireSelector(String type, String value) {
    String canonical = type + ":" + value;
    int colon = canonical.indexOf(':');
    return new SpireEntry.Selector(canonical.substring(0, colon), canonical.substring(colon + 1));
  }

  /** The SPIRE entry for {@code entry}. */
  public SpireEntry toSpire(Entry entry) {
    List<SpireEntry.Selector> selectors =
        entry.getSelectorsList().stream()
            .map(s -> spireSelector(s.getType(), s.getValue()))
            .toList();
    return new SpireEntry(
        spireId(entry.getId()),
        entry.getSpiffeId(),
        entry.getParentId(),
        selectors,
        entry.getTtl(),
        entry.getJwtSvidTtl(),
        List.copyOf(entry.getDnsNamesList()),
        List.copyOf(entry.getFederatesWithList()),
        entry.getAdmin(),
        entry.getDownstream(),
        entry.hasExpiryTime() ? entry.getExpiryTime().getSeconds() : 0,
        entry.getHint(),
        entry.getStoreSvid(),
        0);
  }
}
