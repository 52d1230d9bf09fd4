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
   * tombstone too, and the merging copy fills a key that side lacks; a key both sides wrote differently since they
   * parted is counted ({@code steward_cache_merge_conflicts}), the same copy, or one that only adds writes to the
   * other, is not.
   */
  @Test
  void with_minimum_size_the_copy_already_there_stays_and_copies_written_differently_are_counted() {
    MajorityMergePolicy<Object, MergingValue<Object>> majority = new MajorityMergePolicy<>();
    CacheValue before = written("\"before\"", 1, 1_000);
    CacheValue after = CacheValue.replacing(before, "\"after\"", 2_000);
    CacheValue sibling = CacheValue.replacing(before, "\"sibling\"", 2_500);
    long counted = MajorityMergePolicy.conflicts();
    assertThat(majority.merge(copy(before), copy(before))).isSameAs(before);
    assertThat(MajorityMergePolicy.conflicts()).as("the same copy on both sides").isEqualTo(counted);
    assertThat(majority.merge(copy(before), copy(after))).isSameAs(after);
    assertThat(MajorityMergePolicy.conflicts()).as("the kept copy only adds writes to the other").isEqualTo(counted);
    assertThat(majority.merge(copy(sibling), copy(after))).as("both sides wrote since they parted: the side merged "
      + "into keeps its copy").isSameAs(after);
    assertThat(MajorityMergePolicy.conflicts()).as("a conflict").isEqualTo(counted + 1);
    assertThat(majority.merge(copy(after), copy(sibling))).as("whichever copy is newer").isSameAs(sibling);
    assertThat(MajorityMergePolicy.conflicts()).isEqualTo(counted + 2);
    CacheValue deleted = CacheValue.tombstone(before, 1_500);
    assertThat(majority.merge(copy(before), copy(deleted))).as("a delete on the side merged into stays").isSameAs(deleted);
    assertThat(majority.merge(copy(before), null)).as("a key only the merging side has").isSameAs(before);
    assertThat(majority.merge(null, copy(before))).isSameAs(before);
    assertThat(MajorityMergePolicy.conflicts()).isEqualTo(counted + 2);
  }

  /**
   * The open loss of docs/cache.md ("a removed member's copy, merged into after a second fault", campaign seed 2032's
   * shape): a member X removed by a side that kept the minimum holds its copy from before; that side acknowledges
   * writes of the key; a second fault leaves the members holding them below the minimum, and they merge into X. X's
   * copy was kept, and the acknowledged writes were lost. A copy that only adds writes to the one already there
   * (the merging side wrote on top of X's copy; X wrote nothing since) now wins, with no conflict: nothing X's copy
   * holds is lost with it.
   */
  @Test
  void with_minimum_size_a_copy_that_only_adds_writes_to_the_stale_one_already_there_wins() {
    MajorityMergePolicy<Object, MergingValue<Object>> majority = new MajorityMergePolicy<>();
    CacheValue stale = CacheValue.next(null, "6", "op-6", 256, 1_000);
    CacheValue counter = stale;
    for (int i = 7; i <= 19; i++) {
      counter = CacheValue.next(counter, String.valueOf(i), "op-" + i, 256, 1_000 + i);
    }
    long counted = MajorityMergePolicy.conflicts();
    assertThat(majority.merge(copy(counter), copy(stale))).as("thirteen acknowledged increments on top of X's copy")
      .isSameAs(counter);
    assertThat(MajorityMergePolicy.conflicts()).isEqualTo(counted);
    CacheValue deletedSince = CacheValue.tombstone(stale, 2_000);
    assertThat(majority.merge(copy(deletedSince), copy(stale))).as("a delete acknowledged while X was away")
      .isSameAs(deletedSince);
    CacheValue staleWritten = CacheValue.next(stale, "7", "op-x", 256, 1_500);
    assertThat(majority.merge(copy(counter), copy(staleWritten))).as("X's side wrote too (each write answered 504 "
      + "there): a conflict, the copy already there stays").isSameAs(staleWritten);
    assertThat(MajorityMergePolicy.conflicts()).isEqualTo(counted + 1);
  }

  /** Descent is known for the last {@value CacheValue#LINEAGE} writes; beyond them the copy already there stays. */
  @Test
  void with_minimum_size_descent_is_known_for_the_last_writes_only() {
    MajorityMergePolicy<Object, MergingValue<Object>> majority = new MajorityMergePolicy<>();
    CacheValue stale = written("0", 1, 1_000);
    CacheValue within = stale;
    for (int i = 0; i < CacheValue.LINEAGE - 1; i++) {
      within = CacheValue.replacing(within, String.valueOf(i), 2_000 + i);
    }
    assertThat(within.descendsFrom(stale)).isTrue();
    assertThat(majority.merge(copy(within), copy(stale))).isSameAs(within);
    CacheValue beyond = CacheValue.replacing(within, "\"one more\"", 9_000);
    assertThat(beyond.descendsFrom(stale)).isFalse();
    assertThat(majority.merge(copy(beyond), copy(stale))).isSameAs(stale);
    assertThat(stale.descendsFrom(within)).as("an ancestor does not descend from its descendant").isFalse();
    assertThat(within.descendsFrom(within)).as("nor a copy from itself").isFalse();
    assertThat(CacheValue.of("1").descendsFrom(CacheValue.of("1"))).as("two unrelated copies").isFalse();
  }

  @Test
  void the_lineage_travels_with_the_value_and_a_row_written_before_it_reads_as_unknown_descent() throws Exception {
    CacheValue before = written("\"before\"", 2, 1_000);
    CacheValue after = CacheValue.replacing(before, "\"after\"", 2_000);
    com.hazelcast.internal.serialization.InternalSerializationService ss =
      new com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder().build();
    CacheValue travelled = ss.toObject(ss.toData(after));
    assertThat(travelled.descendsFrom(before)).isTrue();
    assertThat(travelled.version()).isEqualTo(after.version());
    // A row persisted by a Steward without lineages: json, ops, version, stamp.
    com.hazelcast.internal.nio.BufferObjectDataOutput out = ss.createObjectDataOutput();
    out.writeString("\"old\"");
    out.writeLongArray(new long[0]);
    out.writeLong(3);
    out.writeLong(1_000);
    byte[] old = out.toByteArray();
    CacheValue read = new CacheValue();
    read.readData(ss.createObjectDataInput(old));
    assertThat(read.version()).isEqualTo(3);
    assertThat(CacheValue.replacing(read, "\"new\"", 2_000).descendsFrom(read)).as("unknown: no lineage").isFalse();
  }
}
