package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.BatchCreateEntriesRequest;
import io.spiremgmt.api.v1.BatchCreateEntriesResponse;
import io.spiremgmt.api.v1.CreateEntryRequest;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.GetEntryRequest;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.backend.auth.CallerResolver;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.DbProbe;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import io.spiremgmt.backend.validation.Ids;
import io.spiremgmt.backend.validation.SpiffeId;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every text field of an entry the API stores, at exactly its validated maximum length, is stored
 * and read back unchanged (no column is narrower than its rule), and one character more is
 * INVALID_ARGUMENT naming the field and changes nothing.
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class EntryMaxLengthTest {
  private final String admin = Api.adminToken("max-length@entries");
  private String td;
  private String site;

  @BeforeEach
  void setUp() {
    td = Fixtures.trustDomain();
    site = Fixtures.site(admin, td).getId();
  }

  /**
   * A text field of an entry.
   *
   * @param field the field an error names
   * @param max its longest accepted length
   * @param reason the ErrorInfo reason of one more
   * @param set sets the field of an entry in trust domain {@code td} to a value of a given length
   * @param read reads it back
   */
  record TextField(String field, int max, String reason, Setter set, Function<Entry, String> read) {
    @Override
    public String toString() {
      return field;
    }
  }

  /** Sets a field of {@code entry} (trust domain {@code td}) to a value of {@code length}. */
  interface Setter {
    void apply(Entry.Builder entry, String td, int length);
  }

  static Stream<Arguments> textFields() {
    return Stream.of(
            new TextField(
                "entry.spiffe_id",
                SpiffeId.MAX_BYTES,
                "INVALID_SPIFFE_ID",
                (e, td, n) -> e.setSpiffeId(padded("spiffe://" + td + "/ns/payments/", n)),
                Entry::getSpiffeId),
            new TextField(
                "entry.parent_id",
                SpiffeId.MAX_BYTES,
                "INVALID_SPIFFE_ID",
                (e, td, n) -> e.setParentId(padded("spiffe://" + td + "/spire/agent/", n)),
                Entry::getParentId),
            new TextField(
                "entry.selectors[2].type",
                EntryValidator.MAX_SELECTOR_TYPE,
                "INVALID_SELECTOR",
                (e, td, n) -> e.addSelectors(Fixtures.selector(padded("t", n), "v")),
                entry -> entry.getSelectors(2).getType()),
            new TextField(
                "entry.selectors[2].value",
                EntryValidator.MAX_SELECTOR_VALUE,
                "INVALID_SELECTOR",
                (e, td, n) -> e.addSelectors(Fixtures.selector("k8s:pod-label", padded("v", n))),
                entry -> entry.getSelectors(2).getValue()),
            new TextField(
                "entry.dns_names[1]",
                253,
                "INVALID_DNS_NAME",
                (e, td, n) -> e.addDnsNames(dnsName(n)),
                entry -> entry.getDnsNames(1)),
            new TextField(
                "entry.federates_with[0]",
                SpiffeId.MAX_TRUST_DOMAIN,
                "INVALID_TRUST_DOMAIN",
                (e, td, n) -> e.addFederatesWith(padded("partner.", n)),
                entry -> entry.getFederatesWith(0)),
            new TextField(
                "entry.hint",
                EntryValidator.MAX_HINT,
                "INVALID_FIELD",
                (e, td, n) -> e.setHint(padded("hint-", n)),
                Entry::getHint))
        .map(Arguments::of);
  }

  /** {@code prefix} followed by as many 'a's as make {@code length} characters. */
  private static String padded(String prefix, int length) {
    return prefix + "a".repeat(length - prefix.length());
  }

  /** A DNS name of {@code length} characters, of labels of at most 63. */
  private static String dnsName(int length) {
    StringBuilder name = new StringBuilder();
    while (length - name.length() > 64) {
      name.append("a".repeat(63)).append('.');
    }
    return name.append("b".repeat(length - name.length())).toString();
  }

  private Entry.Builder entry() {
    return Fixtures.entry(td, "/ns/payments/sa/" + Fixtures.unique(), site);
  }

  @ParameterizedTest
  @MethodSource("textFields")
  void aTextFieldAtItsMaximumLengthIsStoredAndReadBackAndOneMoreIsInvalid(TextField text) {
    // Given
    Entry.Builder longest = entry();
    text.set().apply(longest, td, text.max());
    Entry.Builder tooLong = entry();
    text.set().apply(tooLong, td, text.max() + 1);
    Map<String, String> before = DbProbe.snapshot();

    // When
    Entry created = Fixtures.create(admin, longest);
    Entry read =
        Api.entries(admin).getEntry(GetEntryRequest.newBuilder().setId(created.getId()).build());

    // Then
    assertThat(text.read().apply(read))
        .hasSize(text.max())
        .isEqualTo(text.read().apply(longest.build()));
    assertThat(DbProbe.snapshot()).isNotEqualTo(before);

    // When / Then: one more character
    Map<String, String> afterLongest = DbProbe.snapshot();
    assertInvalid(() -> Fixtures.create(admin, tooLong), text.reason(), text.field());
    assertThat(DbProbe.snapshot()).isEqualTo(afterLongest);
  }

  @Test
  void requestIdsAtTheirMaximumLengthAreAuditedAndOneMoreIsInvalid() {
    // Given
    String longest = "r".repeat(Ids.MAX_REQUEST_ID);

    // When: a create, a batch item and a delete each with the longest request id
    Entry created =
        Api.entries(admin)
            .createEntry(
                CreateEntryRequest.newBuilder().setEntry(entry()).setRequestId(longest).build());
    BatchCreateEntriesResponse batch =
        Api.entries(admin)
            .batchCreateEntries(
                BatchCreateEntriesRequest.newBuilder()
                    .addRequests(
                        CreateEntryRequest.newBuilder().setEntry(entry()).setRequestId(longest))
                    .build());
    Api.entries(admin)
        .deleteEntry(
            DeleteEntryRequest.newBuilder()
                .setId(created.getId())
                .setRevision(created.getRevision())
                .setRequestId(longest)
                .build());

    // Then
    assertThat(batch.getResults(0).getStatus().getCode()).isZero();
    assertThat(auditedRequestIds(created.getId())).containsExactly(longest, longest);
    assertThat(auditedRequestIds(batch.getResults(0).getEntry().getId())).containsExactly(longest);

    // When / Then: one more character
    String tooLong = longest + "r";
    assertInvalid(
        () ->
            Api.entries(admin)
                .createEntry(
                    CreateEntryRequest.newBuilder()
                        .setEntry(entry())
                        .setRequestId(tooLong)
                        .build()),
        "INVALID_FIELD",
        "request_id");
    BatchCreateEntriesResponse refused =
        Api.entries(admin)
            .batchCreateEntries(
                BatchCreateEntriesRequest.newBuilder()
                    .addRequests(
                        CreateEntryRequest.newBuilder().setEntry(entry()).setRequestId(tooLong))
                    .build());
    assertThat(refused.getResults(0).getStatus().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT.value());
    assertThat(refused.getResults(0).getStatus().getReason()).isEqualTo("INVALID_FIELD");
  }

  @Test
  void aPrincipalNameAtItsMaximumLengthBecomesCreatedByAndTheAuditActor() {
    // Given
    String name = padded("p-" + Fixtures.unique() + "-", CallerResolver.MAX_NAME);
    String token = Api.adminToken(name);

    // When
    Entry created = Fixtures.create(token, entry());

    // Then
    assertThat(created.getCreatedBy()).isEqualTo(name);
    assertThat(
            Api.audit(admin)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setTargetType("entry")
                        .setTargetId(created.getId())
                        .build())
                .getAuditEventsList())
        .extracting(AuditEvent::getActor)
        .containsExactly(name);

    // When / Then: one more character is refused as a credential, before anything is written
    assertThatThrownBy(() -> Fixtures.create(Api.adminToken(name + "a"), entry()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  private List<String> auditedRequestIds(String entryId) {
    return Api.audit(admin)
        .listAuditEvents(
            ListAuditEventsRequest.newBuilder().setTargetType("entry").setTargetId(entryId).build())
        .getAuditEventsList()
        .stream()
        .map(AuditEvent::getRequestId)
        .toList();
  }

  private static void assertInvalid(Runnable call, String reason, String field) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as(e.getStatus().toString())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(Api.reason(e)).isEqualTo(reason);
              assertThat(Api.errorInfo(e).getMetadataMap()).containsEntry("field", field);
            });
  }
}
