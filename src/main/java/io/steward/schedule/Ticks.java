package io.steward.schedule;

import java.util.ArrayList;
import java.util.List;

/** Pure helpers over a schedule: jitter, lateness limits, and the ticks in a gap. */
final class Ticks {

  /** The most ticks enumerated in one gap; further missed ticks are counted in the meters, not listed. */
  static final int MAX_LISTED = 1_000;

  private Ticks() {
  }

  /** A deterministic delay in {@code [0, jitterMs]} for one tick of one job: every node computes the same. */
  static long jitter(String job, long tick, long jitterMs) {
    if (jitterMs <= 0) {
      return 0;
    }
    long h = job.hashCode() * 0x9E3779B97F4A7C15L + tick;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return Math.floorMod(h, jitterMs + 1);
  }

  /**
   * How late a tick may start and still count as on time: the misfire threshold, and never later than the
   * next tick (a tick whose successor is already due is missed, not run back to back with it).
   */
  static long lateLimit(Schedule schedule, long tick, long thresholdMs) {
    long next = schedule.next(tick);
    return next == Schedule.NONE ? thresholdMs : Math.min(thresholdMs, next - tick);
  }

  /** The ticks strictly between {@code after} and {@code before}, oldest first, at most {@link #MAX_LISTED}. */
  static List<Long> between(Schedule schedule, long after, long before) {
    List<Long> out = new ArrayList<>();
    long t = schedule.next(after);
    while (t != Schedule.NONE && t < before && out.size() < MAX_LISTED) {
      out.add(t);
      t = schedule.next(t);
    }
    return out;
  }

  /**
   * The latest tick due at or before {@code now} (counting from {@code fromTick}, itself a tick, and returned
   * if no later one is due) and the tick after it: {@code [latest, next]}, one call to the schedule per tick.
   */
  static long[] latestDue(Schedule schedule, long fromTick, long now, String job, long jitterMs) {
    long m = fromTick;
    long n = schedule.next(m);
    int steps = 0;
    while (n != Schedule.NONE && n + jitter(job, n, jitterMs) <= now && steps++ < 10_000) {
      m = n;
      n = schedule.next(n);
    }
    return new long[] {m, n};
  }
}
