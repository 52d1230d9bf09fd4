package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Ends a run in the claim state ({@link ClaimState#finish}) so the next tick may start; returns the next queued
 * tick (now running on the same node) or {@link ClaimState#NONE}. Public only for Hazelcast's serialization.
 */
public final class FinishRun implements EntryProcessor<String, ClaimState, Long>, DataSerializable {

  private long tick;
  private String node;
  private long now;
  private long nextRunUntil;

  public FinishRun() {
  }

  FinishRun(long tick, String node, long now, long nextRunUntil) {
    this.tick = tick;
    this.node = node;
    this.now = now;
    this.nextRunUntil = nextRunUntil;
  }

  @Override
  public Long process(Map.Entry<String, ClaimState> entry) {
    ClaimState state = entry.getValue();
    if (state == null) {
      return ClaimState.NONE;
    }
    long next = state.finish(tick, node, now, nextRunUntil);
    entry.setValue(state);
    return next;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(tick);
    out.writeString(node);
    out.writeLong(now);
    out.writeLong(nextRunUntil);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    tick = in.readLong();
    node = in.readString();
    now = in.readLong();
    nextRunUntil = in.readLong();
  }
}
