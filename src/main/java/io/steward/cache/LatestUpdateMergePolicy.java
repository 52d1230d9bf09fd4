package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingLastUpdateTime;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * How a cache's entries merge after a split brain without {@code cluster.minimumSize}: the copy updated last wins,
 * and on a tie the copy already there, which is the larger side's (Hazelcast merges the smaller side into the larger
 * one). Hazelcast's own {@code LatestUpdateMergePolicy} gives ties to the merging copy, and Hazelcast keeps
 * last-update times in whole seconds: both sides of a busy key are usually last written in the same second before
 * the merge, so the smaller side's copy won, and a side that held no copy of a counter, and started it again from
 * nothing, replaced the counter with every increment acknowledged before the split (campaign seed 104).
 *
 * <p>Set by {@link MapConfigs#of} where cluster.xml gives the caches Hazelcast's latest-update policy. Public,
 * stateless, with a no-argument constructor, as Hazelcast requires of a merge policy named in a map's configuration.
 */
public final class LatestUpdateMergePolicy<V, T extends MergingValue<V> & MergingLastUpdateTime>
    implements SplitBrainMergePolicy<V, T, Object> {

  private static final long serialVersionUID = 1L;

  public LatestUpdateMergePolicy() {
  }

  @Override
  public Object merge(T merging, T existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    if (merging == null) {
      return existing.getRawValue();
    }
    return merging.getLastUpdateTime() > existing.getLastUpdateTime() ? merging.getRawValue() : existing.getRawValue();
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
