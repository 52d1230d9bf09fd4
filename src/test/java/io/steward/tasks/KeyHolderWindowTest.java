package io.steward.tasks;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a submit judges a key's {@code uniqueForMs} window from the answer of the task's node, when the binding does not
 * say yet when the task ended (clean-clone CI of 2026-12-08, {@code KeyWindowClockSkewIT}, one round in four: the
 * submit reached the node 20 s ahead before the binding had the end, was told the task had ended, judged the window
 * on its own wall clock against the task node's, found it over, and started a second task).
 */
class KeyHolderWindowTest {

  private static JsonObject ended(long endedAtWall, Long endedAtCluster) {
    JsonObject record = new JsonObject().put("state", "succeeded").put("endedAt", endedAtWall);
    return endedAtCluster == null ? record : record.put(TaskRecord.ENDED_AT_CLUSTER, endedAtCluster);
  }

  @Test
  void the_window_is_judged_on_the_cluster_clock_when_the_task_s_node_says_when_it_ended_on_it() {
    long clusterNow = 1_000_000_000L;
    // Ended 1 s ago on the cluster clock, stamped by a node whose wall clock is 20 s behind this one's.
    JsonObject record = ended(System.currentTimeMillis() - 21_000, clusterNow - 1_000);
    assertThat(Submissions.stillHolds(record, 10_000, clusterNow)).as("1 s into a 10 s window").isTrue();
    assertThat(Submissions.stillHolds(ended(System.currentTimeMillis(), clusterNow - 11_000), 10_000, clusterNow))
      .as("11 s after the end, whatever the wall clocks say").isFalse();
    assertThat(Submissions.stillHolds(record, 0, clusterNow)).as("no window").isFalse();
  }

  @Test
  void a_task_still_running_or_whose_end_is_not_recorded_holds_its_key() {
    assertThat(Submissions.stillHolds(new JsonObject().put("state", "running"), 0, 0)).isTrue();
    assertThat(Submissions.stillHolds(ended(1, 1L).put(TaskRecord.END_UNRECORDED, true), 0, Long.MAX_VALUE)).isTrue();
  }

  @Test
  void a_record_read_from_the_map_is_judged_on_the_wall_clock() {
    assertThat(Submissions.stillHolds(ended(System.currentTimeMillis() - 1_000, null), 10_000, 0)).isTrue();
    assertThat(Submissions.stillHolds(ended(System.currentTimeMillis() - 11_000, null), 10_000, 0)).isFalse();
  }
}
