package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Ends a run in the job's state ({@link JobState#finish}) so the next tick may start, with the runs recorded since
 * the last write; returns the next queued tick (now running on the same node) or {@link JobState#NONE}. Only
 * runs that wait for a reply or result and block the next tick (overlap skip or queue) need it. Public only for
 * Hazelcast's serialization.
 */
final class FinishRun implements EntryProcessor<String, JobState, Long>, DataSerializable {

  private long tick;
  private String node;
  private long now;
  private long nextRunUntil;
  private List<RunRecord> records;
  private int capacity;

  public FinishRun() {
  }

  FinishRun(long tick, String node, long now, long nextRunUntil, List<RunRecord> records, int capacity) {
    this.tick = tick;
    this.node = node;
    this.now = now;
    this.nextRunUntil = nextRunUntil;
    this.records = records;
    this.capacity = capacity;
  }

  @Override
  public Long process(Map.Entry<String, JobState> entry) {
    JobState state = entry.getValue();
    if (state == null) {
      return JobState.NONE; // deleted meanwhile
    }
    if (!records.isEmpty()) {
      state.history().add(records, capacity);
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
    RunRecord.writeAll(out, records, capacity);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    tick = in.readLong();
    node = in.readString();
    now = in.readLong();
    nextRunUntil = in.readLong();
    capacity = in.readInt();
    records = RunRecord.readAll(in);
  }
}
