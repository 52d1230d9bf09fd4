package io.steward.store;

import java.util.function.LongSupplier;

/**
 * Whether the database is reachable, and when to try it again when it is not: a circuit breaker with
 * exponential backoff. While the database is down, writes fail at once without touching it (Hazelcast puts
 * them back in its write-behind queue), and only the probe tries the database, first after
 * {@link #FIRST_BACKOFF_MS}, then after twice as long each time, at most {@code maxBackoffMs}. Pure: the clock
 * is given, so tests move it.
 */
final class Gate {

  static final long FIRST_BACKOFF_MS = 500;

  private final LongSupplier clock;
  private final long maxBackoffMs;

  // Guarded by this.
  private boolean up = true;
  private long downSince;
  private int attempts;
  private long nextAttemptAt;
  private long lastSuccessAt;
  private String lastError;

  Gate(LongSupplier clock, long maxBackoffMs) {
    this.clock = clock;
    this.maxBackoffMs = maxBackoffMs;
    this.lastSuccessAt = clock.getAsLong();
  }

  /** Whether callers may use the database now (it is not known to be down). */
  synchronized boolean up() {
    return up;
  }

  /** Whether the probe should try the database now: it is down and its backoff has passed. */
  synchronized boolean probeDue() {
    return !up && clock.getAsLong() >= nextAttemptAt;
  }

  /** A database call worked. Returns true when this ends an outage. */
  synchronized boolean success() {
    lastSuccessAt = clock.getAsLong();
    boolean recovered = !up;
    up = true;
    attempts = 0;
    lastError = null;
    return recovered;
  }

  /** A call failed for a reason that is not the data's (connection, timeout). Returns true when this starts an outage. */
  synchronized boolean failure(String error) {
    long now = clock.getAsLong();
    boolean started = up;
    if (up) {
      up = false;
      downSince = now;
    }
    attempts++;
    nextAttemptAt = now + backoffMs(attempts);
    lastError = error;
    return started;
  }

  /** The wait after the n-th failed attempt in a row: 0.5 s, 1 s, 2 s, … at most {@code maxBackoffMs}. */
  long backoffMs(int attempt) {
    int shift = Math.min(30, Math.max(0, attempt - 1));
    return Math.min(maxBackoffMs, FIRST_BACKOFF_MS << shift);
  }

  synchronized Snapshot snapshot() {
    long now = clock.getAsLong();
    return new Snapshot(up, up ? 0 : now - downSince, now - lastSuccessAt, attempts,
      up ? 0 : Math.max(0, nextAttemptAt - now), lastError);
  }

  /** The state at one moment, for health and metrics. */
  record Snapshot(boolean up, long downForMs, long sinceSuccessMs, int failedAttempts, long nextAttemptInMs,
                  String lastError) {
  }
}
