package io.steward.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Cron ticks in a time zone, with Steward's daylight-saving rules:
 * <ul>
 *   <li>in the autumn overlap, a wall-clock time that occurs twice fires once, at its first occurrence;</li>
 *   <li>in the spring gap, a wall-clock time that does not exist fires once, at the first instant after the
 *       gap (several such times collapse into that one fire);</li>
 *   <li>everywhere else, a wall-clock time fires at the one instant it denotes.</li>
 * </ul>
 *
 * <p>cron-utils parses the expression; the calendar arithmetic runs on bit sets compiled from its model
 * ({@link CronFields}), or in cron-utils for a form those do not compile. Either is asked only about local
 * date-times (a calendar without DST); resolving a local time to an instant is done here with
 * {@link ZoneRules}. Asked directly in a DST zone, cron-utils 9.2.1 fires sub-hourly and hourly expressions in
 * both passes of the autumn overlap and skips a daily time that falls in the spring gap (cron-utils issues
 * #446 and #490); the tests in {@code CronScheduleTest} pin the behaviour above instead.
 */
final class CronSchedule implements Schedule {

  /** Six fields, seconds first (Spring 5.3 dialect: {@code ?}, {@code L}, {@code W}, {@code #}, names). */
  private static final CronDefinition DEFINITION = CronDefinitionBuilder.instanceDefinitionFor(com.cronutils.model.CronType.SPRING53);
  private static final CronParser PARSER = new CronParser(DEFINITION);
  private static final Set<String> NICKNAMES = Set.of("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly");
  private static final int MAX_STEPS = 10_000;

  private final String expression;
  private final ZoneId zone;
  private final ZoneRules rules;
  private final ExecutionTime execution;
  /** The same expression compiled to bit sets (the fast path), or null where cron-utils evaluates it. */
  private final CronFields fields;

  private CronSchedule(String expression, ZoneId zone, ExecutionTime execution, CronFields fields) {
    this.expression = expression;
    this.zone = zone;
    this.rules = zone.getRules();
    this.execution = execution;
    this.fields = fields;
  }

  /**
   * Parses an expression with a seconds field ({@code 0 *}{@code /15 * * * *}) or a nickname ({@code @hourly},
   * {@code @daily}, {@code @midnight}, {@code @weekly}, {@code @monthly}, {@code @yearly}, {@code @annually}).
   * Throws {@link IllegalArgumentException} with a message for the caller.
   */
  static CronSchedule parse(String expression, ZoneId zone) {
    String text = expression.strip();
    if (text.startsWith("@")) {
      if (!NICKNAMES.contains(text.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("unknown nickname '" + text + "' (known: " + String.join(", ", NICKNAMES.stream().sorted().toList()) + ")");
      }
      text = text.toLowerCase(Locale.ROOT);
    } else {
      int fields = text.split("\\s+").length;
      if (fields == 5) {
        throw new IllegalArgumentException("needs 6 fields (second minute hour day-of-month month day-of-week), got 5; "
          + "prefix '0 ' to fire at second 0 of each matching minute");
      }
      if (fields != 6) {
        throw new IllegalArgumentException("needs 6 fields (second minute hour day-of-month month day-of-week), got " + fields);
      }
    }
    Cron cron;
    try {
      cron = PARSER.parse(text);
      cron.validate();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cannot parse '" + expression + "': " + e.getMessage());
    }
    return new CronSchedule(text, zone, ExecutionTime.forCron(cron), CronFields.compile(cron));
  }

  String expression() {
    return expression;
  }

  ZoneId zone() {
    return zone;
  }

  @Override
  public long next(long afterMs) {
    LocalDateTime local = LocalDateTime.ofInstant(Instant.ofEpochMilli(afterMs), zone).truncatedTo(ChronoUnit.SECONDS);
    for (int step = 0; step < MAX_STEPS; step++) {
      LocalDateTime wall = nextLocal(local);
      if (wall == null) {
        return NONE;
      }
      List<ZoneOffset> offsets = rules.getValidOffsets(wall);
      if (offsets.size() == 1) {
        long t = wall.toInstant(offsets.get(0)).toEpochMilli();
        if (t > afterMs) {
          return t;
        }
        local = wall;
        continue;
      }
      ZoneOffsetTransition transition = rules.getTransition(wall);
      if (offsets.isEmpty()) {
        // Spring gap: this wall time does not exist; it fires once, right after the gap.
        long t = transition.getInstant().toEpochMilli();
        if (t > afterMs) {
          return t;
        }
        local = transition.getDateTimeAfter().minusSeconds(1);
        continue;
      }
      // Autumn overlap: fire at the first occurrence only (the offset in force before the transition).
      long t = wall.toInstant(transition.getOffsetBefore()).toEpochMilli();
      if (t > afterMs) {
        return t;
      }
      // Every first occurrence in this overlap is already past: skip the repeated hour as a whole.
      local = transition.getDateTimeBefore().minusSeconds(1);
    }
    throw new IllegalStateException("cron '" + expression + "' in " + zone + ": no tick found within " + MAX_STEPS + " steps after " + Instant.ofEpochMilli(afterMs));
  }

  /** The first matching wall-clock time strictly after {@code local}, in a calendar without DST, or null. */
  LocalDateTime nextLocal(LocalDateTime local) {
    if (fields != null) {
      return fields.next(local);
    }
    Optional<ZonedDateTime> n = execution.nextExecution(local.atZone(ZoneOffset.UTC));
    return n.map(ZonedDateTime::toLocalDateTime).orElse(null);
  }

  /** Whether the expression runs on the bit-set fast path ({@link CronFields}). */
  boolean compiled() {
    return fields != null;
  }

  @Override
  public String describe() {
    return "cron " + expression + " " + zone.getId();
  }
}
