package io.steward.tasks;

import java.util.Arrays;

/**
 * When a task was restarted, kept only as far back as its window ({@code withinMs}) reaches: the per-task
 * restart limit counts restarts in the window, and the backoff exponent grows with them. Immutable.
 */
final class RestartHistory {

  public static final RestartHistory EMPTY = new RestartHistory(new long[0]);

  private final long[] times;

  private RestartHistory(long[] times) {
    this.times = times;
  }

  public static RestartHistory of(long... times) {
    long[] copy = times.clone();
    Arrays.sort(copy);
    return new RestartHistory(copy);
  }

  /** Restarts at or after {@code since}. */
  public int countSince(long since) {
    int n = 0;
    for (long t : times) {
      if (t >= since) {
        n++;
      }
    }
    return n;
  }

  /** This history plus a restart at {@code now}, dropping restarts older than {@code withinMs}. */
  public RestartHistory plus(long now, long withinMs) {
    long since = now - withinMs;
    long[] kept = Arrays.stream(times).filter(t -> t >= since).toArray();
    long[] out = Arrays.copyOf(kept, kept.length + 1);
    out[kept.length] = now;
    return new RestartHistory(out);
  }

  public long[] times() {
    return times.clone();
  }

  public int size() {
    return times.length;
  }
}
