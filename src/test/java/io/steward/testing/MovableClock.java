package io.steward.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that stands still until the test sets or moves it (UTC). For the modules that take a {@link Clock}. */
public final class MovableClock extends Clock {

  private volatile long now;

  public MovableClock(long now) {
    this.now = now;
  }

  public synchronized void advance(long ms) {
    now += ms;
  }

  public void set(long now) {
    this.now = now;
  }

  @Override
  public long millis() {
    return now;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(now);
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
