package io.steward.tasks;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

  @Test
  void the_ceiling_doubles_up_to_the_maximum_without_overflow() {
    Backoff b = new Backoff(100, 1_000);
    assertThat(b.ceilingMs(0)).isEqualTo(100);
    assertThat(b.ceilingMs(1)).isEqualTo(200);
    assertThat(b.ceilingMs(3)).isEqualTo(800);
    assertThat(b.ceilingMs(4)).isEqualTo(1_000);
    assertThat(b.ceilingMs(62)).isEqualTo(1_000);
    assertThat(b.ceilingMs(Integer.MAX_VALUE)).isEqualTo(1_000);
    assertThat(new Backoff(Integer.MAX_VALUE, Long.MAX_VALUE).ceilingMs(40)).isPositive();
  }

  @Test
  void the_jitter_stays_in_the_upper_half_of_the_ceiling() {
    Backoff b = new Backoff(100, 10_000);
    assertThat(b.delayMs(2, 0.0)).isEqualTo(200);
    assertThat(b.delayMs(2, 0.999999)).isBetween(399L, 400L);
    for (double r = 0; r < 1; r += 0.01) {
      assertThat(b.delayMs(2, r)).isBetween(200L, 400L);
    }
  }

  @Test
  void zero_base_means_no_delay_and_bad_bounds_are_refused() {
    assertThat(new Backoff(0, 0).delayMs(5, 0.7)).isZero();
    assertThatThrownBy(() -> new Backoff(10, 5)).isInstanceOf(IllegalArgumentException.class);
  }
}
