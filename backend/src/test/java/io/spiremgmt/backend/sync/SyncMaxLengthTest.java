package io.spiremgmt.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.EntrySiteStatus;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListUnmanagedEntriesRequest;
import io.spiremgmt.api.v1.ReportReconcileRequest;
import io.spiremgmt.api.v1.ReportSyncResultRequest;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.UnmanagedEntry;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import io.spiremgmt.backend.validation.Ids;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every text field of an agent's reports the service stores (a result's SPIRE entry id and error, a
 * report's request id, an unmanaged entry's fields), at exactly its maximum length, is stored and
 * read back, and one character more is INVALID_ARGUMENT naming the field and changes nothing. The
 * lease's fields are {@code SiteAgentApiTest}'s.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class SyncMaxLengthTest {
  private final String admin = Api.adminToken("max-length@sync");
  private String td;
  private Site site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(admin, td);
    Fixtures.leased(admin, site);
  }

  private Entry pendingEntry() {
    return Fixtures.create(
        admin, Fixtures.entry(td, "/ns/payments/sa/" + Fixtures.unique(), site.getId()));
  }

  private int report(String requestId, SyncResult.Builder result) {
    return Api.sync(admin)
        .reportSyncResult(
            ReportSyncResultRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .setRequestId(requestId)
                .addResults(result)
                .build())
        .getAppliedCount();
  }

  private static SyncResult.Builder synced(Entry entry, String spireEntryId) {
    return SyncResult.newBuilder()
        .setEntryId(entry.getId())
        .setRevision(entry.getRevision())
        .setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
        .setSpireEntryId(spireEntryId);
  }

  private static SyncResult.Builder failed(Entry entry, String error) {
    return SyncResult.newBuilder()
        .setEntryId(entry.getId())
        .setRevision(entry.getRevision())
        .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
        .setReason("SPIRE_REJECTED")
        .setError(error);
  }

  private EntrySiteStatus statusOf(Entry entry) {
    return Api.entries(admin)
        .getEntry(GetEntryRequest.newBuilder().setId(entry.getId()).build())
        .getSiteStatuses(0);
  }

  @Test
  void resultFieldsAtTheirMaximumLengthAreStoredAndReadBack() {
    // Given
    Entry toSync = pendingEntry();
    Entry toFail = pendingEntry();
    String spireEntryId = "s".repeat(255);
    String error = "e".repeat(SyncRequestValidator.MAX_ERROR);
    String requestId = "r".repeat(Ids.MAX_REQUEST_ID);

    // When
    int synced = report(requestId, synced(toSync, spireEntryId));
    int failed = report("f".repeat(Ids.MAX_REQUEST_ID), failed(toFail, error));

    // Then
    assertThat(synced).isEqualTo(1);
    assertThat(failed).isEqualTo(1);
    assertThat(statusOf(toSync).getSpireEntryId()).isEqualTo(spireEntryId);
    assertThat(statusOf(toFail).getLastError()).isEqualTo(error);
    assertThat(
            Api.audit(admin)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setTargetType("entry")
                        .setTargetId(toSync.getId())
                        .build())
                .getAuditEventsList())
        .extracting(AuditEvent::getRequestId)
        .contains(requestId);
  }

  @Test
  void resultFieldsOneCharacterOverTheirMaximumAreInvalidAndChangeNothing() {
    // Given
    Entry entry = pendingEntry();
    Map<String, String> before = DbProbe.snapshot();

    // When / Then
    assertInvalid(() -> report("", synced(entry, "s".repeat(256))), "results[0].spire_entry_id");
    assertInvalid(
        () -> report("", failed(entry, "e".repeat(SyncRequestValidator.MAX_ERROR + 1))),
        "results[0].error");
    assertInvalid(
        () -> report("r".repeat(Ids.MAX_REQUEST_ID + 1), synced(entry, "s")), "request_id");
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  /**
   * A text field of an unmanaged entry.
   *
   * @param field the field an error names
   * @param max its longest accepted length
   * @param set sets it to a value of a given length
   */
  record UnmanagedField(String field, int max, Setter set) {
    @Override
    public String toString() {
      return field;
    }
  }

  /** Sets a field of an unmanaged entry to a value of {@code length}. */
  interface Setter {
    UnmanagedEntry.Builder apply(UnmanagedEntry.Builder entry, int length);
  }

  static Stream<Arguments> unmanagedFields() {
    return Stream.of(
            new UnmanagedField(
                "unmanaged_entries[0].spire_entry_id",
                255,
                (u, n) -> u.setSpireEntryId("i".repeat(n))),
            new UnmanagedField(
                "unmanaged_entries[0].spiffe_id",
                2048,
                (u, n) -> u.setSpiffeId(padded("spiffe://other.example/", n))),
            new UnmanagedField(
                "unmanaged_entries[0].parent_id",
                2048,
                (u, n) -> u.setParentId(padded("spiffe://other.example/agent/", n))),
            new UnmanagedField(
                "unmanaged_entries[0].selectors[0]",
                2048,
                (u, n) -> u.clearSelectors().addSelectors(padded("unix:uid:", n))))
        .map(Arguments::of);
  }

  private static String padded(String prefix, int length) {
    return prefix + "a".repeat(length - prefix.length());
  }

  private static UnmanagedEntry.Builder unmanaged() {
    return UnmanagedEntry.newBuilder()
        .setSpireEntryId("legacy-" + Fixtures.unique())
        .setSpiffeId("spiffe://other.example/legacy")
        .setParentId("spiffe://other.example/agent")
        .addSelectors("unix:uid:0");
  }

  private void reconcile(UnmanagedEntry.Builder entry) {
    Api.sync(admin)
        .reportReconcile(
            ReportReconcileRequest.newBuilder()
                .setSiteId(site.getId())
                .setAgentId(Fixtures.AGENT)
                .setUnmanagedCount(1)
                .addUnmanagedEntries(entry)
                .build());
  }

  @ParameterizedTest
  @MethodSource("unmanagedFields")
  void anUnmanagedEntryFieldAtItsMaximumLengthIsStoredAndReadBackAndOneMoreIsInvalid(
      UnmanagedField text) {
    // Given
    UnmanagedEntry longest = text.set().apply(unmanaged(), text.max()).build();

    // When
    reconcile(longest.toBuilder());

    // Then
    assertThat(
            Api.sync(admin)
                .listUnmanagedEntries(
                    ListUnmanagedEntriesRequest.newBuilder().setSiteId(site.getId()).build())
                .getEntriesList())
        .containsExactly(longest);

    // When / Then: one more character
    Map<String, String> before = DbProbe.snapshot();
    assertInvalid(() -> reconcile(text.set().apply(unmanaged(), text.max() + 1)), text.field());
    assertThat(DbProbe.snapshot()).isEqualTo(before);
  }

  private static void assertInvalid(Runnable call, String field) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as(e.getStatus().toString())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo("INVALID_FIELD");
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
  }
}
