package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Appends runs to a job's history where its state lives, for runs no claim carried in time (slow jobs,
 * every-node jobs, triggers). Public only for Hazelcast's serialization.
 */
final class AppendRuns implements EntryProcessor<String, JobState, Object>, DataSerializable {

  private List<RunRecord> records;
  private int capacity;

  public AppendRuns() {
  }

  AppendRuns(List<RunRecord> records, int capacity) {
    this.records = records;
    this.capacity = capacity;
  }

  @Override
  public Object process(Map.Entry<String, JobState> entry) {
    JobState state = entry.getValue();
    if (state == null) {
      state = new JobState();
    }
    state.history().add(records, capacity);
    entry.setValue(state);
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    RunRecord.writeAll(out, records, capacity);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    capacity = in.readInt();
    records = RunRecord.readAll(in);
  }
}
