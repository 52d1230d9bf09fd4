package io.steward.cache;

import com.hazelcast.spi.merge.MergingLastUpdateTime;
import com.hazelcast.spi.merge.MergingValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The caches' merge policy without split-brain protection, on hand-made merging values (the real merge: CacheSplitBrainTest). */
class CacheMergePoliciesTest {

  private interface Copy extends MergingValue<Object>, MergingLastUpdateTime {
  }

  private static Copy copy(String value, long lastUpdate) {
    return new Copy() {
      @Override
      public Object getRawValue() {
        return value;
      }

      @Override
      public Object getDeserializedValue() {
        return value;
      }

      @Override
      public long getLastUpdateTime() {
        return lastUpdate;
      }
    };
  }

  @Test
  void the_copy_updated_later_wins_and_a_tie_goes_to_the_copy_already_there() {
    LatestUpdateMergePolicy<Object, Copy> policy = new LatestUpdateMergePolicy<>();
    assertThat(policy.merge(copy("smaller", 2_000), copy("larger", 1_000))).isEqualTo("smaller");
    assertThat(policy.merge(copy("smaller", 1_000), copy("larger", 2_000))).isEqualTo("larger");
    assertThat(policy.merge(copy("smaller", 1_000), copy("larger", 1_000))).as("a tie").isEqualTo("larger");
    assertThat(policy.merge(copy("only-smaller", 1_000), null)).isEqualTo("only-smaller");
    assertThat(policy.merge(null, copy("only-larger", 1_000))).isEqualTo("only-larger");
  }
}
