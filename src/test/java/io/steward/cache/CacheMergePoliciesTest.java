package io.steward.cache;

import com.hazelcast.spi.merge.MergingValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The caches' merge policy on hand-made merging values (the real merge: CacheSplitBrainTest). */
class CacheMergePoliciesTest {

  private static final VersionMergePolicy<Object, MergingValue<Object>> POLICY = new VersionMergePolicy<>();

  private static MergingValue<Object> copy(CacheValue value) {
    return new MergingValue<>() {
      @Override
      public Object getRawValue() {
        return value;
      }

      @Override
      public Object getDeserializedValue() {
        return value;
      }
    };
  }

  private static Object merge(CacheValue merging, CacheValue existing) {
    return POLICY.merge(merging == null ? null : copy(merging), existing == null ? null : copy(existing));
  }

  /** A key written {@code writes} times, the last at {@code stamp}. */
  private static CacheValue written(String json, int writes, long stamp) {
    CacheValue v = null;
    for (int i = 0; i < writes; i++) {
      v = CacheValue.replacing(v, json, stamp - writes + i + 1);
    }
    return v;
  }

  @Test
  void the_copy_with_more_writes_wins_then_the_later_one_and_a_full_tie_keeps_the_copy_already_there() {
    CacheValue before = written("\"before\"", 1, 1_000);
    CacheValue after = CacheValue.replacing(before, "\"after\"", 2_000);
    assertThat(merge(after, before)).as("the merging side wrote after the split").isSameAs(after);
    assertThat(merge(before, after)).as("campaign seed 100: the side merged into is the newer one, or not")
      .isSameAs(after);
    CacheValue many = written("10", 10, 1_000);
    CacheValue lateButOne = written("1", 1, 5_000);
    assertThat(merge(lateButOne, many)).as("a majority's ten increments, a minority's one written later").isSameAs(many);
    CacheValue sameVersionLater = CacheValue.replacing(before, "\"other\"", 2_001);
    assertThat(merge(sameVersionLater, after)).as("same version: the later stamp").isSameAs(sameVersionLater);
    CacheValue tie = CacheValue.replacing(before, "\"tie\"", 2_000);
    assertThat(merge(tie, after)).as("a full tie").isSameAs(after);
    assertThat(merge(before, null)).as("a key only the merging side has").isSameAs(before);
    assertThat(merge(null, before)).isSameAs(before);
  }

  @Test
  void a_delete_beats_the_older_copy_it_deleted_from_either_side_and_a_later_write_beats_the_delete() {
    CacheValue before = written("\"v122\"", 3, 1_000);
    CacheValue deleted = CacheValue.tombstone(before, 2_000);
    assertThat(merge(before, deleted)).as("campaign seed 88: the other side's pre-split copy arrives after the delete")
      .isSameAs(deleted);
    assertThat(merge(deleted, before)).as("the delete on the merging side").isSameAs(deleted);
    assertThat(merge(deleted, null)).as("a tombstone fills a key the side merged into lacks, hidden").isSameAs(deleted);
    CacheValue again = CacheValue.replacing(deleted, "\"again\"", 3_000);
    assertThat(merge(deleted, again)).isSameAs(again);
    assertThat(merge(again, deleted)).isSameAs(again);
  }

  /**
   * With {@code cluster.minimumSize}: the copy of the side merged into stays (the side that kept the minimum), a
   * tombstone too, and the merging copy only fills a key that side lacks; a key both sides wrote differently since
   * they parted is counted ({@code steward_cache_merge_conflicts}) whichever copy is newer, the same copy is not.
   */
  @Test
  void with_minimum_size_the_copy_already_there_stays_and_copies_written_differently_are_counted() {
    MajorityMergePolicy<Object, MergingValue<Object>> majority = new MajorityMergePolicy<>();
    CacheValue before = written("\"before\"", 1, 1_000);
    CacheValue after = CacheValue.replacing(before, "\"after\"", 2_000);
    long counted = MajorityMergePolicy.conflicts();
    assertThat(majority.merge(copy(before), copy(before))).isSameAs(before);
    assertThat(MajorityMergePolicy.conflicts()).as("the same copy on both sides").isEqualTo(counted);
    assertThat(majority.merge(copy(before), copy(after))).isSameAs(after);
    assertThat(MajorityMergePolicy.conflicts()).as("the kept copy is the newer one").isEqualTo(counted + 1);
    assertThat(majority.merge(copy(after), copy(before))).as("the side merged into keeps its copy").isSameAs(before);
    assertThat(MajorityMergePolicy.conflicts()).as("kept although the other had more writes").isEqualTo(counted + 2);
    CacheValue deleted = CacheValue.tombstone(before, 1_500);
    assertThat(majority.merge(copy(before), copy(deleted))).as("a delete on the side merged into stays").isSameAs(deleted);
    assertThat(majority.merge(copy(before), null)).as("a key only the merging side has").isSameAs(before);
    assertThat(majority.merge(null, copy(before))).isSameAs(before);
    assertThat(MajorityMergePolicy.conflicts()).isEqualTo(counted + 3);
  }
}
