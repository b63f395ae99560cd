package io.spiremgmt.backend.paging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PageSizeTest {

  @ParameterizedTest
  @CsvSource({
    "0, 100",
    "1, 1",
    "5, 5",
    "100, 100",
    "999, 999",
    "1000, 1000",
    "1001, 1000",
    "5000, 1000",
    "2147483647, 1000"
  })
  void givesEffectivePageSize(int requested, int expected) {
    // Given / When
    int size = PageSize.of(requested);

    // Then
    assertThat(size).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, -100, Integer.MIN_VALUE})
  void rejectsNegativePageSize(int requested) {
    // Given / When / Then
    assertThatThrownBy(() -> PageSize.of(requested))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_PAGE_SIZE);
              assertThat(e.field()).isEqualTo("page_size");
              assertThat(e.getMessage())
                  .isEqualTo("page_size: must not be negative (got " + requested + ")");
            });
  }
}
