package io.steward.schedule;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** When a node's offset to the cluster clock fences its scheduler, and when the fence comes down ({@link ClockBound}). */
class ClockBoundTest {

  private static final List<Long> ONE_GOOD_PEER = List.of(3L);

  @Test
  void an_offset_beyond_the_bound_either_way_fences_at_the_first_measurement() {
    assertThat(new ClockBound(5_000).observe(10_000, ONE_GOOD_PEER, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(new ClockBound(5_000).observe(-5_001, ONE_GOOD_PEER, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(new ClockBound(5_000).observe(5_000, ONE_GOOD_PEER, 0)).isEqualTo(ClockBound.Change.NONE);
  }

  @Test
  void the_fence_comes_down_only_after_the_offset_stayed_within_the_bound_for_the_settle_time() {
    ClockBound b = new ClockBound(1_000);
    assertThat(b.observe(2_000, ONE_GOOD_PEER, 0)).isEqualTo(ClockBound.Change.FENCE);
    assertThat(b.observe(2_000, ONE_GOOD_PEER, 1_000)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(10, ONE_GOOD_PEER, 2_000)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(10, ONE_GOOD_PEER, 2_000 + ClockBound.SETTLE_MS - 1)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.fenced()).isTrue();
    assertThat(b.observe(10, ONE_GOOD_PEER, 2_000 + ClockBound.SETTLE_MS)).isEqualTo(ClockBound.Change.CLEAR);
    assertThat(b.fenced()).isFalse();
  }

  @Test
  void an_offset_that_goes_beyond_the_bound_again_restarts_the_settle_time() {
    ClockBound b = new ClockBound(1_000);
    b.observe(2_000, ONE_GOOD_PEER, 0);
    b.observe(0, ONE_GOOD_PEER, 1_000);
    b.observe(1_500, ONE_GOOD_PEER, 4_000); // still up: the settle time starts again
    assertThat(b.observe(0, ONE_GOOD_PEER, 6_500)).isEqualTo(ClockBound.Change.NONE);
    assertThat(b.observe(0, ONE_GOOD_PEER, 6_500 + ClockBound.SETTLE_MS)).isEqualTo(ClockBound.Change.CLEAR);
  }

  @Test
  void a_lone_schedule_node_is_not_fenced_since_nobody_could_fire_its_jobs() {
    assertThat(new ClockBound(1_000).observe(10_000, List.of(), 0)).isEqualTo(ClockBound.Change.NONE);
  }

  @Test
  void when_the_masters_clock_is_wrong_the_others_all_beyond_the_bound_are_not_fenced() {
    // Three schedule nodes; the master's clock is 10 s behind, so both others are 10 s ahead of the cluster clock.
    // Each sees the master (offset 0) within the bound and the other beyond: not a majority within.
    assertThat(new ClockBound(1_000).outlier(10_000, List.of(0L, 10_020L))).isFalse();
    // The master is not a schedule node: every schedule node is beyond the bound, none is the odd one out.
    assertThat(new ClockBound(1_000).outlier(10_000, List.of(10_010L, 9_990L, 10_005L))).isFalse();
  }

  @Test
  void the_odd_node_out_is_fenced() {
    assertThat(new ClockBound(1_000).outlier(10_000, List.of(0L, 5L))).isTrue();
    assertThat(new ClockBound(1_000).outlier(-10_000, List.of(0L, 5L, 10_000L))).isTrue();
    // Two nodes: the master's clock wins the tie.
    assertThat(new ClockBound(1_000).outlier(10_000, List.of(0L))).isTrue();
  }

  @Test
  void a_bound_of_zero_never_fences() {
    assertThat(new ClockBound(0).observe(3_600_000, ONE_GOOD_PEER, 0)).isEqualTo(ClockBound.Change.NONE);
  }
}
