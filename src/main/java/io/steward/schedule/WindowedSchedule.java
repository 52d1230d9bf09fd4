package io.steward.schedule;

/** A schedule limited to {@code [startAt, endAt]} (either bound may be open). */
record WindowedSchedule(Schedule inner, long startAtMs, long endAtMs) implements Schedule {

  @Override
  public long next(long afterMs) {
    long from = startAtMs == Long.MIN_VALUE ? afterMs : Math.max(afterMs, startAtMs - 1);
    long t = inner.next(from);
    return t == NONE || t > endAtMs ? NONE : t;
  }

  @Override
  public String describe() {
    return inner.describe();
  }
}
