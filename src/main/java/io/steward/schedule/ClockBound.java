package io.steward.schedule;

import java.util.List;

/**
 * When this node's offset to the cluster clock fences its scheduler ({@link Fence}); pure, so tests feed it offsets.
 *
 * <p>A node is fenced when its offset is beyond {@code maxMs} (either way) <em>and</em> it is the odd one out: more
 * than half of the other live schedule nodes are within the bound. So a lone schedule node is never fenced (nobody
 * could fire its jobs), and when the master's wall clock is the wrong one (every other node is then beyond the bound
 * by the same amount) nobody is fenced: the cluster clock follows the master, every node agrees on it, and the WARNs
 * and {@code /nodes} show the offsets. With two schedule nodes the master's clock wins the tie.
 *
 * <p>The fence goes up at the first such measurement, and comes down once every measurement for {@link #SETTLE_MS}
 * has not been one, so an offset that hovers at the bound does not make the node's jobs move back and forth. A
 * bound of 0 turns the clock fence off.
 */
final class ClockBound {

  /** How long the offset must stay within the bound before the fence comes down, ms (monotonic). */
  static final long SETTLE_MS = 5_000;

  enum Change { NONE, FENCE, CLEAR }

  private final long maxMs;
  private boolean fenced;
  /** Since when (monotonic ms) no measurement called for the fence; -1 while the latest one did. */
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

  /** Whether an offset beyond the bound makes this node the odd one out among {@code peerOffsets}. */
  boolean outlier(long offsetMs, List<Long> peerOffsets) {
    if (maxMs <= 0 || Math.abs(offsetMs) <= maxMs) {
      return false;
    }
    long within = peerOffsets.stream().filter(p -> Math.abs(p) <= maxMs).count();
    return within * 2 > peerOffsets.size();
  }

  /**
   * One measurement of this node's wall clock minus the cluster clock, at monotonic time {@code nowMs}, with the
   * offsets the other live schedule nodes last published.
   */
  Change observe(long offsetMs, List<Long> peerOffsets, long nowMs) {
    if (maxMs <= 0) {
      return Change.NONE;
    }
    if (outlier(offsetMs, peerOffsets)) {
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
