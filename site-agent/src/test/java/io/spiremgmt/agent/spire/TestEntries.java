package io.spiremgmt.agent.spire;

import java.util.List;

/**
 * SPIRE entries for tests: a workload in namespace {@code payments} under one agent of the trust
 * domain, or a plain entry with every optional field at SPIRE's default.
 */
public final class TestEntries {
  private TestEntries() {}

  /** An entry {@code id} for {@code spiffe://<td><path>} with X.509 TTL {@code ttl}. */
  public static SpireEntry entry(String td, String id, String path, int ttl) {
    String name = path.substring(1).replace('/', '-');
    return withDns(
        id,
        "spiffe://" + td + path,
        "spiffe://" + td + "/spire/agent/k8s_psat/cluster-1",
        List.of(
            new SpireEntry.Selector("k8s", "ns:payments"),
            new SpireEntry.Selector("k8s", "sa:" + name)),
        ttl,
        List.of(name + ".payments.svc"));
  }

  /**
   * A plain entry: only its ids, selectors and X.509 TTL set, every other field SPIRE's default.
   */
  public static SpireEntry of(
      String id, String spiffeId, String parentId, List<SpireEntry.Selector> selectors, int ttl) {
    return withDns(id, spiffeId, parentId, selectors, ttl, List.of());
  }

  private static SpireEntry withDns(
      String id,
      String spiffeId,
      String parentId,
      List<SpireEntry.Selector> selectors,
      int ttl,
      List<String> dnsNames) {
    return new SpireEntry(
        id, spiffeId, parentId, selectors, ttl, 0, dnsNames, List.of(), false, false, 0, "", false,
        0);
  }
}
