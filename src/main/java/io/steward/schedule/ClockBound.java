package io.steward.schedule;

/**
 * When this node's offset to the cluster clock fences its scheduler ({@link Fence}); pure, so tests feed it offsets.
 *
 * <p>The fence goes up at the first measurement beyond {@code maxMs} (either way), and comes down once every
 * measurement for {@link #SETTLE_MS} has been within it, so an offset that hovers at the bound does not make the
 * node's jobs move back and forth. A bound of 0 turns the clock fence off.
 */
final class ClockBound {

  /** How long the offset must stay within the bound before the fence comes down, ms (monotonic). */
  static final long SETTLE_MS = 5_000;

  enum Change { NONE, FENCE, CLEAR }

  private final long maxMs;
  private boolean fenced;
  /** Since when (monotonic ms) every measurement was within the bound; -1 while one beyond it is the latest. */
  private long withinSince = -1;

  ClockBound(long maxMs) {
    this.maxMs = maxMs;
  }

  long maxMs() {
    return maxMs;
  }

  boolean fenced() {
    return fenced;
  }

  /** One measurement of this node's wall clock minus the cluster clock, at monotonic time {@code nowMs}. */
  Change observe(long offsetMs, long nowMs) {
    if (maxMs <= 0) {
      return Change.NONE;
    }
    if (Math.abs(offsetMs) > maxMs) {
      withinSince = -1;
      if (!fenced) {
        fenced = true;
        return Change.FENCE;
      }
      return Change.NONE;
    }
    if (withinSince < 0) {
      withinSince = nowMs;
    }
    if (fenced && nowMs - withinSince >= SETTLE_MS) {
      fenced = false;
      return Change.CLEAR;
    }
    return Change.NONE;
  }
}
