package io.steward.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How the fence measures a scheduler loop's silence (the rest of the fence needs a cluster: ScheduleModuleTest). */
class FenceClockTest {

  @Test
  void a_suspended_vm_counts_as_a_stall_although_the_monotonic_clock_stood_still() {
    // CLOCK_MONOTONIC (System.nanoTime) does not advance across a suspend on Linux; the wall clock does.
    assertThat(Fence.silentMs(100_000_000L, 30_000)).isEqualTo(30_000);
  }

  @Test
  void a_wall_clock_stepped_back_does_not_hide_a_stall_the_monotonic_clock_saw() {
    assertThat(Fence.silentMs(12_000_000_000L, -3_000)).isEqualTo(12_000);
  }

  @Test
  void an_ordinary_beat_is_not_silence() {
    assertThat(Fence.silentMs(100_000_000L, 101)).isEqualTo(101);
  }
}
