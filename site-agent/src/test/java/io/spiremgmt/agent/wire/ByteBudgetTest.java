package io.spiremgmt.agent.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {

  @Test
  void cutsWhereTheNextItemWouldPassTheByteBudget() {
    // Given items of 4, 4, 4 and 1 bytes and a budget of 8 bytes
    List<Integer> sizes = List.of(4, 4, 4, 1);

    // When
    List<List<Integer>> runs = ByteBudget.split(sizes, Integer::intValue, 8, 100);

    // Then
    assertThat(runs).containsExactly(List.of(4, 4), List.of(4, 1));
  }

  @Test
  void cutsAtTheItemCountToo() {
    // Given five small items and at most two per run
    List<Integer> sizes = List.of(1, 1, 1, 1, 1);

    // When
    List<List<Integer>> runs = ByteBudget.split(sizes, Integer::intValue, 1000, 2);

    // Then
    assertThat(runs).containsExactly(List.of(1, 1), List.of(1, 1), List.of(1));
  }

  @Test
  void anItemLargerThanTheBudgetMakesARunOfItsOwn() {
    // Given a 50-byte item between small ones and a budget of 10 bytes
    List<Integer> sizes = List.of(3, 50, 3);

    // When
    List<List<Integer>> runs = ByteBudget.split(sizes, Integer::intValue, 10, 100);

    // Then: nothing is left out
    assertThat(runs).containsExactly(List.of(3), List.of(50), List.of(3));
  }

  @Test
  void noItemsMakeNoRunsAndAnEmptyBudgetIsRefused() {
    assertThat(ByteBudget.split(List.<Integer>of(), Integer::intValue, 10, 10)).isEmpty();
    assertThatThrownBy(() -> ByteBudget.split(List.of(1), Integer::intValue, 0, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
