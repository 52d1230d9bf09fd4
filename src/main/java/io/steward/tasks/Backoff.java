package io.steward.tasks;

/**
 * Exponential backoff with jitter between restarts: the n-th restart in the current window waits
 * {@code min(maxMs, baseMs * 2^n)}, of which the upper half is random ("equal jitter"), so tasks that failed
 * together do not all come back at the same instant, and none comes back sooner than half the delay.
 */
record Backoff(long baseMs, long maxMs) {

  public Backoff {
    if (baseMs < 0 || maxMs < baseMs) {
      throw new IllegalArgumentException("backoff needs 0 <= baseMs <= maxMs, got " + baseMs + ", " + maxMs);
    }
  }

  /** The ceiling of the delay before restart number {@code n} (0 for the first restart in the window). */
  public long ceilingMs(int n) {
    if (baseMs == 0) {
      return 0;
    }
    int shift = Math.min(Math.max(n, 0), 40);
    long d = baseMs << shift;
    return d <= 0 || d > maxMs || (d >> shift) != baseMs ? maxMs : d;
  }

  /** The delay before restart number {@code n}; {@code random} in [0, 1) picks the point in the upper half. */
  public long delayMs(int n, double random) {
    long ceiling = ceilingMs(n);
    long half = ceiling / 2;
    return ceiling - half + (long) (Math.min(Math.max(random, 0), 1) * half);
  }
}
