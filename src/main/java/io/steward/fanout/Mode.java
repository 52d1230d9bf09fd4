package io.steward.fanout;

import java.util.List;

/** When a fan-out is done. */
enum Mode {
  /** Every item must succeed: decided (failed) at the first failure, satisfied when all succeeded. */
  ALL("all"),
  /** Wait for every item, whatever its outcome. */
  SETTLED("settled"),
  /** The first success satisfies it; failed when every item failed. */
  ANY("any"),
  /** The first {@code n} successes satisfy it; failed as soon as {@code n} successes are out of reach. */
  QUORUM("quorum");

  static final List<String> NAMES = List.of("all", "settled", "any", "quorum");

  private final String text;

  Mode(String text) {
    this.text = text;
  }

  String text() {
    return text;
  }

  static Mode of(String text) {
    for (Mode m : values()) {
      if (m.text.equals(text)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown mode " + text);
  }
}
