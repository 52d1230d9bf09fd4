package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;

/** What a claim decided: see {@link ClaimState#claim}. Public only for Hazelcast's serialization. */
public final class ClaimResult implements DataSerializable {

  /** The outcome of one claim. */
  public enum Kind {
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

  private Kind kind;
  private long tick;
  private long previous;

  public ClaimResult() {
  }

  ClaimResult(Kind kind, long tick, long previous) {
    this.kind = kind;
    this.tick = tick;
    this.previous = previous;
  }

  public Kind kind() {
    return kind;
  }

  /** The tick to run for WON; the claimed tick otherwise. */
  public long tick() {
    return tick;
  }

  /** The highest tick claimed before this claim ({@link ClaimState#NONE} if none): the gap up to the claimed tick was missed. */
  public long previous() {
    return previous;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeByte(kind.ordinal());
    out.writeLong(tick);
    out.writeLong(previous);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    kind = Kind.values()[in.readByte()];
    tick = in.readLong();
    previous = in.readLong();
  }

  @Override
  public String toString() {
    return kind + "(" + tick + ", previous " + previous + ")";
  }
}
