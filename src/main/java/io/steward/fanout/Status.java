package io.steward.fanout;

/** The final status of one item of a fan-out (or one node of a gather), as written in replies. */
enum Status {
  /** The target answered; the entry carries its {@code value}. */
  OK("ok"),
  /** The target (or the bus) answered with a failure; the entry carries {@code error {code, message}}. */
  FAILED("failed"),
  /** No answer within {@code timeoutMs} (or the target answered 408); the target may still run it. */
  TIMED_OUT("timed-out"),
  /** Never sent: the mode was decided or the deadline passed first. Nothing happened at the target. */
  NOT_SENT("not-sent"),
  /** Sent, but the fan-out ended before the answer: an event-bus request cannot be taken back. */
  ABANDONED("abandoned"),
  /** Gather only: the node left the cluster before it answered; the outcome there is unknown. */
  LEFT("left");

  private final String text;

  Status(String text) {
    this.text = text;
  }

  String text() {
    return text;
  }

  boolean isFailure() {
    return this == FAILED || this == TIMED_OUT || this == LEFT;
  }
}
