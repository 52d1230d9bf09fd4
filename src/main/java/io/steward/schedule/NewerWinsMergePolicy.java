package io.steward.schedule;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * A split-brain merge policy that keeps the newer of two copies by a rule of the value's own ({@link #newer}),
 * whichever side Hazelcast merges into the other. A copy of another type than {@code T} loses to one of type
 * {@code T}. Subclasses are public, stateless and have a no-argument constructor, as Hazelcast requires of a
 * merge policy named in a map's configuration on every member.
 */
public abstract class NewerWinsMergePolicy<T> implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

  private static final long serialVersionUID = 1L;
  private final Class<T> type;

  protected NewerWinsMergePolicy(Class<T> type) {
    this.type = type;
  }

  /** Whether {@code merging} should replace {@code existing}. */
  abstract boolean newerOf(T merging, T existing);

  @Override
  public final Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    Object in = merging.getDeserializedValue();
    Object here = existing.getDeserializedValue();
    if (!type.isInstance(in)) {
      return existing.getRawValue();
    }
    if (!type.isInstance(here)) {
      return merging.getRawValue();
    }
    return newerOf(type.cast(in), type.cast(here)) ? merging.getRawValue() : existing.getRawValue();
  }

  @Override
  public final void writeData(ObjectDataOutput out) {
    // no state
  }

  @Override
  public final void readData(ObjectDataInput in) {
    // no state
  }
}
