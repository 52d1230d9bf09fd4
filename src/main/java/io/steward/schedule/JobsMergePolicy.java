package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * How the jobs map ({@code steward.schedule.jobs}) heals after a split brain: of the two copies of a job, the one
 * with the higher version wins, whichever side Hazelcast merges into the other. A deleted job is a tombstone with
 * a version of its own ({@link JobRecord#tombstone}), so a delete made on one side outlives the older copy the other
 * side kept, and a job put again after its delete outlives the tombstone. On equal versions a tombstone wins over a
 * job, then the larger stored text, so both directions of a merge give the same answer. Hazelcast's last-update
 * time is not used: it cannot see a delete, and equal-sized sides merge in an order fixed by addresses.
 *
 * <p>Configured by {@link ScheduleModule#configureHazelcast}; public, stateless and {@code DataSerializable}, as
 * Hazelcast requires of a merge policy on every member.
 */
public final class JobsMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

  private static final long serialVersionUID = 1L;

  @Override
  public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    Object in = merging.getDeserializedValue();
    Object here = existing.getDeserializedValue();
    if (!(in instanceof String a)) {
      return existing.getRawValue();
    }
    if (!(here instanceof String b)) {
      return merging.getRawValue();
    }
    return newer(a, b) ? merging.getRawValue() : existing.getRawValue();
  }

  /** Whether stored job text {@code merging} should replace {@code existing}. Unreadable text loses. */
  static boolean newer(String merging, String existing) {
    long va;
    long vb;
    try {
      vb = JobRecord.storedVersion(existing);
    } catch (RuntimeException e) {
      return true;
    }
    try {
      va = JobRecord.storedVersion(merging);
    } catch (RuntimeException e) {
      return false;
    }
    if (va != vb) {
      return va > vb;
    }
    boolean ta = JobRecord.isTombstone(merging);
    boolean tb = JobRecord.isTombstone(existing);
    if (ta != tb) {
      return ta;
    }
    return merging.compareTo(existing) > 0;
  }

  @Override
  public void writeData(ObjectDataOutput out) {
    // no state
  }

  @Override
  public void readData(ObjectDataInput in) {
    // no state
  }
}
