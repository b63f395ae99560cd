package io.spiremgmt.backend.paging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PageTokenTest {
  private static final String FILTER = "entries|site=2b1f|td=example.org";
  private static final String NOT_OURS = "page_token: is not a page token issued by this service";

  @Test
  void roundTripsKeysForTheSameFilter() {
    // Given
    PageToken token =
        new PageToken(
            List.of("spiffe://example.org/payments/api", "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f"));

    // When
    String encoded = token.encode(FILTER);
    PageToken decoded = PageToken.decode(encoded, FILTER, 2);

    // Then
    assertThat(decoded).isEqualTo(token);
    assertThat(decoded.keys())
        .containsExactly(
            "spiffe://example.org/payments/api", "0190f2c4-7d1e-7a3b-9c4d-1a2b3c4d5e6f");
  }

  @Test
  void roundTripsNonAsciiAndEmptyKeys() {
    // Given
    PageToken token = new PageToken(List.of("zürich-ü", ""));

    // When
    PageToken decoded = PageToken.decode(token.encode(FILTER), FILTER, 2);

    // Then
    assertThat(decoded.keys()).containsExactly("zürich-ü", "");
  }

  @Test
  void encodesAsUnpaddedUrlSafeBase64() {
    // Given
    PageToken token = new PageToken(List.of("a/b?c+d", "~~~~"));

    // When
    String encoded = token.encode(FILTER);

    // Then
    assertThat(encoded).matches("[A-Za-z0-9_-]+");
  }

  @ParameterizedTest
  @NullAndEmptySource
  void emptyTokenMeansFirstPage(String token) {
    // Given / When
    PageToken decoded = PageToken.decode(token, FILTER, 2);

    // Then
    assertThat(decoded).isNull();
  }

  @Test
  void rejectsTokenIssuedForAnotherFilter() {
    // Given
    String encoded = new PageToken(List.of("us-east-1")).encode("sites|status=ACTIVE");

    // When / Then
    assertThatThrownBy(() -> PageToken.decode(encoded, "sites|status=INACTIVE", 1))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_PAGE_TOKEN);
              assertThat(e.field()).isEqualTo("page_token");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "page_token: was issued for a different filter; repeat the request with the"
                          + " filter of the first page");
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"!!!not-base64!!!", "A", "abc=def", "////", "AAAA"})
  void rejectsGarbage(String token) {
    // Given / When / Then
    assertNotOurs(token, 2);
  }

  @Test
  void rejectsTruncatedToken() {
    // Given
    String encoded = new PageToken(List.of("spiffe://example.org/a", "id-1")).encode(FILTER);
    String truncated = encoded.substring(0, encoded.length() - 4);

    // When / Then
    assertNotOurs(truncated, 2);
  }

  @Test
  void rejectsTokenWithTrailingBytes() {
    // Given
    byte[] valid =
        Base64.getUrlDecoder().decode(new PageToken(List.of("us-east-1")).encode(FILTER));
    byte[] longer = Arrays.copyOf(valid, valid.length + 1);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(longer);

    // When / Then
    assertNotOurs(token, 1);
  }

  @Test
  void rejectsTokenOfAnotherVersion() {
    // Given
    byte[] bytes =
        Base64.getUrlDecoder().decode(new PageToken(List.of("us-east-1")).encode(FILTER));
    bytes[0] = 2;
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);

    // When / Then
    assertNotOurs(token, 1);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void rejectsTokenWithWrongKeyCount(int expectedKeys) {
    // Given
    String encoded = new PageToken(List.of("spiffe://example.org/a", "id-1")).encode(FILTER);

    // When / Then
    assertNotOurs(encoded, expectedKeys);
  }

  @Test
  void rejectsTokenLongerThan8192Characters() {
    // Given
    String huge = "A".repeat(8193);

    // When / Then
    assertNotOurs(huge, 1);
  }

  private static void assertNotOurs(String token, int keyCount) {
    assertThatThrownBy(() -> PageToken.decode(token, FILTER, keyCount))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_PAGE_TOKEN);
              assertThat(e.field()).isEqualTo("page_token");
              assertThat(e.getMessage()).isEqualTo(NOT_OURS);
            });
  }
}
