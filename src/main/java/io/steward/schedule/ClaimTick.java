package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Claims one tick of one job on the partition that owns it ({@link ClaimState#claim}). Deterministic (the
 * caller's {@code now} travels with it), so the synchronous backup replays it to the same result; a claim that
 * changed nothing is not replayed. Public only for Hazelcast's serialization.
 */
public final class ClaimTick implements EntryProcessor<String, ClaimState, ClaimResult>, DataSerializable {

  private ClaimState.Claim claim;
  private transient boolean changed = true;

  public ClaimTick() {
  }

  ClaimTick(ClaimState.Claim claim) {
    this.claim = claim;
  }

  @Override
  public ClaimResult process(Map.Entry<String, ClaimState> entry) {
    ClaimState state = entry.getValue();
    if (state == null) {
      state = new ClaimState();
    }
    ClaimResult result = state.claim(claim);
    changed = result.kind() != ClaimResult.Kind.LOST;
    if (changed) {
      entry.setValue(state);
    }
    return result;
  }

  @Override
  public EntryProcessor<String, ClaimState, ClaimResult> getBackupProcessor() {
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
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    claim = new ClaimState.Claim(in.readLong(), in.readString(), in.readLong(), in.readBoolean(),
      Overlap.values()[in.readByte()], in.readLong(), in.readInt());
  }
}
