package io.steward.schedule;

import java.util.ArrayList;
import java.util.List;

/** Pure helpers over a schedule: jitter, the latest due tick, and the ticks in a gap. */
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
