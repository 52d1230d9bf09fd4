package io.steward.tasks;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingLastUpdateTime;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.vertx.core.json.JsonObject;

/**
 * How the durable task records ({@code steward.tasks.records}) heal after a split brain: of two copies of a task's
 * record, the one taken over more often wins ({@code takeovers}: a survivor's claim moves a task forward, and a node
 * that was cut off only ever holds the copy from before it), then a final record over a live one, then the one
 * updated last. Hazelcast merges a side into the other in an order fixed by the members' addresses, and a node that
 * was cut off may write its stale copy in the moment between rejoining and the merge of the other side's entries:
 * with the latest update winning, that write beat the survivor's claim and its record (takeovers, possibleDuplicate)
 * was lost (fault campaign, seed 100 replayed). Before all that, a refused submit's tombstone (state {@code refused})
 * beats every live copy and loses only to a final record (the task ran to its end on the other side). Records are JSON
 * text; a value that is not wins nothing.
 *
 * <p>Configured by {@link TasksModule#configureHazelcast}; public, stateless, with a no-argument constructor, as
 * Hazelcast requires of a merge policy on every member.
 */
public final class RecordsMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

  private static final long serialVersionUID = 1L;

  @Override
  public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
    if (existing == null) {
      return merging.getRawValue();
    }
    JsonObject in = parse(merging.getDeserializedValue());
    JsonObject here = parse(existing.getDeserializedValue());
    if (in == null) {
      return existing.getRawValue();
    }
    if (here == null) {
      return merging.getRawValue();
    }
    return newer(in, updated(merging), here, updated(existing)) ? merging.getRawValue() : existing.getRawValue();
  }

  /** Whether {@code merging} (updated at {@code mergingAt}) should replace {@code existing}. */
  static boolean newer(JsonObject merging, long mergingAt, JsonObject existing, long existingAt) {
    boolean r1 = Processors.refused(merging);
    boolean r2 = Processors.refused(existing);
    if (r1 != r2) {
      // A refused submit's tombstone beats every live copy, however often it was taken over: one that a member
      // applied late on its own side of a split (campaign seed 1003). A record of how the task ended there beats it.
      return r1 ? !isFinal(existing) : isFinal(merging);
    }
    int t1 = merging.getInteger("takeovers", 0);
    int t2 = existing.getInteger("takeovers", 0);
    if (t1 != t2) {
      return t1 > t2;
    }
    boolean f1 = isFinal(merging);
    boolean f2 = isFinal(existing);
    if (f1 != f2) {
      return f1;
    }
    return mergingAt > existingAt;
  }

  private static boolean isFinal(JsonObject rec) {
    try {
      return TaskState.of(rec.getString("state")).isFinal();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static long updated(MergingValue<Object> v) {
    return v instanceof MergingLastUpdateTime t ? t.getLastUpdateTime() : 0;
  }

  private static JsonObject parse(Object value) {
    if (!(value instanceof String s)) {
      return null;
    }
    try {
      return new JsonObject(s);
    } catch (RuntimeException e) {
      return null;
    }
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
