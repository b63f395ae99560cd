package io.spiremgmt.backend.auth;

import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.PollEntriesRequest;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.audit.DenialRecorder;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scopes over real gRPC: a Developer reaches only the entries of its namespaces (checked on the
 * stored and the requested entry), a SiteAgent only its own site, and every denial is audited and
 * writes nothing else.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class ScopeTest {
  private String admin;
  private String td;
  private String site;
  private String dev;
  private String devName;
  @Inject DenialRecorder denialRecorder;

  @BeforeEach
  void setUp() {
    admin = Api.adminToken("scope-admin");
    td = Fixtures.trustDomain();
    site = Fixtures.site(admin, td).getId();
    devName = "dev-" + Fixtures.unique();
    dev = Api.developerToken(devName, "payments", "checkout");
  }

  private Entry.Builder inNamespace(String ns, String sa) {
    return Entry.newBuilder()
        .setSpiffeId("spiffe://" + td + "/ns/" + ns + "/sa/" + sa)
        .setParentId("spiffe://" + td + "/spire/agent/k8s_psat/cluster-1")
        .addSelectors(Fixtures.selector("k8s:ns", ns))
        .addSelectors(Fixtures.selector("k8s:sa", sa))
        .addSiteIds(site);
  }

  private static CreateEntryRequest create(Entry.Builder e) {
    return CreateEntryRequest.newBuilder().setEntry(e).build();
  }

  private long denialsOf(String actor) {
    return DbProbe.queryLong(
        "SELECT count(*) FROM audit_events WHERE action = 'access.deny' AND actor = '"
            + actor
            + "'");
  }

  private Map<String, String> snapshotWithoutAudit() {
    Map<String, String> snapshot = new LinkedHashMap<>(DbProbe.snapshot());
    snapshot.remove("audit_events");
    return snapshot;
  }

  @Test
  void aDeveloperCreatesAndChangesEntriesInsideItsNamespaces() {
    // Given: a Developer of payments and checkout (dev)

    // When
    Entry created = Api.entries(dev).createEntry(create(inNamespace("payments", "api")));
    Entry updated =
        Api.entries(dev)
            .updateEntry(
                UpdateEntryRequest.newBuilder()
                    .setEntry(
                        created.toBuilder()
                            .clearSelectors()
                            .addSelectors(Fixtures.selector("k8s:ns", "checkout"))
                            .addSelectors(Fixtures.selector("k8s:sa", "api")))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("selectors"))
                    .build());
    Api.entries(dev)
        .deleteEntry(
            DeleteEntryRequest.newBuilder()
                .setId(created.getId())
                .setRevision(updated.getRevision())
                .build());

    // Then
    assertThat(created.getCreatedBy()).isEqualTo(devName);
    assertThat(updated.getRevision()).isEqualTo(2);
    assertThat(denialsOf(devName)).isZero();
  }

  @Test
  void aDeveloperCannotCreateOutsideItsNamespacesAndNothingButTheDenialIsWritten() {
    // Given
    Map<String, String> before = snapshotWithoutAudit();
    Entry.Builder foreignSelector = inNamespace("billing", "api");
    Entry.Builder foreignSpiffeId =
        inNamespace("payments", "api").setSpiffeId("spiffe://" + td + "/ns/billing/sa/api");
    Entry.Builder noNamespace =
        inNamespace("payments", "api")
            .clearSelectors()
            .addSelectors(Fixtures.selector("k8s:sa", "api"));
    Entry.Builder secondForeignNamespace =
        inNamespace("payments", "api").addSelectors(Fixtures.selector("k8s", "ns:billing"));
    Entry.Builder admin = inNamespace("payments", "api").setAdmin(true);
    Entry.Builder downstream = inNamespace("payments", "api").setDownstream(true);
    Entry.Builder foreignService =
        inNamespace("payments", "api").addDnsNames("ledger.billing.svc.cluster.local");

    // When / Then
    for (Entry.Builder e :
        List.of(
            foreignSelector,
            foreignSpiffeId,
            noNamespace,
            secondForeignNamespace,
            admin,
            downstream,
            foreignService)) {
      assertFails(
          () -> Api.entries(dev).createEntry(create(e)),
          Status.Code.PERMISSION_DENIED,
          "OUTSIDE_SCOPE");
    }
    assertThat(snapshotWithoutAudit()).isEqualTo(before);
    assertThat(denialsOf(devName)).isEqualTo(7);
  }

  @Test
  void aDevelopersDnsNamesAreServiceNamesWithTheClusterDomainOrNoneAndAnyOtherIsInvalid() {
    // Given: names of its own namespace, some in the service form with the configured cluster
    // domain (cluster.local by default) and some not
    Map<String, String> before = snapshotWithoutAudit();

    // When / Then: any other name is INVALID_ARGUMENT naming its field, and changes nothing
    for (String dns :
        List.of(
            "api.payments.svc.evil.example",
            "api.payments.svc.cluster.local.evil.example",
            "api.payments.svc.cluster",
            "payments.example.com")) {
      assertThatThrownBy(
              () ->
                  Api.entries(dev)
                      .createEntry(
                          create(
                              inNamespace("payments", "api")
                                  .addDnsNames("api.payments.svc")
                                  .addDnsNames(dns))))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(Api.reason(e)).isEqualTo("INVALID_DNS_NAME");
                assertThat(Api.errorInfo(e).getMetadataMap())
                    .containsEntry("field", "entry.dns_names[1]");
                assertThat(e.getStatus().getDescription())
                    .contains(dns, "<service>.<namespace>.svc.cluster.local");
              });
    }
    assertThat(snapshotWithoutAudit()).isEqualTo(before);
    assertThat(denialsOf(devName)).isZero();

    // When: the two promised forms
    Entry created =
        Api.entries(dev)
            .createEntry(
                create(
                    inNamespace("payments", "api")
                        .addDnsNames("api.payments.svc")
                        .addDnsNames("api.payments.svc.cluster.local")));

    // Then
    assertThat(created.getDnsNamesList())
        .containsExactly("api.payments.svc", "api.payments.svc.cluster.local");

    // When / Then: an update to another cluster domain is refused the same way
    assertFails(
        () ->
            Api.entries(dev)
                .updateEntry(
                    UpdateEntryRequest.newBuilder()
                        .setEntry(
                            created.toBuilder()
                                .clearDnsNames()
                                .addDnsNames("api.payments.svc.other.example"))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("dns_names"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_DNS_NAME");
  }

  @Test
  void aDeveloperNeitherSeesNorTouchesEntriesOutsideItsNamespaces() {
    // Given
    Entry billing = Api.entries(admin).createEntry(create(inNamespace("billing", "ledger")));
    Entry payments = Api.entries(admin).createEntry(create(inNamespace("payments", "api")));
    Map<String, String> before = snapshotWithoutAudit();

    // When / Then: the stored entry is out of scope
    assertThatThrownBy(
            () ->
                Api.entries(dev)
                    .getEntry(GetEntryRequest.newBuilder().setId(billing.getId()).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(Api.reason(e)).isEqualTo("OUTSIDE_SCOPE");
              // names no hidden content
              assertThat(e.getStatus().getDescription()).doesNotContain("billing", "ledger");
            });
    assertFails(
        () ->
            Api.entries(dev)
                .updateEntry(
                    UpdateEntryRequest.newBuilder()
                        .setEntry(billing.toBuilder().setTtl(600))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("ttl"))
                        .build()),
        Status.Code.PERMISSION_DENIED,
        "OUTSIDE_SCOPE");
    assertFails(
        () ->
            Api.entries(dev)
                .deleteEntry(DeleteEntryRequest.newBuilder().setId(billing.getId()).build()),
        Status.Code.PERMISSION_DENIED,
        "OUTSIDE_SCOPE");
    // ... and an entry of its own may not be moved out of scope
    assertFails(
        () ->
            Api.entries(dev)
                .updateEntry(
                    UpdateEntryRequest.newBuilder()
                        .setEntry(
                            payments.toBuilder()
                                .setSpiffeId("spiffe://" + td + "/ns/billing/sa/api"))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("spiffe_id"))
                        .build()),
        Status.Code.PERMISSION_DENIED,
        "OUTSIDE_SCOPE");
    assertThat(snapshotWithoutAudit()).isEqualTo(before);
    assertThat(denialsOf(devName)).isEqualTo(4);

    // When: lists show only what it may see
    List<String> listed =
        Api.entries(dev)
            .listEntries(ListEntriesRequest.newBuilder().setSiteId(site).setPageSize(100).build())
            .getEntriesList()
            .stream()
            .map(Entry::getId)
            .toList();
    List<String> listedByAdmin =
        Api.entries(admin)
            .listEntries(ListEntriesRequest.newBuilder().setSiteId(site).setPageSize(100).build())
            .getEntriesList()
            .stream()
            .map(Entry::getId)
            .toList();

    // Then
    assertThat(listed).containsExactly(payments.getId());
    assertThat(listedByAdmin).containsExactlyInAnyOrder(payments.getId(), billing.getId());
  }

  @Test
  void aDeveloperPageTokenDoesNotWorkForAnotherScope() {
    // Given
    Api.entries(admin).createEntry(create(inNamespace("payments", "a")));
    Api.entries(admin).createEntry(create(inNamespace("payments", "b")));
    String token =
        Api.entries(dev)
            .listEntries(ListEntriesRequest.newBuilder().setSiteId(site).setPageSize(1).build())
            .getNextPageToken();
    String otherDev = Api.developerToken("other-" + Fixtures.unique(), "billing");

    // When / Then: another Developer's next page with it is refused
    assertThat(token).isNotEmpty();
    assertFails(
        () ->
            Api.entries(otherDev)
                .listEntries(
                    ListEntriesRequest.newBuilder()
                        .setSiteId(site)
                        .setPageSize(1)
                        .setPageToken(token)
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  @Test
  void deniedBatchItemsAreAnsweredPerItemAndAudited() {
    // Given: a Developer of payments and checkout (dev), one item inside and one outside

    // When
    BatchCreateEntriesResponse response =
        Api.entries(dev)
            .batchCreateEntries(
                BatchCreateEntriesRequest.newBuilder()
                    .addRequests(create(inNamespace("payments", "one")))
                    .addRequests(create(inNamespace("billing", "two")))
                    .build());

    // Then
    assertThat(response.getResults(0).getStatus().getCode()).isEqualTo(0);
    assertThat(response.getResults(1).getStatus().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(response.getResults(1).getStatus().getReason()).isEqualTo("OUTSIDE_SCOPE");
    assertThat(denialsOf(devName)).isEqualTo(1);
    assertThat(
            DbProbe.queryString(
                "SELECT after_state->>'reason' FROM audit_events WHERE action = 'access.deny'"
                    + " AND actor = '"
                    + devName
                    + "'"))
        .startsWith("item 1: ");
  }

  @Test
  void repeatedDenialsAreAuditedUpToTheLimitThenCountedIntoOneSummary() {
    // Given: a Viewer that keeps trying to create
    String viewerName = "viewer-" + Fixtures.unique();
    String viewer = Api.token(viewerName, List.of("Viewer"), Map.of());

    // When: 25 denied calls, more than the 20 a minute that are written one by one
    for (int i = 0; i < 25; i++) {
      String sa = "s" + i;
      assertFails(
          () -> Api.entries(viewer).createEntry(create(inNamespace("payments", sa))),
          Status.Code.PERMISSION_DENIED,
          "ROLE_NOT_ALLOWED");
    }

    // Then: 20 events, and after the window one summary counting the other 5
    assertThat(denialsOf(viewerName)).isEqualTo(20);
    denialRecorder.writeSummaries(Instant.now().plus(Duration.ofMinutes(2))).await().indefinitely();
    assertThat(denialsOf(viewerName)).isEqualTo(21);
    assertThat(
            DbProbe.queryString(
                "SELECT after_state->>'suppressed' FROM audit_events WHERE action = 'access.deny'"
                    + " AND after_state->>'suppressed' IS NOT NULL AND actor = '"
                    + viewerName
                    + "'"))
        .isEqualTo("5");
  }

  @Test
  void aSiteAgentIsRefusedAnotherSiteAndTheDenialIsAudited() {
    // Given
    String otherSite = Fixtures.site(admin, td).getId();
    String agentName = "agent-" + Fixtures.unique();
    String agent = Api.token(agentName, List.of("SiteAgent"), Map.of("site_id", site));

    // When / Then
    assertFails(
        () ->
            Api.sync(agent)
                .pollEntries(
                    PollEntriesRequest.newBuilder()
                        .setSiteId(otherSite)
                        .setAgentId(Fixtures.AGENT)
                        .build()),
        Status.Code.PERMISSION_DENIED,
        "OUTSIDE_SCOPE");
    assertThat(denialsOf(agentName)).isEqualTo(1);
    assertThat(
            DbProbe.queryString(
                "SELECT target_id FROM audit_events WHERE action = 'access.deny' AND actor = '"
                    + agentName
                    + "'"))
        .isEqualTo("spire.mgmt.v1.SyncService/PollEntries");
  }
}
