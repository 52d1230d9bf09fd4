package io.steward.schedule;

/**
 * Ticks at {@code anchor + k × period} for k ≥ 0: fixed durations of real time, so an hourly interval stays 3600
 * seconds apart across daylight-saving changes (use cron for wall-clock times).
 */
record IntervalSchedule(long anchorMs, long periodMs) implements Schedule {

  IntervalSchedule {
    if (periodMs <= 0) {
      throw new IllegalArgumentException("period must be positive, got " + periodMs);
    }
  }

  @Override
  public long next(long afterMs) {
    if (afterMs < anchorMs) {
      return anchorMs;
    }
    long k = Math.floorDiv(afterMs - anchorMs, periodMs) + 1;
    if (k > (Long.MAX_VALUE - anchorMs) / periodMs) {
      return NONE;
    }
    return anchorMs + k * periodMs;
  }

  @Override
  public String describe() {
    return "every " + Every.format(periodMs);
  }
}
