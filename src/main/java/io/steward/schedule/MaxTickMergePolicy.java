package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * After a split brain heals, the claim state with the higher claimed tick wins, so the high-water mark never
 * moves backwards (a latest-update policy could pick a stale copy written by a node that was isolated).
 * Public only for Hazelcast, which instantiates it by class name.
 */
public final class MaxTickMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

  public MaxTickMergePolicy() {
  }

  @Override
  public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    Object a = merging.getDeserializedValue();
    Object b = existing.getDeserializedValue();
    if (a instanceof ClaimState ma && b instanceof ClaimState mb) {
      return ma.lastTick() > mb.lastTick() ? merging.getRawValue() : existing.getRawValue();
    }
    return existing.getRawValue();
  }

  @Override
  public void writeData(ObjectDataOutput out) {
    // stateless
  }

  @Override
  public void readData(ObjectDataInput in) {
    // stateless
  }
}
