package io.spiremgmt.backend.support;

import io.spiremgmt.api.v1.AcquireLeaseRequest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.Lease;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Selector;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.SyncResult;
import java.util.List;
import java.util.UUID;

/** Test data with unique names, so tests sharing one database never collide. */
public final class Fixtures {
  private Fixtures() {}

  /** A unique lower-case token for names and trust domains. */
  public static String unique() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /** A unique trust domain name. */
  public static String trustDomain() {
    return "td-" + unique() + ".example.org";
  }

  /** Creates an ACTIVE standalone site serving {@code trustDomain}. */
  public static Site site(String token, String trustDomain) {
    return site(token, trustDomain, SiteStatus.SITE_STATUS_ACTIVE);
  }

  /** The agent instance id the sync tests poll and report as. */
  public static final String AGENT = "test-agent";

  /** Makes {@link #AGENT} the holder of the site's lease; returns the site id. */
  public static String leased(String token, Site site) {
    Lease lease =
        Api.sync(token)
            .acquireLease(
                AcquireLeaseRequest.newBuilder()
                    .setSiteId(site.getId())
                    .setAgentId(AGENT)
                    .setAgentVersion("test")
                    .setSpireReachable(true)
                    .build());
    if (!lease.getHeld()) {
      throw new IllegalStateException("site " + site.getId() + " is leased by another agent");
    }
    return site.getId();
  }

  /** Reports one result for {@code site} as the lease holder {@link #AGENT}; how many applied. */
  public static int report(String token, Site site, SyncResult.Builder result) {
    return Api.sync(token)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(AGENT)
                .addResults(result)
                .build())
        .getAppliedCount();
  }

  /** Creates a standalone site with the given status. */
  public static Site site(String token, String trustDomain, SiteStatus status) {
    return Api.sites(token)
        .createSite(
            CreateSiteRequest.newBuilder()
                .setSite(
                    Site.newBuilder()
                        .setName("site-" + unique())
                        .setRegion("test")
                        .setTrustDomain(trustDomain)
                        .setSpireServerAddr("unix:///tmp/spire-server/private/api.sock")
                        .setStatus(status))
                .build());
  }

  /** A valid entry in {@code trustDomain} at {@code path}, assigned to {@code siteIds}. */
  public static Entry.Builder entry(String trustDomain, String path, String... siteIds) {
    return Entry.newBuilder()
        .setSpiffeId("spiffe://" + trustDomain + path)
        .setParentId("spiffe://" + trustDomain + "/spire/agent/k8s_psat/cluster-1")
        .addSelectors(selector("k8s:ns", "payments"))
        .addSelectors(selector("k8s:sa", path.replace("/", "-")))
        .setTtl(3600)
        .addDnsNames("api.payments.svc")
        .addAllSiteIds(List.of(siteIds));
  }

  /** A selector. */
  public static Selector selector(String type, String value) {
    return Selector.newBuilder().setType(type).setValue(value).build();
  }

  /** Creates an entry. */
  public static Entry create(String token, Entry.Builder entry) {
    return Api.entries(token).createEntry(CreateEntryRequest.newBuilder().setEntry(entry).build());
  }
}
