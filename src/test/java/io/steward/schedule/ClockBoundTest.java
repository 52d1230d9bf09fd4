package io.steward.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a node's offset to the cluster clock fences its scheduler, and when the fence comes down ({@link ClockBound}). */
class ClockBoundTest {

  @Test
  void an_offset_beyond_the_bound_either_way_fences_at_the_first_measurement() {
    assertThat(new ClockBound(5_000).observe(10_000, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(new ClockBound(5_000).observe(-5_001, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(new ClockBound(5_000).observe(5_000, 0)).isEqualTo(ClockBound.Change.NONE);
  }

  @Test
  void the_fence_comes_down_only_after_the_offset_stayed_within_the_bound_for_the_settle_time() {
    ClockBound b = new ClockBound(1_000);
    assertThat(b.observe(2_000, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(b.observe(2_000, 1_000)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(10, 2_000)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(10, 2_000 + ClockBound.SETTLE_MS - 1)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.fenced()).isTrue();
    assertThat(b.observe(10, 2_000 + ClockBound.SETTLE_MS)).isEqualTo(ClockBound.Change.CLEAR);
    assertThat(b.fenced()).isFalse();
  }

  @Test
  void an_offset_that_goes_beyond_the_bound_again_restarts_the_settle_time() {
    ClockBound b = new ClockBound(1_000);
    b.observe(2_000, 0);
    b.observe(0, 1_000);
    b.observe(1_500, 4_000); // still up: the settle time starts again
    assertThat(b.observe(0, 6_500)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(0, 6_500 + ClockBound.SETTLE_MS)).isEqualTo(ClockBound.Change.CLEAR);
  }

  @Test
  void a_bound_of_zero_never_fences() {
    assertThat(new ClockBound(0).observe(3_600_000, 0)).isEqualTo(ClockBound.Change.NONE);
  }
}
