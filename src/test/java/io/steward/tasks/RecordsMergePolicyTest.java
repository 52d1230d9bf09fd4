package io.steward.tasks;

import com.hazelcast.config.Config;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault campaign, seed 100 replayed: node1 was cut off, node3 took its task over (takeovers 1) and ran it; node1's
 * side and node2's merged with node1's cluster as the target, and node1 wrote its stale copy (running, takeovers 0)
 * between the join and the merge of node2's entries. With the latest update winning, node1's copy beat the claim, node1
 * ran the task again, and the final record said takeovers 0 and no possible duplicate.
 */
class RecordsMergePolicyTest {

  private static JsonObject rec(String node, String state, int takeovers) {
    JsonObject r = new JsonObject().put("id", "0123456789ab-1").put("node", node).put("state", state);
    return takeovers > 0 ? r.put("takeovers", takeovers).put("possibleDuplicate", true) : r;
  }

  @Test
  void a_survivors_takeover_wins_over_a_later_write_of_the_cut_off_nodes_stale_copy() {
    JsonObject claimed = rec("node3", "running", 1);
    JsonObject stale = rec("node1", "running", 0);
    assertThat(RecordsMergePolicy.newer(claimed, 1_000, stale, 2_000)).as("the claim merging into the stale side").isTrue();
    assertThat(RecordsMergePolicy.newer(stale, 2_000, claimed, 1_000)).as("the stale copy merging into the claim's side")
      .isFalse();
    // Even the cut-off node's final record loses to the survivor's claim (which runs the task and reports it).
    assertThat(RecordsMergePolicy.newer(rec("node1", "succeeded", 0), 3_000, claimed, 1_000)).isFalse();
  }

  @Test
  void with_as_many_takeovers_a_final_record_wins_then_the_latest_update() {
    assertThat(RecordsMergePolicy.newer(rec("a", "succeeded", 1), 1_000, rec("a", "running", 1), 2_000)).isTrue();
    assertThat(RecordsMergePolicy.newer(rec("a", "running", 0), 2_000, rec("a", "failed", 0), 1_000)).isFalse();
    assertThat(RecordsMergePolicy.newer(rec("a", "running", 0), 2_000, rec("a", "pending", 0), 1_000)).isTrue();
    assertThat(RecordsMergePolicy.newer(rec("a", "running", 0), 1_000, rec("a", "pending", 0), 2_000)).isFalse();
  }

  /** The record a refused submit's take-back leaves (its submitter's name, never taken over). */
  private static JsonObject tombstone(String node) {
    return new JsonObject().put("id", "0123456789ab-1").put("node", node).put("state", "refused")
      .put("error", "could not record it");
  }

  @Test
  void a_refused_submits_tombstone_wins_over_any_live_copy_even_one_taken_over_on_the_cut_off_side() {
    // Campaign seed 1003: node3, paused, applied the refused submit's record late on its own side, took it over there
    // (takeovers 1), and its copy came back at the merge over the submitter's take-back; survivors ran it again.
    JsonObject claimed = rec("node3", "running", 1);
    JsonObject tomb = tombstone("node2");
    assertThat(RecordsMergePolicy.newer(claimed, 2_000, tomb, 1_000)).as("the cut-off side's claim merging into the tombstone")
      .isFalse();
    assertThat(RecordsMergePolicy.newer(tomb, 1_000, claimed, 2_000)).as("the tombstone merging into the cut-off side's claim")
      .isTrue();
    assertThat(RecordsMergePolicy.newer(rec("node2", "pending", 0), 3_000, tomb, 1_000)).as("a later live copy").isFalse();
    assertThat(RecordsMergePolicy.newer(tomb, 1_000, rec("node3", "restarting", 2), 3_000)).isTrue();
  }

  @Test
  void a_final_record_of_how_the_task_ended_on_the_other_side_wins_over_the_tombstone() {
    // It ran there to its end: get then tells what happened, and nothing runs it again either way.
    JsonObject tomb = tombstone("node2");
    assertThat(RecordsMergePolicy.newer(rec("node3", "succeeded", 1), 1_000, tomb, 2_000)).isTrue();
    assertThat(RecordsMergePolicy.newer(tomb, 2_000, rec("node3", "failed", 1), 1_000)).isFalse();
  }

  @Test
  void the_records_map_is_configured_with_this_policy_on_every_node() {
    Config config = new Config();
    new TasksModule().configureHazelcast(config);
    assertThat(config.findMapConfig(TaskStore.RECORDS).getMergePolicyConfig().getPolicy())
      .isEqualTo(RecordsMergePolicy.class.getName());
  }
}
