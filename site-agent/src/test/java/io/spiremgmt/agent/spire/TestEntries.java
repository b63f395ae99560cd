package io.spiremgmt.agent.spire;

import java.util.List;

/**
 * SPIRE entries for tests: a workload in namespace {@code payments} under one agent of the trust
 * domain.
 */
public final class TestEntries {
  private TestEntries() {}

  /** An entry {@code id} for {@code spiffe://<td><path>} with X.509 TTL {@code ttl}. */
  public static SpireEntry entry(String td, String id, String path, int ttl) {
    String name = path.substring(1).replace('/', '-');
    return new SpireEntry(
        id,
        "spiffe://" + td + path,
        "spiffe://" + td + "/spire/agent/k8s_psat/cluster-1",
        List.of(
            new SpireEntry.Selector("k8s", "ns:payments"),
            new SpireEntry.Selector("k8s", "sa:" + name)),
        ttl,
        0,
        List.of(name + ".payments.svc"),
        List.of(),
        false,
        false,
        0,
        "",
        false,
        0);
  }
}
