package io.spiremgmt.backend.entry;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.Fixtures.selector;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.CreateSiteRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryResponse;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListEntriesRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SiteStatus;
import io.spiremgmt.api.v1.SyncState;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryApiTest {
  private final String token = Api.adminToken("alice@example.org");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(token, td);
  }

  @Test
  void createsEntryPendingAtEverySiteWithAuditEvent() {
    // Given
    Site second = Fixtures.site(token, td);
    long auditBefore = DbProbe.queryLong("SELECT count(*) FROM audit_events");

    // When
    Entry created =
        create(token, entry(td, "/payments/api", site.getId(), second.getId()).setHint("api"));

    // Then
    assertThat(created.getId()).hasSize(36);
    assertThat(created.getRevision()).isEqualTo(1);
    assertThat(created.getCreatedBy()).isEqualTo("alice@example.org");
    assertThat(created.getSpiffeId()).isEqualTo("spiffe://" + td + "/payments/api");
    assertThat(created.getSelectorsList())
        .containsExactly(selector("k8s:ns", "payments"), selector("k8s:sa", "-payments-api"));
    assertThat(created.getHint()).isEqualTo("api");
    assertThat(created.getSiteIdsList()).containsExactlyInAnyOrder(site.getId(), second.getId());
    assertThat(created.getSiteStatusesList())
        .extracting(s -> s.getSyncState())
        .containsExactly(SyncState.SYNC_STATE_PENDING, SyncState.SYNC_STATE_PENDING);
    assertThat(DbProbe.queryLong("SELECT count(*) FROM audit_events")).isEqualTo(auditBefore + 1);
    assertThat(
            DbProbe.queryString(
                "SELECT actor || ' ' || action FROM audit_events WHERE target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo("alice@example.org entry.create");
    assertThat(
            Api.entries(token)
                .getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build()))
        .isEqualTo(created);
  }

  static Stream<Arguments> invalidCreates() {
    return Stream.of(
        bad(
            "spiffe ID without scheme",
            e -> e.setSpiffeId("example.org/x"),
            "INVALID_SPIFFE_ID",
            "entry.spiffe_id"),
        bad(
            "'..' path segment",
            e -> e.setSpiffeId(e.getSpiffeId() + "/../x"),
            "INVALID_SPIFFE_ID",
            "entry.spiffe_id"),
        bad(
            "upper-case trust domain",
            e -> e.setSpiffeId("spiffe://Example.org/x"),
            "INVALID_SPIFFE_ID",
            "entry.spiffe_id"),
        bad(
            "reserved /spire path",
            e -> e.setSpiffeId(e.getSpiffeId().replaceAll("/payments.*", "/spire/x")),
            "INVALID_SPIFFE_ID",
            "entry.spiffe_id"),
        bad("missing parent", e -> e.clearParentId(), "MISSING_FIELD", "entry.parent_id"),
        bad(
            "parent in another trust domain",
            e -> e.setParentId("spiffe://other.org/agent"),
            "INVALID_SPIFFE_ID",
            "entry.parent_id"),
        bad("no selectors", e -> e.clearSelectors(), "MISSING_FIELD", "entry.selectors"),
        bad(
            "empty selector value",
            e -> e.addSelectors(selector("k8s:pod-name", "")),
            "INVALID_SELECTOR",
            "entry.selectors[2].value"),
        bad(
            "duplicate selector in the other spelling",
            e -> e.addSelectors(selector("k8s", "ns:payments")),
            "INVALID_SELECTOR",
            "entry.selectors[2]"),
        bad("ttl too small", e -> e.setTtl(5), "INVALID_TTL", "entry.ttl"),
        bad("negative jwt ttl", e -> e.setJwtSvidTtl(-1), "INVALID_TTL", "entry.jwt_svid_ttl"),
        bad(
            "bad DNS name",
            e -> e.addDnsNames("-bad-.example.org"),
            "INVALID_DNS_NAME",
            "entry.dns_names[1]"),
        bad(
            "bad federated trust domain",
            e -> e.addFederatesWith("Bad Domain"),
            "INVALID_TRUST_DOMAIN",
            "entry.federates_with[0]"),
        bad("site id not a UUID", e -> e.addSiteIds("site-1"), "INVALID_ID", "entry.site_ids[1]"),
        bad("hint too long", e -> e.setHint("h".repeat(1025)), "INVALID_FIELD", "entry.hint"),
        bad("NUL in hint", e -> e.setHint("a\u0000b"), "INVALID_FIELD", "entry.hint"),
        bad(
            "NUL in selector value",
            e -> e.addSelectors(selector("unix:uid", "1\u00000")),
            "INVALID_SELECTOR",
            "entry.selectors[2].value"),
        bad(
            "expiry in the past",
            e -> e.setExpiryTime(Timestamp.newBuilder().setSeconds(1000)),
            "INVALID_FIELD",
            "entry.expiry_time"));
  }

  private static Arguments bad(
      String name, UnaryOperator<Entry.Builder> change, String reason, String field) {
    return Arguments.of(name, change, reason, field);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCreates")
  void rejectsInvalidEntryAndWritesNothing(
      String name, UnaryOperator<Entry.Builder> change, String reason, String field) {
    // Given
    Entry.Builder entry = change.apply(entry(td, "/payments/" + Fixtures.unique(), site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertThatThrownBy(() -> create(token, entry))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo(reason);
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
              assertThat(e.getStatus().getDescription()).startsWith(field + ":");
            });
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void unprintableInputsAreInvalidArgumentsNeverInternalErrors() {
    // Given
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () ->
            Api.entries(token)
                .createEntry(
                    CreateEntryRequest.newBuilder()
                        .setEntry(entry(td, "/nul", site.getId()))
                        .setRequestId("r\u0000")
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.entries(token)
                .listEntries(
                    ListEntriesRequest.newBuilder().setSpiffeIdPrefix("spiffe://x/\u0000").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.audit(token)
                .listAuditEvents(ListAuditEventsRequest.newBuilder().setActor("\u0000").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.sites(token)
                .createSite(
                    CreateSiteRequest.newBuilder()
                        .setSite(
                            Site.newBuilder()
                                .setName("nul-" + Fixtures.unique())
                                .setTrustDomain(td)
                                .setRegion("eu\u0000"))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.entries(Api.adminToken("evil\u0000name"))
                .listEntries(ListEntriesRequest.getDefaultInstance()),
        Status.Code.UNAUTHENTICATED,
        "UNAUTHENTICATED");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsUnknownSiteWithNotFound() {
    // Given
    String unknown = UUID.randomUUID().toString();
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> create(token, entry(td, "/x", site.getId(), unknown)),
        Status.Code.NOT_FOUND,
        "SITE_NOT_FOUND");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsInactiveSite() {
    // Given
    Site inactive = Fixtures.site(token, td, SiteStatus.SITE_STATUS_INACTIVE);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> create(token, entry(td, "/x", inactive.getId())),
        Status.Code.FAILED_PRECONDITION,
        "SITE_INACTIVE");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void acceptsSiteInMaintenance() {
    // Given
    Site maintenance = Fixtures.site(token, td, SiteStatus.SITE_STATUS_MAINTENANCE);

    // When
    Entry created = create(token, entry(td, "/x", maintenance.getId()));

    // Then
    assertThat(created.getSiteIdsList()).containsExactly(maintenance.getId());
  }

  @Test
  void rejectsSiteOfAnotherTrustDomain() {
    // Given
    Site other = Fixtures.site(token, Fixtures.trustDomain());
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> create(token, entry(td, "/x", site.getId(), other.getId())),
        Status.Code.FAILED_PRECONDITION,
        "TRUST_DOMAIN_MISMATCH");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsSimilarEntryEvenInTheOtherSelectorSpelling() {
    // Given
    Entry first = create(token, entry(td, "/x", site.getId()));
    Entry.Builder similar =
        entry(td, "/x")
            .clearSelectors()
            .addSelectors(selector("k8s:sa", "-x"))
            .addSelectors(selector("k8s", "ns:payments"))
            .setTtl(60);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertThatThrownBy(() -> create(token, similar))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(Api.reason(e)).isEqualTo("ENTRY_ALREADY_EXISTS");
              assertThat(e.getStatus().getDescription()).contains(first.getId());
            });
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsMissingEntryAndBadIds() {
    // Given: an Admin (token)

    // When / Then: no entry, an id that is no UUID, an id that names nothing
    assertFails(
        () -> Api.entries(token).createEntry(CreateEntryRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () -> Api.entries(token).getEntry(GetEntryRequest.newBuilder().setId("nope").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_ID");
    assertFails(
        () ->
            Api.entries(token)
                .getEntry(GetEntryRequest.newBuilder().setId(UUID.randomUUID().toString()).build()),
        Status.Code.NOT_FOUND,
        "ENTRY_NOT_FOUND");
  }

  @Test
  void updatesMaskedFieldsOnlyAndRequeuesSites() {
    // Given
    Site second = Fixtures.site(token, td);
    Entry created = create(token, entry(td, "/api", site.getId()));

    // When
    Entry updated =
        update(
            created.toBuilder()
                .setTtl(600)
                .setHint("ignored: not in mask")
                .clearSiteIds()
                .addSiteIds(second.getId())
                .clearSelectors()
                .addSelectors(selector("k8s:ns", "payments"))
                .addSelectors(selector("k8s:sa", "api-v2")),
            "ttl",
            "site_ids",
            "selectors");

    // Then
    assertThat(updated.getRevision()).isEqualTo(2);
    assertThat(updated.getTtl()).isEqualTo(600);
    assertThat(updated.getHint()).isEmpty();
    assertThat(updated.getSelectorsList())
        .containsExactly(selector("k8s:ns", "payments"), selector("k8s:sa", "api-v2"));
    assertThat(updated.getSiteIdsList()).containsExactly(second.getId());
    assertThat(updated.getSiteStatusesList())
        .extracting(s -> s.getSiteId() + "=" + s.getSyncState())
        .containsExactlyInAnyOrder(
            site.getId() + "=SYNC_STATE_DELETING", second.getId() + "=SYNC_STATE_PENDING");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM audit_events WHERE action = 'entry.update' AND target_id = '"
                    + created.getId()
                    + "'"))
        .isEqualTo(1);
  }

  @Test
  void updateWithoutMaskChangesPopulatedFields() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()).setHint("old"));

    // When
    Entry updated =
        Api.entries(token)
            .updateEntry(
                UpdateEntryRequest.newBuilder()
                    .setEntry(
                        Entry.newBuilder().setId(created.getId()).setRevision(1).setHint("new"))
                    .build());

    // Then
    assertThat(updated.getHint()).isEqualTo("new");
    assertThat(updated.getTtl()).isEqualTo(3600);
    assertThat(updated.getSelectorsCount()).isEqualTo(2);
  }

  @Test
  void rejectsStaleRevisionAndChangesNothing() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));
    update(created.toBuilder().setTtl(600), "ttl");
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> update(created.toBuilder().setTtl(900), "ttl"),
        Status.Code.ABORTED,
        "STALE_REVISION");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsBadUpdates() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));
    Entry other = create(token, entry(td, "/other", site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(
        () -> update(created.toBuilder().setRevision(0).setTtl(60), "ttl"),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () -> update(created.toBuilder(), "revision"),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_UPDATE_MASK");
    assertFails(
        () -> update(created.toBuilder().setTtl(1), "ttl"),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_TTL");
    assertFails(
        () -> update(created.toBuilder().setId(UUID.randomUUID().toString()), "ttl"),
        Status.Code.NOT_FOUND,
        "ENTRY_NOT_FOUND");
    assertFails(
        () ->
            update(
                created.toBuilder()
                    .clearSelectors()
                    .addAllSelectors(other.getSelectorsList())
                    .setSpiffeId(other.getSpiffeId()),
                "selectors",
                "spiffe_id"),
        Status.Code.ALREADY_EXISTS,
        "ENTRY_ALREADY_EXISTS");
    assertFails(
        () ->
            update(
                created.toBuilder().setSpiffeId("spiffe://" + Fixtures.trustDomain() + "/api"),
                "spiffe_id"),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_SPIFFE_ID");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void deletesEntryWithoutSitesAtOnce() {
    // Given
    Entry created = create(token, entry(td, "/api"));

    // When
    DeleteEntryResponse response = delete(created.getId(), 0);

    // Then
    assertThat(response.getPurged()).isTrue();
    assertFails(
        () ->
            Api.entries(token)
                .getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build()),
        Status.Code.NOT_FOUND,
        "ENTRY_NOT_FOUND");
    assertThat(
            DbProbe.queryLong(
                "SELECT count(*) FROM workload_entry_selectors WHERE workload_entry_id = '"
                    + created.getId()
                    + "'"))
        .isZero();
    assertThat(
            DbProbe.queryString(
                "SELECT action FROM audit_events WHERE target_id = '"
                    + created.getId()
                    + "' ORDER BY id DESC LIMIT 1"))
        .isEqualTo("entry.delete");
  }

  @Test
  void deleteMovesAssignedEntryToDeletingAndIsIdempotent() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));

    // When
    DeleteEntryResponse first = delete(created.getId(), 1);
    Map<String, String> afterFirst = DbProbe.snapshot();
    DeleteEntryResponse again = delete(created.getId(), 0);

    // Then
    assertThat(first.getPurged()).isFalse();
    assertThat(first.getEntry().hasDeleteTime()).isTrue();
    assertThat(first.getEntry().getRevision()).isEqualTo(2);
    assertThat(first.getEntry().getSiteStatusesList())
        .extracting(s -> s.getSyncState())
        .containsExactly(SyncState.SYNC_STATE_DELETING);
    assertThat(again.getEntry()).isEqualTo(first.getEntry());
    assertThat(DbProbe.snapshot()).isEqualTo(afterFirst);
    assertFails(
        () -> update(first.getEntry().toBuilder().setTtl(60), "ttl"),
        Status.Code.FAILED_PRECONDITION,
        "ENTRY_BEING_DELETED");
  }

  @Test
  void aRetriedDeleteWithTheSameRevisionSucceeds() {
    // Given: a delete that named revision 1 went through, but its answer was lost
    Entry created = create(token, entry(td, "/retry", site.getId()));
    DeleteEntryResponse first = delete(created.getId(), 1);
    Map<String, String> after = DbProbe.snapshot();

    // When
    DeleteEntryResponse retry = delete(created.getId(), 1);

    // Then
    assertThat(retry.getEntry()).isEqualTo(first.getEntry());
    assertThat(DbProbe.snapshot()).isEqualTo(after);
  }

  @Test
  void deleteWithStaleRevisionChangesNothing() {
    // Given
    Entry created = create(token, entry(td, "/api", site.getId()));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertFails(() -> delete(created.getId(), 7), Status.Code.ABORTED, "STALE_REVISION");
    assertFails(() -> delete(created.getId(), -1), Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
    assertFails(() -> delete("not-a-uuid", 0), Status.Code.INVALID_ARGUMENT, "INVALID_ID");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void aMessageOverVertxDefaultButUnderFourMebibytesReachesValidation() {
    // Given: a 320 KB hint, over Vert.x's 256 KiB default message limit but under the set 4 MiB
    Entry.Builder big = entry(td, "/api", site.getId()).setHint("h".repeat(320 * 1024));
    Map<String, String> before = DbProbe.snapshot();

    // When / Then: the service, not the transport, refuses it
    assertFails(() -> create(token, big), Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void rejectsMessagesOverFourMebibytesWithoutInternalError() {
    // Given: a hint that makes the request one byte over 4 MiB
    int target = 4 * 1024 * 1024 + 1;
    Entry.Builder huge = entry(td, "/api", site.getId());
    for (int length = target, i = 0; i < 5; i++) {
      huge.setHint("h".repeat(length));
      length += target - CreateEntryRequest.newBuilder().setEntry(huge).build().getSerializedSize();
    }
    assertThat(CreateEntryRequest.newBuilder().setEntry(huge).build().getSerializedSize())
        .isEqualTo(4 * 1024 * 1024 + 1);
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertThatThrownBy(() -> create(token, huge))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  @Test
  void storesFutureExpiryAndFederation() {
    // Given
    Timestamp expiry =
        Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() + 3600).build();

    // When
    Entry created =
        create(
            token,
            entry(td, "/api", site.getId())
                .setExpiryTime(expiry)
                .addFederatesWith("partner.example.com")
                .setJwtSvidTtl(300)
                .setAdmin(true)
                .setDownstream(true));

    // Then
    Entry read =
        Api.entries(token).getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build());
    assertThat(read.getExpiryTime()).isEqualTo(expiry);
    assertThat(read.getFederatesWithList()).containsExactly("partner.example.com");
    assertThat(read.getJwtSvidTtl()).isEqualTo(300);
    assertThat(read.getAdmin()).isTrue();
    assertThat(read.getDownstream()).isTrue();
  }

  private Entry update(Entry.Builder entry, String... paths) {
    return Api.entries(token)
        .updateEntry(
            UpdateEntryRequest.newBuilder()
                .setEntry(entry)
                .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)))
                .build());
  }

  private DeleteEntryResponse delete(String id, long revision) {
    return Api.entries(token)
        .deleteEntry(DeleteEntryRequest.newBuilder().setId(id).setRevision(revision).build());
  }
}
