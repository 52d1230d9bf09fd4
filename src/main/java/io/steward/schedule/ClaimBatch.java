package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Several claims in one operation ({@code submitToKeys}): each key gets its own {@link ClaimTick}. Used only while
 * this member is the cluster's only data member: Hazelcast backs a multi-key operation up asynchronously, never
 * waiting for the backup, so with other members each claim is its own confirmed operation ({@link ScheduleNode}).
 * Public only for Hazelcast's serialization.
 */
final class ClaimBatch implements EntryProcessor<String, JobState, long[]>, DataSerializable {

  /** One job's claim and the runs that ride with it. */
  record Item(JobState.Claim claim, List<RunRecord> records) {
  }

  private Map<String, Item> items;
  private int capacity;

  public ClaimBatch() {
  }

  ClaimBatch(Map<String, Item> items, int capacity) {
    this.items = items;
    this.capacity = capacity;
  }

  @Override
  public long[] process(Map.Entry<String, JobState> entry) {
    Item item = items.get(entry.getKey());
    return ClaimTick.apply(entry, item.claim(), item.records(), capacity);
  }

  @Override
  public EntryProcessor<String, JobState, long[]> getBackupProcessor() {
    // Replays each key's claim; a replay that changes nothing (a lost claim) is harmless.
    return this;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(capacity);
    out.writeInt(items.size());
    for (Map.Entry<String, Item> e : items.entrySet()) {
      out.writeString(e.getKey());
      new ClaimTick(e.getValue().claim(), e.getValue().records(), capacity).writeData(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    capacity = in.readInt();
    int n = in.readInt();
    items = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      String key = in.readString();
      ClaimTick tick = new ClaimTick();
      tick.readData(in);
      items.put(key, new Item(tick.claim(), tick.records()));
    }
  }
}
