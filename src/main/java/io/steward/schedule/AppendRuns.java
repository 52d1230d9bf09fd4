package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Appends runs to a job's history where it lives. Public only for Hazelcast's serialization. */
public final class AppendRuns implements EntryProcessor<String, RunHistory, Object>, DataSerializable {

  private List<RunRecord> records;
  private int capacity;

  public AppendRuns() {
  }

  AppendRuns(List<RunRecord> records, int capacity) {
    this.records = records;
    this.capacity = capacity;
  }

  @Override
  public Object process(Map.Entry<String, RunHistory> entry) {
    RunHistory h = entry.getValue();
    if (h == null) {
      h = new RunHistory();
    }
    h.add(records, capacity);
    entry.setValue(h);
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(capacity);
    out.writeInt(records.size());
    for (RunRecord r : records) {
      r.write(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    capacity = in.readInt();
    int n = in.readInt();
    records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      records.add(RunRecord.read(in));
    }
  }
}
