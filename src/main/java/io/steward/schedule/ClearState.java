package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * A job was deleted: its state loses its run in progress, its queue and its history, but keeps the highest tick
 * claimed. Removing the entry instead let a node that still held the job (it had not heard of the delete yet, or
 * placement was moving) claim a tick already won and fired elsewhere against no state at all, and fire it a second
 * time (CI seed 33535, {@code no-tick-fired-twice}). A job created again under the name counts its ticks from its
 * new definition, after the kept tick. Deterministic, so the backup replays it. Public only for Hazelcast's
 * serialization.
 */
public final class ClearState implements EntryProcessor<String, JobState, Object>, DataSerializable {

  private long now;

  public ClearState() {
  }

  ClearState(long now) {
    this.now = now;
  }

  @Override
  public Object process(Map.Entry<String, JobState> entry) {
    JobState state = entry.getValue();
    if (state == null) {
      return null;
    }
    JobState kept = new JobState();
    kept.lastTick = state.lastTick;
    kept.updatedAt = Math.max(state.updatedAt, now);
    entry.setValue(kept);
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(now);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    now = in.readLong();
  }
}
