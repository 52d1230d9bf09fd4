package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Marks a deleted job's state where it lives ({@link JobState#bury}), in the same step for every later claim: from
 * then on a claim by a node that still holds the job at its old version is lost. With {@code forget}, removes the
 * state instead if it is still that of the deleted job (nobody claimed for a job created again since): sent when the
 * job's tombstone is purged. Hazelcast creates it by reflection, so it needs no public class.
 */
final class BuryState implements EntryProcessor<String, JobState, Boolean>, DataSerializable {

  private long version;
  private long now;
  private boolean forget;

  public BuryState() {
  }

  private BuryState(long version, long now, boolean forget) {
    this.version = version;
    this.now = now;
    this.forget = forget;
  }

  static BuryState bury(long version, long now) {
    return new BuryState(version, now, false);
  }

  static BuryState forget(long version) {
    return new BuryState(version, 0, true);
  }

  @Override
  public Boolean process(Map.Entry<String, JobState> entry) {
    JobState state = entry.getValue();
    if (forget) {
      if (state != null && state.buriedVersion() != JobState.NONE && state.buriedVersion() <= version
          && state.lastTick() == JobState.NONE) {
        entry.setValue(null);
        return true;
      }
      return false;
    }
    if (state == null) {
      state = new JobState();
    }
    state.bury(version, now);
    entry.setValue(state);
    return true;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(version);
    out.writeLong(now);
    out.writeBoolean(forget);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    version = in.readLong();
    now = in.readLong();
    forget = in.readBoolean();
  }
}
