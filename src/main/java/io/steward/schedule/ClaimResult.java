package io.steward.schedule;

/** What a claim decided: see {@link JobState#claim}. Travels as a {@code long[]} ({@link #encode}). */
final class ClaimResult {

  /** The outcome of one claim. */
  enum Kind {
    /** This node fires {@link #tick()} (the claimed tick, or an older queued one). */
    WON,
    /** Another node claimed this tick (or a later one) first. */
    LOST,
    /** Claimed as missed: recorded, not fired. */
    MISSED,
    /** Consumed and skipped: the previous run is unfinished (overlap: skip) or the queue is full. */
    SKIPPED,
    /** Consumed and queued behind the unfinished run (overlap: queue). */
    QUEUED
  }

  private static final Kind[] KINDS = Kind.values();

  private final Kind kind;
  private final long tick;
  private final long previous;

  ClaimResult(Kind kind, long tick, long previous) {
    this.kind = kind;
    this.tick = tick;
    this.previous = previous;
  }

  Kind kind() {
    return kind;
  }

  /** The tick to run for WON; the claimed tick otherwise. */
  long tick() {
    return tick;
  }

  /** The highest tick claimed before this claim ({@link JobState#NONE} if none): the gap up to the claimed tick was missed. */
  long previous() {
    return previous;
  }

  /** As Hazelcast returns it: a {@code long[]} serializes with no class name and no reflection. */
  long[] encode() {
    return new long[] {kind.ordinal(), tick, previous};
  }

  static ClaimResult decode(long[] v) {
    return new ClaimResult(KINDS[(int) v[0]], v[1], v[2]);
  }

  @Override
  public String toString() {
    return kind + "(" + tick + ", previous " + previous + ")";
  }
}
