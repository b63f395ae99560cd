package io.spiremgmt.backend.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UuidV7Test {

  @Test
  void isVersion7WithRfcVariant() {
    // Given / When
    UUID id = UuidV7.next();

    // Then
    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(id.toString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-.*");
  }

  @Test
  void carriesCurrentUnixMillisInFirst48Bits() {
    // Given
    long before = System.currentTimeMillis();

    // When
    UUID id = UuidV7.next();

    // Then
    long after = System.currentTimeMillis();
    assertThat(timestamp(id)).isBetween(before, after);
  }

  @Test
  void successiveIdsHaveNonDecreasingTimestampsAndAreDistinct() {
    // Given
    List<UUID> ids = new ArrayList<>();

    // When
    for (int i = 0; i < 5_000; i++) {
      ids.add(UuidV7.next());
    }

    // Then
    for (int i = 1; i < ids.size(); i++) {
      assertThat(timestamp(ids.get(i)))
          .as("timestamp of id %d", i)
          .isGreaterThanOrEqualTo(timestamp(ids.get(i - 1)));
    }
    assertThat(new HashSet<>(ids)).hasSize(ids.size());
    assertThat(ids).allSatisfy(id -> assertThat(id.version()).isEqualTo(7));
    assertThat(ids).allSatisfy(id -> assertThat(id.variant()).isEqualTo(2));
  }

  private static long timestamp(UUID id) {
    return id.getMostSignificantBits() >>> 16;
  }
}
