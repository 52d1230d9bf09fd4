package io.steward.spi;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The stall detector on a moved monotonic clock (its beats driven by hand; no beating thread in this JVM's test). */
class StallsTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @AfterEach
  void reset() {
    Stalls.reset();
  }

  @Test
  void a_gap_over_the_threshold_is_named_until_the_hold_has_passed_and_an_overdue_beat_too() {
    Stalls.configure(2_000, 5_000);
    long t = System.nanoTime();
    Stalls.beat(t);
    Stalls.beat(t + 100 * MS);
    assertThat(Stalls.recent(t + 150 * MS)).as("beating").isNull();
    assertThat(Stalls.recent(t + 2_500 * MS)).as("the beat is overdue: the stall may be going on")
      .contains("has stalled for 2400 ms");
    Stalls.beat(t + 7_100 * MS); // resumed after 7 s
    assertThat(Stalls.recent(t + 7_200 * MS)).contains("stalled for 7000 ms 100 ms ago", "view of the cluster may be stale");
    Stalls.beat(t + 7_200 * MS);
    assertThat(Stalls.recent(t + 12_000 * MS)).as("within the hold").isNotNull();
    for (long at = 7_300; at <= 12_200; at += 100) {
      Stalls.beat(t + at * MS);
    }
    assertThat(Stalls.recent(t + 12_200 * MS)).as("the hold has passed").isNull();
  }
}
