package io.spiremgmt.backend.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {
  private static final String FIELD = "entry.spiffe_id";

  @Test
  void parsesIdWithPathIntoTrustDomainAndPath() {
    // Given
    String value = "spiffe://example.org/ns/prod/sa/payments-api_v1.2";

    // When
    SpiffeId id = SpiffeId.parse(value, FIELD);

    // Then
    assertThat(id.trustDomain()).isEqualTo("example.org");
    assertThat(id.path()).isEqualTo("/ns/prod/sa/payments-api_v1.2");
  }

  @Test
  void parsesIdWithoutPathAsEmptyPath() {
    // Given
    String value = "spiffe://prod-1.example_org";

    // When
    SpiffeId id = SpiffeId.parse(value, FIELD);

    // Then
    assertThat(id.trustDomain()).isEqualTo("prod-1.example_org");
    assertThat(id.path()).isEmpty();
  }

  @Test
  void acceptsMixedCaseInPath() {
    // Given
    String value = "spiffe://example.org/Payments/API";

    // When
    SpiffeId id = SpiffeId.parse(value, FIELD);

    // Then
    assertThat(id.path()).isEqualTo("/Payments/API");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://example.org",
        "spiffe://example.org/a",
        "spiffe://example.org/a/b/c",
        "spiffe://td/...",
        "spiffe://td/.a/a."
      })
  void toStringGivesBackTheParsedValue(String value) {
    // Given
    SpiffeId id = SpiffeId.parse(value, FIELD);

    // When
    String text = id.toString();

    // Then
    assertThat(text).isEqualTo(value);
    assertThat(SpiffeId.parse(text, FIELD)).isEqualTo(id);
  }

  @Test
  void acceptsIdOfExactlyMaxBytes() {
    // Given
    String prefix = "spiffe://example.org/";
    String value = prefix + "a".repeat(SpiffeId.MAX_BYTES - prefix.length());
    assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(2048);

    // When
    SpiffeId id = SpiffeId.parse(value, FIELD);

    // Then
    assertThat(id.path()).hasSize(2048 - "spiffe://example.org".length());
  }

  @Test
  void rejectsIdOfOneByteOverMax() {
    // Given
    String prefix = "spiffe://example.org/";
    String value = prefix + "a".repeat(SpiffeId.MAX_BYTES - prefix.length() + 1);
    assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(2049);

    // When / Then
    assertInvalid(value, "longer than 2048 bytes");
  }

  @Test
  void countsMaxLengthInUtf8BytesNotCharacters() {
    // Given: 2048 characters, but 'é' takes two bytes
    String prefix = "spiffe://example.org/";
    String value = prefix + "a".repeat(SpiffeId.MAX_BYTES - prefix.length() - 1) + "é";
    assertThat(value).hasSize(2048);
    assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(2049);

    // When / Then
    assertInvalid(value, "longer than 2048 bytes");
  }

  @ParameterizedTest
  @NullAndEmptySource
  void rejectsMissingIdAsMissingField(String value) {
    // Given / When / Then
    assertThatThrownBy(() -> SpiffeId.parse(value, FIELD))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.MISSING_FIELD);
              assertThat(e.field()).isEqualTo(FIELD);
              assertThat(e.getMessage()).isEqualTo("entry.spiffe_id: a SPIFFE ID is required");
            });
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.org/a",
        "SPIFFE://example.org/a",
        "Spiffe://example.org/a",
        "spiffe:/example.org/a",
        "https://example.org/a",
        " spiffe://example.org/a"
      })
  void rejectsMissingOrUpperCaseScheme(String value) {
    // Given / When / Then
    assertInvalid(value, "must start with 'spiffe://' (lower case)");
  }

  @Test
  void rejectsUpperCaseTrustDomain() {
    // Given
    String value = "spiffe://Example.org/a";

    // When / Then
    assertInvalid(value, "trust domain 'Example.org' has the character 'E'");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "spiffe://example.org:8443/a | 'example.org:8443' has the character ':'",
        "spiffe://user@example.org/a | 'user@example.org' has the character '@'",
        "spiffe://exa mple.org/a     | 'exa mple.org' has the character ' '",
        "spiffe://example.org?x=1    | 'example.org?x=1' has the character '?'",
        "spiffe://example.org#frag   | 'example.org#frag' has the character '#'",
        "spiffe://ex%41mple.org/a    | 'ex%41mple.org' has the character '%'",
        "spiffe://exämple.org/a      | 'exämple.org' has the character U+00E4"
      })
  void rejectsBadCharacterInTrustDomain(String value, String problem) {
    // Given / When / Then
    assertInvalid(value, "trust domain " + problem);
  }

  @ParameterizedTest
  @ValueSource(strings = {"spiffe://", "spiffe:///a"})
  void rejectsEmptyTrustDomain(String value) {
    // Given / When / Then
    assertInvalid(value, "trust domain is empty");
  }

  @Test
  void rejectsTrustDomainLongerThan255Characters() {
    // Given
    String value = "spiffe://" + "a".repeat(256) + "/x";

    // When / Then
    assertInvalid(value, "trust domain is longer than 255 characters");
  }

  @Test
  void rejectsEmptyPathSegment() {
    // Given
    String value = "spiffe://example.org/a//b";

    // When / Then
    assertInvalid(value, "path segment 2 is empty ('//')");
  }

  @ParameterizedTest
  @ValueSource(strings = {"spiffe://example.org/", "spiffe://example.org/a/"})
  void rejectsTrailingSlash(String value) {
    // Given / When / Then
    assertInvalid(value, "path must not end with '/'");
  }

  @Test
  void rejectsDotPathSegment() {
    // Given
    String value = "spiffe://example.org/a/./b";

    // When / Then
    assertInvalid(value, "path segment 2 is '.', which is not allowed");
  }

  @Test
  void rejectsDotDotPathSegment() {
    // Given
    String value = "spiffe://example.org/a/..";

    // When / Then
    assertInvalid(value, "path segment 2 is '..', which is not allowed");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "spiffe://example.org/a%2Fb   | path segment 1 has the character '%'",
        "spiffe://example.org/a?x=1   | path segment 1 has the character '?'",
        "spiffe://example.org/a/b#top | path segment 2 has the character '#'",
        "spiffe://example.org/a/b:c   | path segment 2 has the character ':'",
        "spiffe://example.org/café    | path segment 1 has the character U+00E9",
        "spiffe://example.org/a b     | path segment 1 has the character ' '"
      })
  void rejectsCharacterOutsidePathAlphabet(String value, String problem) {
    // Given / When / Then
    assertInvalid(value, problem + "; only letters, digits, '.', '-' and '_' are allowed");
  }

  @Test
  void describesControlCharacterByCodePoint() {
    // Given
    String value = "spiffe://example.org/a\tb";

    // When / Then
    assertInvalid(value, "path segment 1 has the character U+0009");
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.org", "a", "prod-1.example_org", "0.1.2"})
  void trustDomainProblemIsNullForValidName(String name) {
    // Given / When
    String problem = SpiffeId.trustDomainProblem(name);

    // Then
    assertThat(problem).isNull();
  }

  @Test
  void trustDomainProblemAcceptsExactly255Characters() {
    // Given
    String name = "a".repeat(255);

    // When
    String problem = SpiffeId.trustDomainProblem(name);

    // Then
    assertThat(problem).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "Example.org     | 'Example.org' has the character 'E'; only lower-case letters, digits,"
            + " '.', '-' and '_' are allowed",
        "example.org:443 | 'example.org:443' has the character ':'; only lower-case letters,"
            + " digits, '.', '-' and '_' are allowed",
        "a/b             | 'a/b' has the character '/'; only lower-case letters, digits, '.', '-'"
            + " and '_' are allowed"
      })
  void trustDomainProblemNamesTheOffendingCharacter(String name, String expected) {
    // Given / When
    String problem = SpiffeId.trustDomainProblem(name);

    // Then
    assertThat(problem).isEqualTo(expected);
  }

  @Test
  void trustDomainProblemReportsEmptyName() {
    // Given / When
    String problem = SpiffeId.trustDomainProblem("");

    // Then
    assertThat(problem).isEqualTo("is empty");
  }

  private static void assertInvalid(String value, String problem) {
    assertThatThrownBy(() -> SpiffeId.parse(value, FIELD))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_SPIFFE_ID);
              assertThat(e.field()).isEqualTo(FIELD);
              assertThat(e.getMessage())
                  .startsWith("entry.spiffe_id: invalid SPIFFE ID: ")
                  .contains(problem);
            });
  }
}
