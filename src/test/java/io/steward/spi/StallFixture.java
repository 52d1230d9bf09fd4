package io.steward.spi;

import java.util.concurrent.TimeUnit;

/** Tests of other packages: make this JVM look as if it had just stalled ({@link Stalls}), then forget it. */
public final class StallFixture {

  private StallFixture() {
  }

  /** As if this JVM had stalled {@code stallMs} just now, named for {@code holdMs}; the beating thread is held. */
  public static void stalledJustNow(long stallMs, long holdMs) {
    Stalls.configure(stallMs / 2, holdMs);
    long now = System.nanoTime();
    Stalls.beat(now - TimeUnit.MILLISECONDS.toNanos(stallMs));
    Stalls.beat(now);
  }

  /**
   * Forgets every stall, lets the beating thread beat again, with the settings a test cluster's nodes watch with
   * ({@code failureDetectionSeconds} 4: a stall is a gap over 2 s, named for 5 s after it).
   */
  public static void reset() {
    Stalls.configure(2_000, 5_000);
    Stalls.reset();
  }
}
