package io.steward.client;

import java.time.Duration;

/**
 * When {@link StewardClient#withRetry(Retry)} sends a failed call again: at most {@code maxAttempts} in all, after
 * a backoff that doubles from {@code firstBackoff} up to {@code maxBackoff}, and only when the failure is
 * {@linkplain StewardException#retryable() retryable} and sending again is safe: either nothing was applied
 * (429, 503), or the call is idempotent. Every call is idempotent except {@code fanout().run} and
 * {@code schedule().trigger}, because the client makes it so: a retry sends the very same body, so a cache update
 * keeps its {@code opId} and a task keeps its {@code key} (one the client makes up when the request has none,
 * with {@code uniqueForMs} = {@code keyWindow}, so a retry after a 408 or 504 finds the first task even once it
 * ended instead of running it again).
 */
public record Retry(int maxAttempts, Duration firstBackoff, Duration maxBackoff, Duration keyWindow) {

  public Retry {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts: must be at least 1, got " + maxAttempts);
    }
    if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("backoff: need 0 <= firstBackoff <= maxBackoff, got " + firstBackoff
        + " and " + maxBackoff);
    }
    if (keyWindow.toMillis() < 1) {
      throw new IllegalArgumentException("keyWindow: must be at least 1 ms, got " + keyWindow);
    }
  }

  /** {@code maxAttempts} in all, backoff 200 ms doubling to 5 s, a made-up task key held 10 minutes. */
  public static Retry attempts(int maxAttempts) {
    return new Retry(maxAttempts, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMinutes(10));
  }

  public Retry backoff(Duration first, Duration max) {
    return new Retry(maxAttempts, first, max, keyWindow);
  }

  public Retry keyWindow(Duration window) {
    return new Retry(maxAttempts, firstBackoff, maxBackoff, window);
  }

  /** Whether attempt {@code attempt} (1 = the first) that failed with {@code failure} is sent again. */
  public boolean again(StewardException failure, boolean idempotent, int attempt) {
    return attempt < maxAttempts && failure.retryable() && (idempotent || !failure.mayHaveApplied());
  }

  /** The wait before attempt {@code attempt + 1}. */
  public long backoffMs(int attempt) {
    long ms = firstBackoff.toMillis() << Math.min(20, attempt - 1);
    return Math.min(ms, maxBackoff.toMillis());
  }
}
