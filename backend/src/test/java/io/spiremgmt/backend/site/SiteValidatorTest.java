package io.spiremgmt.backend.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.site.SiteEntity.Status;
import io.spiremgmt.backend.site.SiteEntity.Tier;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class SiteValidatorTest {
  private static final UUID PARENT = UUID.fromString("0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f");

  @Test
  void acceptsValidStandaloneSite() {
    // Given
    SiteSpec spec = site("us-east-1", "example.org", Tier.STANDALONE, null);

    // When / Then
    assertThatCode(() -> SiteValidator.validate(spec)).doesNotThrowAnyException();
  }

  @Test
  void acceptsDownstreamSiteWithParent() {
    // Given
    SiteSpec spec = site("edge-7", "example.org", Tier.DOWNSTREAM, PARENT);

    // When / Then
    assertThatCode(() -> SiteValidator.validate(spec)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "us-east-1", "x9", "a-b-c"})
  void acceptsWellFormedName(String name) {
    // Given
    SiteSpec spec = site(name, "example.org", Tier.STANDALONE, null);

    // When / Then
    assertThatCode(() -> SiteValidator.validate(spec)).doesNotThrowAnyException();
  }

  @Test
  void acceptsNameOf63Characters() {
    // Given
    SiteSpec spec = site("a".repeat(63), "example.org", Tier.STANDALONE, null);

    // When / Then
    assertThatCode(() -> SiteValidator.validate(spec)).doesNotThrowAnyException();
  }

  @Test
  void rejectsEmptyNameAsMissing() {
    // Given
    SiteSpec spec = site("", "example.org", Tier.STANDALONE, null);

    // When / Then
    assertRejected(spec, ErrorReason.MISSING_FIELD, "site.name", "a name is required");
  }

  @ParameterizedTest
  @ValueSource(strings = {"US-East", "1east", "-east", "us_east", "us.east", "us east", "ü"})
  void rejectsMalformedName(String name) {
    // Given
    SiteSpec spec = site(name, "example.org", Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "site.name",
        "must be 1-63 lower-case letters, digits and hyphens, starting with a letter");
  }

  @Test
  void rejectsNameOf64Characters() {
    // Given
    SiteSpec spec = site("a".repeat(64), "example.org", Tier.STANDALONE, null);

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_FIELD, "site.name", "must be 1-63");
  }

  @Test
  void rejectsRegionLongerThan100Characters() {
    // Given
    SiteSpec spec =
        new SiteSpec(
            "us-east-1", "r".repeat(101), "example.org", "", Status.ACTIVE, Tier.STANDALONE, null);

    // When / Then
    assertRejected(spec, ErrorReason.INVALID_FIELD, "site.region", "longer than 100 characters");
  }

  @Test
  void rejectsRegionWithControlCharacter() {
    // Given
    SiteSpec spec =
        new SiteSpec(
            "us-east-1", "US\nEast", "example.org", "", Status.ACTIVE, Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "site.region",
        "must not contain control characters (found U+000A at 2)");
  }

  @Test
  void rejectsEmptyTrustDomainAsMissing() {
    // Given
    SiteSpec spec = site("us-east-1", "", Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec, ErrorReason.MISSING_FIELD, "site.trust_domain", "a trust domain is required");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Example.org", "example.org:8081", "spiffe://example.org", "a b"})
  void rejectsMalformedTrustDomain(String trustDomain) {
    // Given
    SiteSpec spec = site("us-east-1", trustDomain, Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TRUST_DOMAIN,
        "site.trust_domain",
        "trust domain '" + trustDomain + "' has the character");
  }

  @Test
  void rejectsTrustDomainLongerThan255Characters() {
    // Given
    SiteSpec spec = site("us-east-1", "t".repeat(256), Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_TRUST_DOMAIN,
        "site.trust_domain",
        "trust domain is longer than 255 characters");
  }

  @ParameterizedTest
  @ValueSource(strings = {"spire east:8081", "spire\t:8081", "spire:8081\n"})
  void rejectsServerAddressWithSpaceOrControlCharacter(String addr) {
    // Given
    SiteSpec spec =
        new SiteSpec("us-east-1", "", "example.org", addr, Status.ACTIVE, Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "site.spire_server_addr",
        "must not contain spaces or control characters");
  }

  @Test
  void rejectsServerAddressLongerThan255Characters() {
    // Given
    SiteSpec spec =
        new SiteSpec(
            "us-east-1", "", "example.org", "s".repeat(256), Status.ACTIVE, Tier.STANDALONE, null);

    // When / Then
    assertRejected(
        spec, ErrorReason.INVALID_FIELD, "site.spire_server_addr", "longer than 255 characters");
  }

  @Test
  void rejectsDownstreamSiteWithoutParent() {
    // Given
    SiteSpec spec = site("edge-7", "example.org", Tier.DOWNSTREAM, null);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.MISSING_FIELD,
        "site.parent_site_id",
        "a DOWNSTREAM site needs its UPSTREAM parent site");
  }

  @ParameterizedTest
  @EnumSource(
      value = Tier.class,
      names = {"STANDALONE", "UPSTREAM"})
  void rejectsParentOnSiteThatIsNotDownstream(Tier tier) {
    // Given
    SiteSpec spec = site("us-east-1", "example.org", tier, PARENT);

    // When / Then
    assertRejected(
        spec,
        ErrorReason.INVALID_FIELD,
        "site.parent_site_id",
        "only DOWNSTREAM sites have a parent site");
  }

  private static SiteSpec site(String name, String trustDomain, Tier tier, UUID parent) {
    return new SiteSpec(
        name, "us-east", trustDomain, "spire.example.org:8081", Status.ACTIVE, tier, parent);
  }

  private static void assertRejected(
      SiteSpec spec, ErrorReason reason, String field, String messagePart) {
    assertThatThrownBy(() -> SiteValidator.validate(spec))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.getMessage()).startsWith(field + ": ").contains(messagePart);
            });
  }
}
