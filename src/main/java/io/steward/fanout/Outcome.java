package io.steward.fanout;

/** How a fan-out ended, the {@code outcome} of its reply. */
enum Outcome {
  /** The mode's condition was met (for {@code settled}: every item has a final status). */
  SATISFIED("satisfied"),
  /** The condition can no longer be met: a failure under {@code all}, every item failed under {@code any},
   *  too many failures for {@code n} successes under {@code quorum}. */
  FAILED("failed"),
  /** {@code deadlineMs} passed before the mode was decided. */
  DEADLINE("deadline");

  private final String text;

  Outcome(String text) {
    this.text = text;
  }

  String text() {
    return text;
  }
}
