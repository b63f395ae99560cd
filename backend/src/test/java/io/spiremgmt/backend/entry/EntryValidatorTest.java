package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EntryValidatorTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final String SITE_A = "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f";
  private static final String SITE_B = "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e70";

  // ---- the whole spec ----

  @Test
  void acceptsFullyValidSpecAndReturnsTrustDomain() {
    // Given
    EntrySpec spec =
        new Spec()
            .spiffeId("spiffe://example.org/payments/api")
            .parentId("spiffe://example.org/spire/agent/k8s_psat/prod/node-1")
            .selectors(sel("k8s:ns", "payments"), sel("k8s:sa", "api"))
            .ttl(3600)
            .jwtSvidTtl(300)
            .dnsNames("api.example.org", "*.payments.example.org")
            .federatesWith("partner.org", "other.org")
            .siteIds(SITE_A, SITE_B)
            .hint("a".repeat(1024))
            .expiresAt(NOW.plusSeconds(1))
            .storeSvid(true)
            .build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @Test
  void usesPrefixInFieldNames() {
    // Given
    EntrySpec spec = new Spec().spiffeId("spiffe://example.org/a/..").build();

    // When / Then
    assertRejected(
        () -> EntryValidator.validate(spec, "entries[3].", true, NOW),
        ErrorReason.INVALID_SPIFFE_ID,
        "entries[3].spiffe_id",
        "'..'");
  }

  @Test
  void rejectsMalformedSpiffeId() {
    // Given
    EntrySpec spec = new Spec().spiffeId("spiffe://example.org/a//b").build();

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_SPIFFE_ID, "entry.spiffe_id", "'//'");
  }

  @Test
  void rejectsWorkloadIdWithoutPath() {
    // Given
    EntrySpec spec = new Spec().spiffeId("spiffe://example.org").build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SPIFFE_ID,
        "entry.spiffe_id",
        "a workload ID needs a path (e.g. spiffe://example.org/my-service)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://example.org/spire",
        "spiffe://example.org/spire/x",
        "spiffe://example.org/spire/agent/k8s"
      })
  void rejectsReservedSpirePath(String spiffeId) {
    // Given
    EntrySpec spec = new Spec().spiffeId(spiffeId).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SPIFFE_ID,
        "entry.spiffe_id",
        "paths under /spire are reserved for SPIRE itself");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://example.org/spirex",
        "spiffe://example.org/x/spire",
        "spiffe://example.org/Spire"
      })
  void acceptsPathsThatOnlyLookLikeSpire(String spiffeId) {
    // Given
    EntrySpec spec = new Spec().spiffeId(spiffeId).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @Test
  void rejectsMalformedParentId() {
    // Given
    EntrySpec spec = new Spec().parentId("spiffe://example.org/node/").build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_SPIFFE_ID, "entry.parent_id", "path must not end with '/'");
  }

  @Test
  void rejectsMissingParentId() {
    // Given
    EntrySpec spec = new Spec().parentId("").build();

    // When / Then
    assertRejected(spec, ErrorReason.MISSING_FIELD, "entry.parent_id", "a SPIFFE ID is required");
  }

  @Test
  void rejectsParentInAnotherTrustDomain() {
    // Given
    EntrySpec spec =
        new Spec()
            .spiffeId("spiffe://example.org/api")
            .parentId("spiffe://other.org/spire/agent/x")
            .build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SPIFFE_ID,
        "entry.parent_id",
        "trust domain 'other.org' differs from the SPIFFE ID's 'example.org'");
  }

  @Test
  void rejectsHintLongerThan1024Characters() {
    // Given
    EntrySpec spec = new Spec().hint("h".repeat(1025)).build();

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_FIELD, "entry.hint", "longer than 1024 characters");
  }

  @Test
  void acceptsHintOf1024Characters() {
    // Given
    EntrySpec spec = new Spec().hint("h".repeat(1024)).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @Test
  void rejectsHintWithControlCharacter() {
    // Given
    EntrySpec spec = new Spec().hint("payments\u0000api").build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "entry.hint",
        "must not contain control characters (found U+0000 at 8)");
  }

  @Test
  void rejectsExpiryInThePastWhenCheckingExpiry() {
    // Given
    EntrySpec spec = new Spec().expiresAt(NOW.minusSeconds(1)).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "entry.expiry_time",
        "must be in the future (got 2029-12-31T23:59:59Z)");
  }

  @Test
  void rejectsExpiryEqualToNowWhenCheckingExpiry() {
    // Given
    EntrySpec spec = new Spec().expiresAt(NOW).build();

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_FIELD, "entry.expiry_time", "must be in the future");
  }

  @Test
  void acceptsExpiryInThePastWhenNotCheckingExpiry() {
    // Given
    EntrySpec spec = new Spec().expiresAt(NOW.minusSeconds(3600)).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", false, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @Test
  void acceptsNoExpiry() {
    // Given
    EntrySpec spec = new Spec().expiresAt(null).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  // ---- selectors ----

  @Test
  void rejectsNoSelectors() {
    // Given
    EntrySpec spec = new Spec().selectors().build();

    // When / Then
    assertRejected(
        spec, ErrorReason.MISSING_FIELD, "entry.selectors", "at least one selector is required");
  }

  @Test
  void accepts64Selectors() {
    // Given
    List<SelectorValue> selectors = numbered(64);

    // When / Then
    assertThatCode(() -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"))
        .doesNotThrowAnyException();
  }

  @Test
  void rejects65Selectors() {
    // Given
    List<SelectorValue> selectors = numbered(65);

    // When / Then
    assertRejected(
        () -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"),
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors",
        "at most 64 selectors are allowed");
  }

  @Test
  void rejectsEmptySelectorType() {
    // Given
    EntrySpec spec = new Spec().selectors(sel("k8s:ns", "prod"), sel("", "prod")).build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_SELECTOR, "entry.selectors[1].type", "must not be empty");
  }

  @Test
  void rejectsEmptySelectorValue() {
    // Given
    EntrySpec spec = new Spec().selectors(sel("k8s:ns", "")).build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_SELECTOR, "entry.selectors[0].value", "must not be empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s ns", "k8s:", ":ns", "k8s::ns", "k8s/ns", "unix:uid=1", "ü"})
  void rejectsSelectorTypeWithBadCharacters(String type) {
    // Given
    List<SelectorValue> selectors = List.of(sel("k8s:ns", "prod"), sel(type, "x"));

    // When / Then
    assertRejected(
        () -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"),
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[1].type",
        "'" + type + "' is not a selector type");
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s:ns", "k8s:pod-label:app", "docker:label", "x_y.z-1"})
  void acceptsWellFormedSelectorTypes(String type) {
    // Given
    List<SelectorValue> selectors = List.of(sel(type, "v"));

    // When / Then
    assertThatCode(() -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsSelectorTypeLongerThan255Characters() {
    // Given
    List<SelectorValue> selectors = List.of(sel("t".repeat(256), "v"));

    // When / Then
    assertRejected(
        () -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"),
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[0].type",
        "at most 255 characters");
  }

  @Test
  void rejectsSelectorValueLongerThan4096Characters() {
    // Given
    List<SelectorValue> selectors = List.of(sel("k8s:ns", "v".repeat(4097)));

    // When / Then
    assertRejected(
        () -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"),
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[0].value",
        "longer than 4096 characters");
  }

  @ParameterizedTest
  @MethodSource("controlCharacters")
  void rejectsSelectorValueWithControlCharacter(String value, String found) {
    // Given
    EntrySpec spec = new Spec().selectors(sel("k8s:ns", value)).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[0].value",
        "must not contain control characters (found " + found + ")");
  }

  static Stream<Arguments> controlCharacters() {
    return Stream.of(
        Arguments.of("pro\nd", "U+000A at 3"),
        Arguments.of("\u0000", "U+0000 at 0"),
        Arguments.of("tab\there", "U+0009 at 3"),
        Arguments.of("del\u007f", "U+007F at 3"));
  }

  @Test
  void acceptsSelectorValueWithSpacesColonsAndNonAscii() {
    // Given
    List<SelectorValue> selectors = List.of(sel("k8s:pod-label", "app: zürich"));

    // When / Then
    assertThatCode(() -> EntryValidator.validateSelectors(selectors, false, "entry.selectors"))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsDuplicateSelector() {
    // Given
    EntrySpec spec =
        new Spec()
            .selectors(sel("k8s:ns", "prod"), sel("k8s:sa", "api"), sel("k8s:ns", "prod"))
            .build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[2]",
        "duplicate selector 'k8s:ns:prod'");
  }

  @Test
  void rejectsDuplicateSelectorSpelledTheOtherWay() {
    // Given
    EntrySpec spec = new Spec().selectors(sel("k8s:ns", "prod"), sel("k8s", "ns:prod")).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors[1]",
        "duplicate selector 'k8s:ns:prod'");
  }

  @Test
  void rejectsStoreSvidWithMixedPluginTypes() {
    // Given
    EntrySpec spec =
        new Spec()
            .selectors(sel("k8s:ns", "prod"), sel("unix:uid", "1000"))
            .storeSvid(true)
            .build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_SELECTOR,
        "entry.selectors",
        "store_svid requires all selectors to have the same plugin type");
  }

  @Test
  void acceptsStoreSvidWithOnePluginTypeInBothSpellings() {
    // Given
    EntrySpec spec =
        new Spec().selectors(sel("k8s:ns", "prod"), sel("k8s", "sa:api")).storeSvid(true).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @Test
  void acceptsMixedPluginTypesWithoutStoreSvid() {
    // Given
    EntrySpec spec =
        new Spec()
            .selectors(sel("k8s:ns", "prod"), sel("unix:uid", "1000"))
            .storeSvid(false)
            .build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  // ---- TTLs ----

  @ParameterizedTest
  @ValueSource(ints = {0, 10, 11, 3600, 31_536_000})
  void acceptsTtlOfZeroOrInRange(int ttl) {
    // Given
    EntrySpec spec = new Spec().ttl(ttl).jwtSvidTtl(ttl).build();

    // When
    String trustDomain = EntryValidator.validate(spec, "entry.", true, NOW);

    // Then
    assertThat(trustDomain).isEqualTo("example.org");
  }

  @ParameterizedTest
  @ValueSource(ints = {9, 1, -1, -3600, 31_536_001, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void rejectsTtlOutOfRange(int ttl) {
    // Given
    EntrySpec spec = new Spec().ttl(ttl).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TTL,
        "entry.ttl",
        "must be 0 (the SPIRE server's default) or between 10 and 31536000 seconds (got "
            + ttl
            + ")");
  }

  @ParameterizedTest
  @ValueSource(ints = {9, -1, 31_536_001})
  void rejectsJwtSvidTtlOutOfRange(int ttl) {
    // Given
    EntrySpec spec = new Spec().jwtSvidTtl(ttl).build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TTL,
        "entry.jwt_svid_ttl",
        "between 10 and 31536000 seconds (got " + ttl + ")");
  }

  // ---- DNS names ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.org",
        "*.example.org",
        "api",
        "a-b.c-d.example.org",
        "API.Example.ORG",
        "123.example.org",
        "xn--zrich-kva.example"
      })
  void acceptsValidDnsName(String name) {
    // Given / When
    String problem = EntryValidator.dnsNameProblem(name);

    // Then
    assertThat(problem).isNull();
  }

  @Test
  void acceptsLabelOf63Characters() {
    // Given
    String name = "a".repeat(63) + ".example.org";

    // When
    String problem = EntryValidator.dnsNameProblem(name);

    // Then
    assertThat(problem).isNull();
  }

  @Test
  void acceptsNameOf253Characters() {
    // Given: three labels of 63, one of 61 and three dots
    String name =
        "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
    assertThat(name).hasSize(253);

    // When
    String problem = EntryValidator.dnsNameProblem(name);

    // Then
    assertThat(problem).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "-a.example.org",
        "a-.example.org",
        "a..example.org",
        "example.org.",
        ".example.org",
        "a_b.example.org",
        "*",
        "*.*.example.org",
        "api.*.example.org",
        "a b.example.org",
        "zürich.example"
      })
  void rejectsMalformedDnsName(String name) {
    // Given
    List<String> names = List.of("ok.example.org", name);

    // When / Then
    assertRejected(
        () -> EntryValidator.validateDnsNames(names, "entry.dns_names"),
        ErrorReason.INVALID_DNS_NAME,
        "entry.dns_names[1]",
        "'" + name + "' is not a DNS name: each dot-separated label must be 1-63");
  }

  @Test
  void rejectsLabelOf64Characters() {
    // Given
    String name = "a".repeat(64) + ".example.org";

    // When
    String problem = EntryValidator.dnsNameProblem(name);

    // Then
    assertThat(problem).startsWith("is not a DNS name");
  }

  @Test
  void rejectsNameLongerThan253Characters() {
    // Given
    String name =
        "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(62);
    assertThat(name).hasSize(254);

    // When / Then
    assertRejected(
        () -> EntryValidator.validateDnsNames(List.of(name), "entry.dns_names"),
        ErrorReason.INVALID_DNS_NAME,
        "entry.dns_names[0]",
        "is longer than 253 characters");
  }

  @Test
  void rejectsEmptyDnsName() {
    // Given
    EntrySpec spec = new Spec().dnsNames("").build();

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_DNS_NAME, "entry.dns_names[0]", "'' is empty");
  }

  @Test
  void rejectsDuplicateDnsNameIgnoringCase() {
    // Given
    EntrySpec spec =
        new Spec().dnsNames("api.example.org", "web.example.org", "API.Example.org").build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_DNS_NAME,
        "entry.dns_names[2]",
        "duplicate DNS name 'API.Example.org'");
  }

  @Test
  void rejectsMoreThan64DnsNames() {
    // Given
    List<String> names = IntStream.range(0, 65).mapToObj(i -> "h" + i + ".example.org").toList();

    // When / Then
    assertRejected(
        () -> EntryValidator.validateDnsNames(names, "entry.dns_names"),
        ErrorReason.INVALID_DNS_NAME,
        "entry.dns_names",
        "at most 64 names are allowed");
  }

  // ---- federates_with ----

  @Test
  void rejectsMalformedFederatedTrustDomain() {
    // Given
    EntrySpec spec = new Spec().federatesWith("partner.org", "Partner.org").build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TRUST_DOMAIN,
        "entry.federates_with[1]",
        "trust domain 'Partner.org' has the character 'P'");
  }

  @Test
  void rejectsFederatedTrustDomainGivenAsSpiffeId() {
    // Given
    List<String> trustDomains = List.of("spiffe://partner.org");

    // When / Then
    assertRejected(
        () -> EntryValidator.validateFederatesWith(trustDomains, "entry.federates_with"),
        ErrorReason.INVALID_TRUST_DOMAIN,
        "entry.federates_with[0]",
        "has the character ':'");
  }

  @Test
  void rejectsEmptyFederatedTrustDomain() {
    // Given
    List<String> trustDomains = List.of("");

    // When / Then
    assertRejected(
        () -> EntryValidator.validateFederatesWith(trustDomains, "entry.federates_with"),
        ErrorReason.INVALID_TRUST_DOMAIN,
        "entry.federates_with[0]",
        "trust domain is empty");
  }

  @Test
  void rejectsDuplicateFederatedTrustDomain() {
    // Given
    EntrySpec spec = new Spec().federatesWith("partner.org", "other.org", "partner.org").build();

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TRUST_DOMAIN,
        "entry.federates_with[2]",
        "duplicate trust domain 'partner.org'");
  }

  @Test
  void rejectsMoreThan64FederatedTrustDomains() {
    // Given
    List<String> trustDomains = IntStream.range(0, 65).mapToObj(i -> "td" + i + ".org").toList();

    // When / Then
    assertRejected(
        () -> EntryValidator.validateFederatesWith(trustDomains, "entry.federates_with"),
        ErrorReason.INVALID_TRUST_DOMAIN,
        "entry.federates_with",
        "at most 64 trust domains are allowed");
  }

  // ---- site_ids ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not-a-uuid",
        "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6",
        "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6g",
        "0190f2c47d1e7a3b9c4d1a2b3c4d5e6f0000"
      })
  void rejectsSiteIdThatIsNotUuid(String siteId) {
    // Given
    EntrySpec spec = new Spec().siteIds(SITE_A, siteId).build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_ID, "entry.site_ids[1]", "'" + siteId + "' is not a UUID");
  }

  @Test
  void rejectsEmptySiteIdAsMissing() {
    // Given
    EntrySpec spec = new Spec().siteIds("").build();

    // When / Then
    assertRejected(spec, ErrorReason.MISSING_FIELD, "entry.site_ids[0]", "an id is required");
  }

  @Test
  void rejectsDuplicateSiteId() {
    // Given
    EntrySpec spec = new Spec().siteIds(SITE_A, SITE_B, SITE_A).build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_FIELD, "entry.site_ids[2]", "duplicate site id " + SITE_A);
  }

  @Test
  void rejectsDuplicateSiteIdDifferingOnlyInCase() {
    // Given
    EntrySpec spec = new Spec().siteIds(SITE_A, SITE_A.toUpperCase()).build();

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_FIELD, "entry.site_ids[1]", "duplicate site id " + SITE_A);
  }

  @Test
  void rejectsMoreThan64SiteIds() {
    // Given
    List<String> siteIds =
        IntStream.range(0, 65)
            .mapToObj(i -> String.format("0190f2c4-7d1e-7a3b-9c4d-%012x", i))
            .toList();

    // When / Then
    assertRejected(
        () -> EntryValidator.validateSiteIds(siteIds, "entry.site_ids"),
        ErrorReason.INVALID_FIELD,
        "entry.site_ids",
        "at most 64 sites are allowed");
  }

  // ---- helpers ----

  private static SelectorValue sel(String type, String value) {
    return new SelectorValue(type, value);
  }

  private static List<SelectorValue> numbered(int count) {
    List<SelectorValue> selectors = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      selectors.add(sel("k8s:pod-label", "app" + i));
    }
    return selectors;
  }

  private static void assertRejected(
      EntrySpec spec, ErrorReason reason, String field, String messagePart) {
    assertRejected(
        () -> EntryValidator.validate(spec, "entry.", true, NOW), reason, field, messagePart);
  }

  private static void assertRejected(
      ThrowingCallable call, ErrorReason reason, String field, String messagePart) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.getMessage()).startsWith(field + ": ").contains(messagePart);
            });
  }

  /** A valid spec to start from; each test changes only what it is about. */
  private static final class Spec {
    private String spiffeId = "spiffe://example.org/payments/api";
    private String parentId = "spiffe://example.org/spire/agent/k8s_psat/prod/node-1";
    private List<SelectorValue> selectors = List.of(sel("k8s:ns", "payments"));
    private int ttl;
    private List<String> dnsNames = List.of();
    private Instant expiresAt;
    private List<String> siteIds = List.of(SITE_A);
    private List<String> federatesWith = List.of();
    private int jwtSvidTtl;
    private String hint = "";
    private boolean storeSvid;

    Spec spiffeId(String value) {
      spiffeId = value;
      return this;
    }

    Spec parentId(String value) {
      parentId = value;
      return this;
    }

    Spec selectors(SelectorValue... values) {
      selectors = List.of(values);
      return this;
    }

    Spec ttl(int value) {
      ttl = value;
      return this;
    }

    Spec dnsNames(String... values) {
      dnsNames = List.of(values);
      return this;
    }

    Spec expiresAt(Instant value) {
      expiresAt = value;
      return this;
    }

    Spec siteIds(String... values) {
      siteIds = List.of(values);
      return this;
    }

    Spec federatesWith(String... values) {
      federatesWith = List.of(values);
      return this;
    }

    Spec jwtSvidTtl(int value) {
      jwtSvidTtl = value;
      return this;
    }

    Spec hint(String value) {
      hint = value;
      return this;
    }

    Spec storeSvid(boolean value) {
      storeSvid = value;
      return this;
    }

    EntrySpec build() {
      return new EntrySpec(
          spiffeId,
          parentId,
          selectors,
          ttl,
          dnsNames,
          false,
          false,
          expiresAt,
          siteIds,
          federatesWith,
          jwtSvidTtl,
          hint,
          storeSvid);
    }
  }
}
