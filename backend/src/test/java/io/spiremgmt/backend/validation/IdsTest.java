package io.spiremgmt.backend.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdsTest {

  @Test
  void parsesCanonicalUuidInEitherCase() {
    // Given
    String id = "01A20A3D-4C57-713B-8B79-EEF4A8EEB679";

    // When
    UUID parsed = Ids.parse(id, "id");

    // Then
    assertThat(parsed.toString()).isEqualTo(id.toLowerCase(Locale.ROOT));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+2345678-1234-1234-1234-123456789abc",
        "1234567-+1234-1234-1234-123456789abc",
        "12345678-1234-1234-1234-123456789abcd",
        "12345678123412341234123456789abc",
        "g2345678-1234-1234-1234-123456789abc"
      })
  void rejectsAnythingButTheCanonicalUuidText(String value) {
    // Given
    String field = "entry.site_ids[0]";

    // When / Then
    assertThatThrownBy(() -> Ids.parse(value, field))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_ID);
              assertThat(e.field()).isEqualTo(field);
            });
  }

  @Test
  void generatesRequestIdWhenEmptyAndRejectsControlCharacters() {
    // Given
    String field = "request_id";

    // When
    String generated = Ids.requestId("", field);
    String chosen = Ids.requestId("deploy-17", field);

    // Then
    assertThat(generated).hasSize(36);
    assertThat(chosen).isEqualTo("deploy-17");
    assertThatThrownBy(() -> Ids.requestId("a\u0000b", "request_id"))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_FIELD);
              assertThat(e.getMessage()).contains("U+0000");
            });
    assertThatThrownBy(() -> Ids.requestId("r".repeat(129), "request_id"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.getMessage()).contains("longer than 128"));
  }
}
