package io.steward.schedule;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IntervalScheduleTest {

  @Test
  void periods_are_read_from_text_or_milliseconds() {
    assertThat(Every.parse("30s")).isEqualTo(30_000);
    assertThat(Every.parse("5m")).isEqualTo(300_000);
    assertThat(Every.parse("1h")).isEqualTo(3_600_000);
    assertThat(Every.parse("250ms")).isEqualTo(250);
    assertThat(Every.parse("2d")).isEqualTo(172_800_000);
    assertThat(Every.parse(1500)).isEqualTo(1500);
    assertThat(Every.format(90_000)).isEqualTo("90s");
    assertThat(Every.format(3_600_000)).isEqualTo("1h");
    assertThat(Every.format(1500)).isEqualTo("1500ms");
  }

  @Test
  void zero_negative_tiny_and_unreadable_periods_are_refused() {
    assertThatThrownBy(() -> Every.parse(0)).hasMessageContaining("greater than 0");
    assertThatThrownBy(() -> Every.parse(-5)).hasMessageContaining("greater than 0");
    assertThatThrownBy(() -> Every.parse("0s")).hasMessageContaining("greater than 0");
    assertThatThrownBy(() -> Every.parse("10ms")).hasMessageContaining("at least 100ms");
    assertThatThrownBy(() -> Every.parse("5 minutes")).hasMessageContaining("30s, 5m, 1h");
    assertThatThrownBy(() -> Every.parse(1.5)).hasMessageContaining("whole number");
    assertThatThrownBy(() -> Every.parse(true)).hasMessageContaining("duration string");
  }

  @Test
  void ticks_fall_at_anchor_plus_whole_periods() {
    IntervalSchedule s = new IntervalSchedule(1_000, 500);
    assertThat(s.next(0)).isEqualTo(1_000);
    assertThat(s.next(999)).isEqualTo(1_000);
    assertThat(s.next(1_000)).isEqualTo(1_500);
    assertThat(s.next(1_499)).isEqualTo(1_500);
    assertThat(s.next(10_250)).isEqualTo(10_500);
  }

  @Test
  void an_hourly_interval_stays_an_hour_of_real_time_across_daylight_saving() {
    long anchor = ZonedDateTime.of(2024, 10, 27, 0, 0, 0, 0, ZoneId.of("Europe/Berlin")).toInstant().toEpochMilli();
    IntervalSchedule s = new IntervalSchedule(anchor, 3_600_000);
    long t = anchor;
    for (int i = 0; i < 5; i++) {
      long n = s.next(t);
      assertThat(n - t).isEqualTo(3_600_000);
      t = n;
    }
    assertThat(Instant.ofEpochMilli(t)).isEqualTo(Instant.parse("2024-10-27T03:00:00Z"));
  }

  @Test
  void a_window_limits_the_ticks_to_start_and_end() {
    Schedule s = new WindowedSchedule(new IntervalSchedule(0, 1_000), 5_000, 7_000);
    assertThat(s.next(0)).isEqualTo(5_000);
    assertThat(s.next(5_000)).isEqualTo(6_000);
    assertThat(s.next(6_000)).isEqualTo(7_000);
    assertThat(s.next(7_000)).isEqualTo(Schedule.NONE);
  }

  @Test
  void jitter_is_deterministic_and_bounded() {
    for (long tick = 0; tick < 10_000; tick += 1_000) {
      long j = Ticks.jitter("job", tick, 250);
      assertThat(j).isBetween(0L, 250L).isEqualTo(Ticks.jitter("job", tick, 250));
    }
    assertThat(Ticks.jitter("job", 1, 0)).isZero();
  }
}
