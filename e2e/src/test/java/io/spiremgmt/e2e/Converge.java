package io.spiremgmt.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.GetSiteHealthRequest;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.ListEntriesResponse;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.SiteAgentStatus;
import io.spiremgmt.api.v1.SyncState;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Test data and the waits that decide the end-to-end tests, judged by SPIRE's own listing. */
final class Converge {
  static final Duration WITHIN = Duration.ofSeconds(60);

  private final Cluster cluster;

  Converge(Cluster cluster) {
    this.cluster = cluster;
  }

  /** A new entry for {@code spiffe://<td><path>-<unique>} assigned to {@code sites}. */
  Entry.Builder entry(String td, String path, String... sites) {
    return entryIn(td, path, "payments", sites);
  }

  /** Like {@link #entry(String, String, String...)}, for a workload in namespace {@code ns}. */
  Entry.Builder entryIn(String td, String path, String ns, String... sites) {
    String name = path.substring(1).replace('/', '-') + "-" + Cluster.unique();
    Entry.Builder b =
        Entry.newBuilder()
            .setSpiffeId("spiffe://" + td + "/" + name)
            .setParentId("spiffe://" + td + "/spire/agent/k8s_psat/cluster-1")
            .addSelectors(selector("k8s", "ns:" + ns))
            .addSelectors(selector("k8s", "sa:" + name))
            .setTtl(3600)
            .addDnsNames(name + ".svc");
    for (String s : sites) {
      b.addSiteIds(cluster.site(s).getId());
    }
    return b;
  }

  /**
   * A new entry that a Developer of namespace {@code ns} may write: its SPIFFE ID under {@code
   * /ns/<ns>/}, its DNS name a Kubernetes service name of {@code ns}.
   */
  Entry.Builder inNamespace(String td, String ns, String workload, String... sites) {
    Entry.Builder b = entryIn(td, "/" + workload, ns, sites);
    String name = b.getSpiffeId().substring(b.getSpiffeId().lastIndexOf('/') + 1);
    return b.setSpiffeId("spiffe://" + td + "/ns/" + ns + "/" + name)
        .clearDnsNames()
        .addDnsNames(name + "." + ns + ".svc");
  }

  static Selector selector(String type, String value) {
    return Selector.newBuilder().setType(type).setValue(value).build();
  }

  /** Creates the entry through backend replica 0. */
  Entry create(Entry.Builder entry) {
    return cluster.entries(0).createEntry(CreateEntryRequest.newBuilder().setEntry(entry).build());
  }

  /** Waits until the site's SPIRE server holds {@code e} exactly as stored centrally. */
  void held(String site, Entry e) {
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () -> {
              SpireEntry held = cluster.owned(site).get(e.getId());
              assertThat(held).as("entry %s at site %s", e.getId(), site).isNotNull();
              assertThat(held.spiffeId()).isEqualTo(e.getSpiffeId());
              assertThat(held.parentId()).isEqualTo(e.getParentId());
              assertThat(held.selectors())
                  .containsExactlyInAnyOrderElementsOf(
                      e.getSelectorsList().stream()
                          .map(s -> new SpireEntry.Selector(s.getType(), s.getValue()))
                          .toList());
              assertThat(held.x509SvidTtl()).isEqualTo(e.getTtl());
              assertThat(held.dnsNames()).containsExactlyInAnyOrderElementsOf(e.getDnsNamesList());
            });
  }

  /** Waits until the entry is SYNCED at exactly the given sites, at {@code revision}. */
  void synced(String id, long revision, String... sites) {
    await()
        .atMost(WITHIN)
        .untilAsserted(
            () -> {
              Entry stored =
                  cluster.entries(0).getEntry(GetEntryRequest.newBuilder().setId(id).build());
              assertThat(stored.getRevision()).isEqualTo(revision);
              assertThat(stored.getSiteStatusesList())
                  .extracting(EntrySiteStatus::getSiteId)
                  .containsExactlyInAnyOrderElementsOf(
                      Arrays.stream(sites).map(s -> cluster.site(s).getId()).toList());
              assertThat(stored.getSiteStatusesList())
                  .extracting(EntrySiteStatus::getSyncState)
                  .containsOnly(SyncState.SYNC_STATE_SYNCED);
            });
  }

  /** The sync state at {@code site} of each of the entries {@code ids} assigned to it. */
  Map<String, SyncState> statesAt(String site, Set<String> ids) {
    String siteId = cluster.site(site).getId();
    Map<String, SyncState> states = new HashMap<>();
    String token = "";
    do {
      ListEntriesResponse page =
          cluster
              .entries(0)
              .listEntries(
                  ListEntriesRequest.newBuilder()
                      .setSiteId(siteId)
                      .setPageSize(1000)
                      .setPageToken(token)
                      .build());
      for (Entry e : page.getEntriesList()) {
        if (ids.contains(e.getId())) {
          e.getSiteStatusesList().stream()
              .filter(st -> st.getSiteId().equals(siteId))
              .forEach(st -> states.put(e.getId(), st.getSyncState()));
        }
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return states;
  }

  /** Whether the entry is gone centrally (GetEntry answers NOT_FOUND). */
  boolean purged(String id) {
    try {
      cluster.entries(0).getEntry(GetEntryRequest.newBuilder().setId(id).build());
      return false;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.NOT_FOUND;
    }
  }

  /** The backend's view of the site's agent. */
  SiteAgentStatus agent(String site) {
    return cluster
        .sites(0)
        .getSiteHealth(
            GetSiteHealthRequest.newBuilder().setSiteId(cluster.site(site).getId()).build())
        .getAgent();
  }
}
