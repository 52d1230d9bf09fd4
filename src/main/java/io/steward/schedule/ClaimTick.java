package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Claims one tick of one job where the job's state lives ({@link JobState#claim}), appending first the runs this
 * node recorded for the job since its last write (so a job that fires often writes its history with its claims,
 * in one operation per tick). Deterministic (the caller's {@code now} travels with it), so the synchronous
 * backup replays it to the same result; a claim that changed nothing is not replayed. Answers
 * {@link ClaimResult#encode()}. Public only for Hazelcast's serialization.
 */
final class ClaimTick implements EntryProcessor<String, JobState, long[]>, DataSerializable {

  private JobState.Claim claim;
  private List<RunRecord> records;
  private int capacity;
  private transient boolean changed = true;

  public ClaimTick() {
  }

  ClaimTick(JobState.Claim claim, List<RunRecord> records, int capacity) {
    this.claim = claim;
    this.records = records;
    this.capacity = capacity;
  }

  @Override
  public long[] process(Map.Entry<String, JobState> entry) {
    long[] result = apply(entry, claim, records, capacity);
    changed = result[0] != ClaimResult.Kind.LOST.ordinal() || !records.isEmpty();
    return result;
  }

  /** Appends the runs, then claims: the step both this processor and {@link ClaimBatch} take for one key. */
  static long[] apply(Map.Entry<String, JobState> entry, JobState.Claim claim, List<RunRecord> records, int capacity) {
    JobState state = entry.getValue();
    if (state == null) {
      state = new JobState();
    }
    if (!records.isEmpty()) {
      state.history().add(records, capacity);
    }
    ClaimResult result = state.claim(claim);
    if (result.kind() != ClaimResult.Kind.LOST || !records.isEmpty()) {
      entry.setValue(state);
    }
    return result.encode();
  }

  JobState.Claim claim() {
    return claim;
  }

  List<RunRecord> records() {
    return records;
  }

  @Override
  public EntryProcessor<String, JobState, long[]> getBackupProcessor() {
    return changed ? this : null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(claim.tick());
    out.writeString(claim.node());
    out.writeLong(claim.now());
    out.writeBoolean(claim.miss());
    out.writeByte(claim.overlap().ordinal());
    out.writeLong(claim.runUntil());
    out.writeInt(claim.queueLimit());
    out.writeLong(claim.version());
    RunRecord.writeAll(out, records, capacity);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    claim = new JobState.Claim(in.readLong(), in.readString(), in.readLong(), in.readBoolean(),
      Overlap.values()[in.readByte()], in.readLong(), in.readInt(), in.readLong());
    capacity = in.readInt();
    records = RunRecord.readAll(in);
  }
}
