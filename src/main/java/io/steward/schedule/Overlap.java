package io.steward.schedule;

import java.util.List;

/** What a tick does while the job's previous run is unfinished (until its reply, result or timeout). */
enum Overlap {
  /** Default: the tick is consumed and recorded as skipped. */
  SKIP("skip"),
  /** Runs start regardless of earlier ones. */
  ALLOW("allow"),
  /** The tick waits (up to the job's queueLimit) and runs when the previous run ends. */
  QUEUE("queue");

  static final List<String> NAMES = List.of("skip", "allow", "queue");

  final String text;

  Overlap(String text) {
    this.text = text;
  }

  static Overlap of(String text) {
    for (Overlap o : values()) {
      if (o.text.equals(text)) {
        return o;
      }
    }
    throw new IllegalArgumentException(text);
  }
}
