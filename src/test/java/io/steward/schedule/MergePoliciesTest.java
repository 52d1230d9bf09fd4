package io.steward.schedule;

import com.hazelcast.spi.merge.MergingValue;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The merge policies of the schedule's maps after a split brain, on hand-made merging values (no cluster), in both
 * directions: Hazelcast merges equal-sized sides in an order fixed by the members' addresses, so the stale copy can
 * be the merging one or the one already there. Also the tombstone a delete leaves, which the jobs policy compares.
 */
class MergePoliciesTest {

  private static final long T0 = 1_700_000_000_000L;

  /** A merging value as Hazelcast hands it over: the raw value is the object itself here. */
  private static <V> MergingValue<Object> value(V v) {
    return new MergingValue<>() {
      @Override
      public Object getDeserializedValue() {
        return v;
      }

      @Override
      public Object getRawValue() {
        return v;
      }
    };
  }

  private static JobState state(long lastTick, long updatedAt) {
    JobState s = new JobState();
    s.lastTick = lastTick;
    s.updatedAt = updatedAt;
    return s;
  }

  @Test
  void the_state_with_the_higher_claimed_tick_wins_whichever_side_is_merged_into_the_other() {
    StateMergePolicy policy = new StateMergePolicy();
    JobState fresh = state(T0 + 40_000, T0 + 40_000);
    JobState stale = state(T0, T0 + 41_000); // touched later (a finish), but claimed less far
    assertThat(policy.merge(value(stale), value(fresh))).isSameAs(fresh);
    assertThat(policy.merge(value(fresh), value(stale))).isSameAs(fresh);
  }

  @Test
  void a_state_that_knows_of_a_later_delete_wins_over_the_other_sides_higher_claims() {
    StateMergePolicy policy = new StateMergePolicy();
    JobState deleted = state(T0, T0);
    deleted.bury(T0 + 10, T0 + 10);
    JobState firing = state(T0 + 40_000, T0 + 40_000); // the side that did not see the delete claimed on
    assertThat(policy.merge(value(firing), value(deleted))).isSameAs(deleted);
    assertThat(policy.merge(value(deleted), value(firing))).isSameAs(deleted);
  }

  @Test
  void on_equal_claimed_ticks_the_state_updated_last_wins_and_a_state_only_one_side_has_is_kept() {
    StateMergePolicy policy = new StateMergePolicy();
    JobState older = state(T0, T0);
    JobState newer = state(T0, T0 + 5);
    assertThat(policy.merge(value(older), value(newer))).isSameAs(newer);
    assertThat(policy.merge(value(newer), value(older))).isSameAs(newer);
    JobState only = state(T0, T0);
    assertThat(policy.merge(value(only), null)).isSameAs(only);
    JobState never = state(JobState.NONE, 0);
    assertThat(policy.merge(value(never), value(older))).isSameAs(older);
    assertThat(policy.merge(value(older), value(never))).isSameAs(older);
  }

  private static String stored(long version) {
    return new JsonObject().put(JobRecord.SPEC, new JsonObject().put("name", "j")).put("version", version)
      .put("createdAt", T0).put("updatedAt", version).put("since", T0).put("paused", false).encode();
  }

  @Test
  void a_delete_on_one_side_wins_over_the_older_job_the_other_side_kept_in_both_directions() {
    JobsMergePolicy policy = new JobsMergePolicy();
    String job = stored(T0);
    String tombstone = JobRecord.tombstone(T0 + 20_000, T0 + 20_000);
    assertThat(policy.merge(value(job), value(tombstone))).isEqualTo(tombstone);
    assertThat(policy.merge(value(tombstone), value(job))).isEqualTo(tombstone);
  }

  @Test
  void a_job_put_again_after_its_delete_wins_over_the_tombstone_and_the_newer_version_of_a_job_wins() {
    JobsMergePolicy policy = new JobsMergePolicy();
    String tombstone = JobRecord.tombstone(T0 + 20_000, T0 + 20_000);
    String again = stored(T0 + 30_000);
    assertThat(policy.merge(value(tombstone), value(again))).isEqualTo(again);
    assertThat(policy.merge(value(again), value(tombstone))).isEqualTo(again);
    String older = stored(T0);
    assertThat(policy.merge(value(older), value(again))).isEqualTo(again);
    assertThat(policy.merge(value(again), value(older))).isEqualTo(again);
  }

  @Test
  void on_equal_versions_the_tombstone_wins_and_the_answer_does_not_depend_on_the_direction() {
    JobsMergePolicy policy = new JobsMergePolicy();
    String job = stored(T0);
    String tombstone = JobRecord.tombstone(T0, T0);
    assertThat(policy.merge(value(job), value(tombstone))).isEqualTo(tombstone);
    assertThat(policy.merge(value(tombstone), value(job))).isEqualTo(tombstone);
    String a = stored(T0);
    String b = new JsonObject(stored(T0)).put("paused", true).encode();
    assertThat(policy.merge(value(a), value(b))).isEqualTo(policy.merge(value(b), value(a)));
  }

  @Test
  void unreadable_text_never_wins_a_merge() {
    JobsMergePolicy policy = new JobsMergePolicy();
    String job = stored(T0);
    assertThat(policy.merge(value("not json"), value(job))).isEqualTo(job);
    assertThat(policy.merge(value(job), value("not json"))).isEqualTo(job);
  }

  /** Runs an entry processor on a plain map entry, the way Hazelcast runs it on the key's owner. */
  private static String run(JobUpdate update, Map.Entry<String, String> entry) {
    return update.process(entry);
  }

  @Test
  void a_delete_leaves_a_tombstone_above_the_job_version_that_readers_and_updates_treat_as_absent() {
    Map.Entry<String, String> entry = new AbstractMap.SimpleEntry<>("j", stored(T0 + 100_000));
    String deleted = run(JobUpdate.delete(T0 + 50_000, Long.MIN_VALUE), entry); // the deleting node's clock is behind
    assertThat(deleted).startsWith("deleted|");
    assertThat(JobRecord.isTombstone(entry.getValue())).isTrue();
    assertThat(JobRecord.storedVersion(entry.getValue())).isEqualTo(T0 + 100_001);
    assertThat(run(JobUpdate.delete(T0 + 60_000, T0 + 100_000), entry)).as("deleting twice: not found").isNull();
    assertThat(run(JobUpdate.pause(T0 + 60_000), entry)).as("pausing a deleted job: not found").isNull();
    assertThat(run(JobUpdate.resume(T0 + 60_000), entry)).as("resuming a deleted job: not found").isNull();

    JobSpec spec = JobSpec.parse(new JsonObject().put("name", "j").put("every", "1s")
      .put("action", new JsonObject().put("type", "publish").put("address", "a")));
    String created = run(JobUpdate.put(spec, T0 + 70_000), entry);
    assertThat(created).startsWith("created|");
    assertThat(JobRecord.storedVersion(entry.getValue())).as("above the tombstone").isEqualTo(T0 + 100_002);
    assertThat(JobRecord.fromStored(entry.getValue()).createdAt()).isEqualTo(T0 + 70_000);
  }

  @Test
  void a_delete_of_a_job_this_side_lost_but_the_node_still_knows_leaves_a_tombstone_above_the_known_version() {
    Map.Entry<String, String> lost = new AbstractMap.SimpleEntry<>("j", null);
    assertThat(run(JobUpdate.delete(T0, T0 + 500), lost)).startsWith("deleted|");
    assertThat(JobRecord.storedVersion(lost.getValue())).isEqualTo(T0 + 501);
    assertThat(new JobsMergePolicy().merge(value(stored(T0 + 500)), value(lost.getValue()))).isEqualTo(lost.getValue());
    Map.Entry<String, String> unknown = new AbstractMap.SimpleEntry<>("k", null);
    assertThat(run(JobUpdate.delete(T0, Long.MIN_VALUE), unknown)).as("a name nobody knows: not found").isNull();
    assertThat(unknown.getValue()).isNull();
  }

  @Test
  void a_tombstone_is_purged_only_once_its_retention_has_passed_and_a_live_job_never_is() {
    Map.Entry<String, String> entry = new AbstractMap.SimpleEntry<>("j", JobRecord.tombstone(T0 + 5, T0));
    assertThat(run(JobUpdate.purge(T0 - 1), entry)).isNull();
    assertThat(entry.getValue()).isNotNull();
    assertThat(run(JobUpdate.purge(T0), entry)).isEqualTo("purged|");
    assertThat(entry.getValue()).isNull();
    Map.Entry<String, String> live = new AbstractMap.SimpleEntry<>("k", stored(T0));
    assertThat(run(JobUpdate.purge(T0 + 1_000_000), live)).isNull();
    assertThat(live.getValue()).isEqualTo(stored(T0));
  }
}
