package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EntryFieldTest {

  @Test
  void starMeansEveryField() {
    // Given / When
    Set<EntryField> fields = EntryField.fromMask(List.of("*"));

    // Then
    assertThat(fields).isEqualTo(EnumSet.allOf(EntryField.class)).hasSize(13);
  }

  @Test
  void starAmongOtherPathsStillMeansEveryField() {
    // Given / When
    Set<EntryField> fields = EntryField.fromMask(List.of("ttl", "*"));

    // Then
    assertThat(fields).isEqualTo(EnumSet.allOf(EntryField.class));
  }

  @Test
  void mapsProtoFieldNamesToFields() {
    // Given
    List<String> paths = List.of("selectors", "jwt_svid_ttl", "expiry_time", "store_svid");

    // When
    Set<EntryField> fields = EntryField.fromMask(paths);

    // Then
    assertThat(fields)
        .containsExactlyInAnyOrder(
            EntryField.SELECTORS,
            EntryField.JWT_SVID_TTL,
            EntryField.EXPIRY_TIME,
            EntryField.STORE_SVID);
  }

  @Test
  void everyFieldIsFoundByItsOwnPath() {
    // Given
    List<String> paths = EnumSet.allOf(EntryField.class).stream().map(EntryField::path).toList();

    // When
    Set<EntryField> fields = EntryField.fromMask(paths);

    // Then
    assertThat(fields).isEqualTo(EnumSet.allOf(EntryField.class));
  }

  @Test
  void repeatedPathCountsOnce() {
    // Given / When
    Set<EntryField> fields = EntryField.fromMask(List.of("hint", "hint"));

    // Then
    assertThat(fields).containsExactly(EntryField.HINT);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "revision",
        "id",
        "create_time",
        "site_statuses",
        "spiffeId",
        "SPIFFE_ID",
        "entry.ttl",
        ""
      })
  void rejectsUnknownOrOutputOnlyPath(String path) {
    // Given
    List<String> paths = List.of("ttl", path);

    // When / Then
    assertThatThrownBy(() -> EntryField.fromMask(paths))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_UPDATE_MASK);
              assertThat(e.field()).isEqualTo("update_mask");
              assertThat(e.getMessage())
                  .startsWith("update_mask: '" + path + "' is not an updatable entry field")
                  .contains("spiffe_id, parent_id, selectors")
                  .endsWith("store_svid or '*'");
            });
  }

  @Test
  void rejectsEmptyMask() {
    // Given
    List<String> paths = List.of();

    // When / Then
    assertThatThrownBy(() -> EntryField.fromMask(paths))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_UPDATE_MASK);
              assertThat(e.field()).isEqualTo("update_mask");
              assertThat(e.getMessage()).contains("the update changes nothing");
            });
  }
}
