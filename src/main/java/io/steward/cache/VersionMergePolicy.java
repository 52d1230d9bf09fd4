package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * How a cache's entries merge after a split brain: the copy written later wins, by the entries' versions
 * ({@link CacheValue#newerThan}: each write is one more than the copy it replaced, then the writer's cluster time on a
 * tie), and a full tie keeps the copy already there. A delete is a write too: the tombstone it leaves beats an older
 * copy from the other side instead of letting it fill the key again.
 *
 * <p>What it replaces, and why: with {@code cluster.minimumSize} a put-if-absent policy kept the copy of the side
 * merged into and let the other side fill any key it lacked. Sides of equal size (two members with one paused, a
 * side of each below the minimum) merge in an order fixed by their addresses, so the side merged into could be the
 * stale one (campaign seed 100: an older value read after the merge), and a delete made on the side merged into,
 * after the split or between the join and the arrival of the other side's merge entries, was undone by the other
 * side's copy (campaign seed 88). Without the minimum, Hazelcast's latest-update policy compared last-update times
 * in whole seconds.
 *
 * <p>Set by {@link MapConfigs#of}. Public, stateless, with a no-argument constructor, as Hazelcast requires of a merge
 * policy named in a map's configuration.
 */
public final class VersionMergePolicy<V, T extends MergingValue<V>> implements SplitBrainMergePolicy<V, T, Object> {

  private static final long serialVersionUID = 1L;

  public VersionMergePolicy() {
  }

  @Override
  public Object merge(T merging, T existing) {
    if (existing == null) {
      return merging == null ? null : merging.getRawValue();
    }
    if (merging == null) {
      return existing.getRawValue();
    }
    CacheValue m = (CacheValue) merging.getDeserializedValue();
    CacheValue e = (CacheValue) existing.getDeserializedValue();
    return m.newerThan(e) ? merging.getRawValue() : existing.getRawValue();
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
