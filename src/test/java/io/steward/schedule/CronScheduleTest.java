package io.steward.schedule;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cron fire times are a pure function; these tests decide the daylight-saving behaviour (cron-utils alone gets
 * it wrong, see {@link CronSchedule}). Berlin: 2024-03-31 02:00 CET → 03:00 CEST, 2024-10-27 03:00 CEST →
 * 02:00 CET. New York: 2024-03-10 02:00 EST → 03:00 EDT, 2024-11-03 02:00 EDT → 01:00 EST.
 */
class CronScheduleTest {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final DateTimeFormatter WALL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Every fire strictly after {@code from} up to {@code to}, as instants. */
  private static List<Instant> fires(String cron, ZoneId zone, ZonedDateTime from, ZonedDateTime to) {
    CronSchedule s = CronSchedule.parse(cron, zone);
    List<Instant> out = new ArrayList<>();
    long t = from.toInstant().toEpochMilli();
    while (true) {
      t = s.next(t);
      if (t == Schedule.NONE || t > to.toInstant().toEpochMilli()) {
        return out;
      }
      out.add(Instant.ofEpochMilli(t));
    }
  }

  private static List<String> wall(List<Instant> instants, ZoneId zone) {
    return instants.stream().map(i -> WALL.format(i.atZone(zone))).toList();
  }

  private static void assertStrictlyIncreasingAndDistinctWallTimes(List<Instant> fires, ZoneId zone) {
    for (int i = 1; i < fires.size(); i++) {
      assertThat(fires.get(i)).as("fire %d after fire %d", i, i - 1).isAfter(fires.get(i - 1));
    }
    List<String> walls = wall(fires, zone);
    assertThat(new HashSet<>(walls)).as("each wall-clock time fires once").hasSize(walls.size());
  }

  @Test
  void in_the_autumn_overlap_each_quarter_hour_fires_once_at_its_first_occurrence() {
    List<Instant> f = fires("0 */15 * * * *", BERLIN,
      ZonedDateTime.of(2024, 10, 27, 1, 50, 0, 0, BERLIN), ZonedDateTime.of(2024, 10, 27, 3, 20, 0, 0, BERLIN));
    assertThat(f).containsExactly(
      Instant.parse("2024-10-27T00:00:00Z"), // 02:00 CEST
      Instant.parse("2024-10-27T00:15:00Z"),
      Instant.parse("2024-10-27T00:30:00Z"),
      Instant.parse("2024-10-27T00:45:00Z"), // 02:45 CEST; the repeated 02:00-02:59 CET fires nothing
      Instant.parse("2024-10-27T02:00:00Z"), // 03:00 CET
      Instant.parse("2024-10-27T02:15:00Z"));
    assertStrictlyIncreasingAndDistinctWallTimes(f, BERLIN);
  }

  @Test
  void in_the_autumn_overlap_hourly_and_daily_times_fire_once() {
    assertThat(fires("@hourly", BERLIN, ZonedDateTime.of(2024, 10, 27, 0, 30, 0, 0, BERLIN),
      ZonedDateTime.of(2024, 10, 27, 4, 30, 0, 0, BERLIN)))
      .containsExactly(Instant.parse("2024-10-26T23:00:00Z"), Instant.parse("2024-10-27T00:00:00Z"),
        Instant.parse("2024-10-27T02:00:00Z"), Instant.parse("2024-10-27T03:00:00Z"));
    assertThat(fires("0 30 1 * * *", NEW_YORK, ZonedDateTime.of(2024, 11, 2, 12, 0, 0, 0, NEW_YORK),
      ZonedDateTime.of(2024, 11, 4, 12, 0, 0, 0, NEW_YORK)))
      .containsExactly(Instant.parse("2024-11-03T05:30:00Z"), // 01:30 EDT, not again at 01:30 EST
        Instant.parse("2024-11-04T06:30:00Z"));
  }

  @Test
  void every_second_through_the_autumn_overlap_never_repeats_a_wall_clock_time_nor_an_instant() {
    List<Instant> f = fires("* * * * * *", NEW_YORK, ZonedDateTime.of(2024, 11, 3, 0, 59, 0, 0, NEW_YORK),
      ZonedDateTime.of(2024, 11, 3, 2, 1, 0, 0, NEW_YORK).withLaterOffsetAtOverlap());
    assertStrictlyIncreasingAndDistinctWallTimes(f, NEW_YORK);
    // 00:59:01 … 01:59:59 EDT once, then 02:00:00 … 02:01:00 EST: the repeated hour is silent.
    assertThat(f).hasSize(60 + 3600 - 1 + 61);
    assertThat(f).doesNotContain(Instant.parse("2024-11-03T06:30:00Z")); // 01:30 EST
  }

  @Test
  void asked_from_inside_the_repeated_hour_the_next_fire_is_after_it() {
    CronSchedule s = CronSchedule.parse("0 */10 * * * *", NEW_YORK);
    long insideSecondPass = Instant.parse("2024-11-03T06:25:00Z").toEpochMilli(); // 01:25 EST
    assertThat(Instant.ofEpochMilli(s.next(insideSecondPass))).isEqualTo(Instant.parse("2024-11-03T07:00:00Z")); // 02:00 EST
    long insideFirstPass = Instant.parse("2024-11-03T05:25:00Z").toEpochMilli(); // 01:25 EDT
    assertThat(Instant.ofEpochMilli(s.next(insideFirstPass))).isEqualTo(Instant.parse("2024-11-03T05:30:00Z"));
  }

  @Test
  void in_the_spring_gap_a_daily_time_that_does_not_exist_fires_once_right_after_the_gap() {
    assertThat(fires("0 30 2 * * *", BERLIN, ZonedDateTime.of(2024, 3, 29, 12, 0, 0, 0, BERLIN),
      ZonedDateTime.of(2024, 4, 1, 12, 0, 0, 0, BERLIN)))
      .containsExactly(Instant.parse("2024-03-30T01:30:00Z"), // 02:30 CET
        Instant.parse("2024-03-31T01:00:00Z"),                // 02:30 does not exist: 03:00 CEST
        Instant.parse("2024-04-01T00:30:00Z"));               // 02:30 CEST
    assertThat(fires("0 30 2 * * *", NEW_YORK, ZonedDateTime.of(2024, 3, 9, 12, 0, 0, 0, NEW_YORK),
      ZonedDateTime.of(2024, 3, 11, 12, 0, 0, 0, NEW_YORK)))
      .containsExactly(Instant.parse("2024-03-10T07:00:00Z"), Instant.parse("2024-03-11T06:30:00Z"));
  }

  @Test
  void in_the_spring_gap_the_missing_quarter_hours_collapse_into_one_fire_with_no_burst_and_no_double() {
    List<Instant> f = fires("0 */15 * * * *", BERLIN, ZonedDateTime.of(2024, 3, 31, 1, 20, 0, 0, BERLIN),
      ZonedDateTime.of(2024, 3, 31, 3, 40, 0, 0, BERLIN));
    assertThat(f).containsExactly(
      Instant.parse("2024-03-31T00:30:00Z"), // 01:30 CET
      Instant.parse("2024-03-31T00:45:00Z"), // 01:45 CET
      Instant.parse("2024-03-31T01:00:00Z"), // 02:00-02:45 do not exist, 03:00 CEST: one fire
      Instant.parse("2024-03-31T01:15:00Z"), // 03:15 CEST
      Instant.parse("2024-03-31T01:30:00Z"));
    assertStrictlyIncreasingAndDistinctWallTimes(f, BERLIN);
  }

  @Test
  void every_second_through_the_spring_gap_fires_once_per_existing_second() {
    List<Instant> f = fires("* * * * * *", BERLIN, ZonedDateTime.of(2024, 3, 31, 1, 59, 0, 0, BERLIN),
      ZonedDateTime.of(2024, 3, 31, 3, 1, 0, 0, BERLIN));
    assertStrictlyIncreasingAndDistinctWallTimes(f, BERLIN);
    // 01:59:01 … 01:59:59 CET, then 03:00:00 … 03:01:00 CEST, one second apart throughout.
    assertThat(f).hasSize(59 + 61);
    for (int i = 1; i < f.size(); i++) {
      assertThat(f.get(i).toEpochMilli() - f.get(i - 1).toEpochMilli()).isEqualTo(1_000);
    }
  }

  @Test
  void nicknames_and_six_field_expressions_are_understood() {
    ZoneId utc = ZoneId.of("UTC");
    ZonedDateTime from = ZonedDateTime.of(2025, 1, 15, 10, 20, 30, 0, utc);
    long t = from.toInstant().toEpochMilli();
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@hourly", utc).next(t))).isEqualTo(Instant.parse("2025-01-15T11:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@daily", utc).next(t))).isEqualTo(Instant.parse("2025-01-16T00:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@midnight", utc).next(t))).isEqualTo(Instant.parse("2025-01-16T00:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@monthly", utc).next(t))).isEqualTo(Instant.parse("2025-02-01T00:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@yearly", utc).next(t))).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("@weekly", utc).next(t))).isEqualTo(Instant.parse("2025-01-19T00:00:00Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("*/20 * * * * *", utc).next(t))).isEqualTo(Instant.parse("2025-01-15T10:20:40Z"));
    assertThat(Instant.ofEpochMilli(CronSchedule.parse("0 0 9 * * MON-FRI", utc).next(t))).isEqualTo(Instant.parse("2025-01-16T09:00:00Z"));
  }

  @Test
  void next_is_strictly_after_even_within_the_same_second() {
    CronSchedule s = CronSchedule.parse("* * * * * *", ZoneId.of("UTC"));
    long t = Instant.parse("2025-01-15T10:20:30Z").toEpochMilli();
    assertThat(s.next(t)).isEqualTo(t + 1_000);
    assertThat(s.next(t + 999)).isEqualTo(t + 1_000);
    assertThat(s.next(t - 1)).isEqualTo(t);
  }

  @Test
  void bad_expressions_are_refused_with_a_reason() {
    ZoneId utc = ZoneId.of("UTC");
    assertThatThrownBy(() -> CronSchedule.parse("*/5 * * * *", utc)).hasMessageContaining("needs 6 fields").hasMessageContaining("got 5");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 25 * * *", utc)).hasMessageContaining("cannot parse");
    assertThatThrownBy(() -> CronSchedule.parse("@reboot", utc)).hasMessageContaining("unknown nickname");
    assertThatThrownBy(() -> CronSchedule.parse("banana", utc)).hasMessageContaining("needs 6 fields");
  }
}
