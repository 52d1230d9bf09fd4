package io.steward.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bit-set cron evaluator against cron-utils' own, on local date-times (a calendar without DST): for every
 * expression of a mixed set (steps, ranges, lists, names, {@code L}, {@code L-n}, {@code W}, {@code LW},
 * {@code xL}, {@code #}), from random instants over forty years, and from the edges of months and leap days,
 * both must name the same next date-time. The DST rules on top are {@code CronScheduleTest}'s.
 */
class CronFieldsTest {

  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  static final List<String> MIXED = List.of(
    "0 30 9 * * MON-FRI",
    "0 0 9 * * MON-FRI",
    "*/5 * * * * *",
    "5/15 * * * * *",
    "0 */15 9-17 * * *",
    "0 */15 9-17/2 * * *",
    "0 0 0 1 * *",
    "0 0 12 1,15 JAN,JUL ?",
    "0 0 0 ? * 0",
    "0 0 0 ? * 7",
    "0 0 0 ? * SUN",
    "0 0 0 ? * MON,WED-FRI",
    "0 0 0 ? * SAT,SUN",
    "0 0 23 L * ?",
    "0 0 6 L-3 * ?",
    "0 0 0 15W * ?",
    "0 0 0 1W * ?",
    "0 0 0 LW * ?",
    "0 0 18 ? * 5L",
    "0 0 18 ? * FRI#3",
    "0 0 18 ? * MON#1",
    "0 0 18 ? * 1#5",
    "0 0 0 29 2 ?",
    "0 0 0 31 * ?",
    "30 59 23 31 12 ?",
    "0 0 0 10-20 * MON-FRI",
    "0 0 0 1-7 * MON",
    "0 0/7 * * * *",
    "10-50/20 */3 0-6 * * *",
    "0 0 2 * * *",
    "0 30 2 * * *",
    "0 0 1 * * SUN",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@yearly");

  @Test
  void every_expression_of_the_mixed_set_runs_on_the_bit_sets() {
    for (String expr : MIXED) {
      assertTrue(CronSchedule.parse(expr, ZoneId.of("UTC")).compiled(), expr + " fell back to cron-utils");
    }
  }

  @Test
  void the_bit_sets_name_the_same_next_time_as_cron_utils_from_random_instants() {
    Random random = new Random(18);
    long from = LocalDateTime.of(2000, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC);
    long to = LocalDateTime.of(2040, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC);
    for (String expr : MIXED) {
      for (int i = 0; i < 400; i++) {
        long second = from + (long) (random.nextDouble() * (to - from));
        sameAsCronUtils(expr, LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC));
      }
    }
  }

  @Test
  void the_bit_sets_name_the_same_next_time_as_cron_utils_at_the_edges_of_months_and_years() {
    List<LocalDateTime> edges = new ArrayList<>();
    for (int year : new int[] {2023, 2024, 2100}) {
      for (int month = 1; month <= 12; month++) {
        LocalDateTime first = LocalDateTime.of(year, month, 1, 0, 0);
        edges.add(first);
        edges.add(first.minusSeconds(1));
        edges.add(first.plusMonths(1).minusDays(1).withHour(23).withMinute(59).withSecond(59));
        edges.add(first.withDayOfMonth(15).withHour(12));
      }
    }
    for (String expr : MIXED) {
      for (LocalDateTime t : edges) {
        sameAsCronUtils(expr, t);
      }
    }
  }

  @Test
  void following_ticks_one_after_another_matches_cron_utils_for_a_year() {
    for (String expr : List.of("0 0 23 L * ?", "0 0 0 LW * ?", "0 0 18 ? * FRI#3", "0 0 0 15W * ?", "0 0 9 * * MON-FRI")) {
      CronSchedule cron = CronSchedule.parse(expr, ZoneId.of("UTC"));
      ExecutionTime reference = ExecutionTime.forCron(parse(expr));
      LocalDateTime a = LocalDateTime.of(2026, 1, 1, 0, 0);
      LocalDateTime b = a;
      for (int i = 0; i < 300 && a.getYear() < 2028; i++) {
        a = cron.nextLocal(a);
        b = reference.nextExecution(b.atZone(ZoneOffset.UTC)).orElseThrow().toLocalDateTime();
        assertEquals(b, a, expr + " tick " + i);
      }
    }
  }

  @Test
  void a_nearest_weekday_past_the_end_of_a_short_month_skips_that_month() {
    // cron-utils 9.2.1 throws "Invalid date 'APRIL 31'" here; Quartz skips such a month, and so do we.
    CronSchedule cron = CronSchedule.parse("0 0 0 31W * ?", ZoneId.of("UTC"));
    LocalDateTime t = LocalDateTime.of(2026, 3, 31, 0, 0);
    List<LocalDateTime> ticks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      t = cron.nextLocal(t);
      ticks.add(t);
    }
    // May 31 2026 is a Sunday: its nearest weekday in May is Friday the 29th. July 31 is a Friday,
    // August 31 a Monday, October 31 a Saturday (so Friday the 30th).
    assertEquals(List.of(LocalDateTime.of(2026, 5, 29, 0, 0), LocalDateTime.of(2026, 7, 31, 0, 0),
      LocalDateTime.of(2026, 8, 31, 0, 0), LocalDateTime.of(2026, 10, 30, 0, 0)), ticks);
  }

  @Test
  void an_expression_that_never_matches_answers_none() {
    CronSchedule never = CronSchedule.parse("0 0 0 31 2 ?", ZoneId.of("UTC"));
    assertTrue(never.compiled());
    assertNull(never.nextLocal(LocalDateTime.of(2026, 1, 1, 0, 0)));
    assertEquals(Schedule.NONE, never.next(0));
  }

  private static final java.util.Map<String, CronSchedule> OURS = new java.util.concurrent.ConcurrentHashMap<>();
  private static final java.util.Map<String, ExecutionTime> THEIRS = new java.util.concurrent.ConcurrentHashMap<>();

  private static void sameAsCronUtils(String expr, LocalDateTime t) {
    CronSchedule cron = OURS.computeIfAbsent(expr, e -> CronSchedule.parse(e, ZoneId.of("UTC")));
    Optional<ZonedDateTime> expected = THEIRS.computeIfAbsent(expr, e -> ExecutionTime.forCron(parse(e))).nextExecution(t.atZone(ZoneOffset.UTC));
    LocalDateTime actual = cron.nextLocal(t);
    if (expected.isEmpty()) {
      assertNull(actual, expr + " after " + t);
    } else {
      assertNotNull(actual, expr + " after " + t);
      assertEquals(expected.get().toLocalDateTime(), actual, expr + " after " + t);
    }
  }

  private static Cron parse(String expr) {
    String text = expr.startsWith("@") ? expr.toLowerCase() : expr;
    return PARSER.parse(text);
  }
}
