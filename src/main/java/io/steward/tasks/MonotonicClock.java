package io.steward.tasks;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * {@link System#nanoTime()} in milliseconds, as a {@link Clock}: for measuring how long something waits (attempt
 * timeouts, backoff delays), never for a date. A step of the wall clock (NTP, a resumed VM) does not move it, so
 * it cannot shorten or stretch a timeout; tests give the tasks module a movable clock instead.
 */
final class MonotonicClock extends Clock {

  static final MonotonicClock INSTANCE = new MonotonicClock();

  private MonotonicClock() {
  }

  @Override
  public long millis() {
    return System.nanoTime() / 1_000_000;
  }

  /** Not a date: the instant is as far from the epoch as the JVM's monotonic origin happens to be. */
  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
