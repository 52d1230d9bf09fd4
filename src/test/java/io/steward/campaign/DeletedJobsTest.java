package io.steward.campaign;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steward.campaign.HistoryBuilder.WALL0;
import static io.steward.campaign.HistoryBuilder.fields;
import static io.steward.campaign.HistoryBuilder.sides;
import static org.assertj.core.api.Assertions.assertThat;

class DeletedJobsTest {

  private final Checker checker = new DeletedJobs();

  private static HistoryBuilder deleted() {
    return new HistoryBuilder().settings(null, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fire(505, "j", WALL0 + 500, "n1", "c1")
        .op("job.delete", 900, fields("node", "n2", "job", "j"), "ok", 1_000, new JsonObject());
  }

  private static History listed(HistoryBuilder h, String node, String... jobs) {
    return h.at(30_000, "job.list.final", fields("node", node, "jobs", new io.vertx.core.json.JsonArray(List.of(jobs))))
        .build();
  }

  /** A deleted job listed after the quiet phase: its tombstone lost a merge, or the delete never reached the map. */
  @Test
  void a_job_listed_after_the_quiet_phase_although_its_delete_was_acknowledged_is_reported() {
    assertThat(checker.check(listed(deleted(), "n3", "other"))).isEmpty();
    assertThat(checker.check(listed(deleted(), "n3", "other", "j"))).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("job j is listed by n3 after the quiet phase"));
    assertThat(checker.check(listed(deleted().putJob(1_200, 1_210, "j", "cluster", 500), "n3", "j")))
        .as("put again after the delete").isEmpty();
    HistoryBuilder lostWithItsSide = new HistoryBuilder().settings(null, 2, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n1"), List.of("n2")), "n1", "n2")
        .op("job.delete", 900, fields("node", "n1", "job", "j"), "ok", 1_000, new JsonObject())
        .fault("k1", "kill", 2_000, 4_000, new JsonObject(), "n1");
    assertThat(checker.check(listed(lostWithItsSide, "n2", "j"))).as("the delete died with its side").isEmpty();
    HistoryBuilder twoLost = deleted().fault("k1", "kill", 2_000, 4_000, new JsonObject(), "n1")
        .fault("k2", "kill", 2_500, 4_500, new JsonObject(), "n2");
    assertThat(checker.check(listed(twoLost, "n3", "j"))).as("two members lost at once after the delete").isEmpty();
  }

  @Test
  void a_tick_in_flight_at_the_delete_is_within_the_tolerance() {
    History h = deleted().fire(1_505, "j", WALL0 + 1_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_fire_after_the_acknowledged_delete_is_reported() {
    History h = deleted().fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("job j fired tick", "1500 ms after its delete was acknowledged");
      assertThat(a.evidence().getJsonObject("fire").getLong("tick")).isEqualTo(WALL0 + 2_500);
    });
  }

  /**
   * Seed 2446: the delete was acknowledged, then a kill lost partitions (a second member lost before the cluster was
   * safe again) with the job's tombstone; the store, which had not yet written the delete (a database outage), loaded
   * the job back and a node fired it. The loss README names ("more members lost at once than backups"), as for a job
   * listed at the end. A fire before the loss is still reported.
   */
  @Test
  void a_fire_after_two_members_lost_at_once_after_the_delete_is_the_documented_loss() {
    HistoryBuilder twoLost = deleted().fault("k1", "kill", 2_000, 4_000, new JsonObject(), "n1")
        .fault("k2", "kill", 2_500, 4_500, new JsonObject(), "n2");
    assertThat(checker.check(twoLost.fire(5_005, "j", WALL0 + 5_000, "n3", "c3").build())).as("after the loss").isEmpty();
    assertThat(checker.check(deleted().fire(2_505, "j", WALL0 + 2_500, "n3", "c3")
        .fault("k1", "kill", 3_000, 5_000, new JsonObject(), "n1")
        .fault("k2", "kill", 3_500, 5_500, new JsonObject(), "n2").build())).as("before the loss").hasSize(1);
  }

  @Test
  void a_job_put_again_after_its_delete_may_fire() {
    History h = deleted().putJob(1_200, 1_210, "j", "cluster", 500)
        .fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_fire_before_the_new_put_is_still_reported() {
    History h = deleted().fire(2_505, "j", WALL0 + 2_500, "n1", "c1")
        .putJob(3_000, 3_010, "j", "cluster", 500).fire(3_505, "j", WALL0 + 3_500, "n1", "c1").build();
    assertThat(checker.check(h)).singleElement()
        .satisfies(a -> assertThat(a.evidence().getJsonObject("fire").getLong("tick")).isEqualTo(WALL0 + 2_500));
  }

  @Test
  void a_refused_put_after_the_delete_does_not_bring_the_job_back() {
    History h = deleted()
        .op("job.put", 1_200, fields("node", "n1", "job", "j", "mode", "cluster", "everyMs", 500), "fail", 1_210,
            fields("code", 400, "message", "bad"))
        .fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  /** A delete answered by n2 at 1 000 while a partition (500-3 000) cut n1 off; n1 fires on until the merge. */
  private static HistoryBuilder deletedDuringAPartition(Integer minimumSize, long partitionStart) {
    return new HistoryBuilder().settings(minimumSize, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", partitionStart, 3_000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .op("job.delete", 900, fields("node", "n2", "job", "j"), "ok", 1_000, new JsonObject());
  }

  @Test
  void without_a_minimum_size_the_cut_off_side_fires_a_job_deleted_on_the_other_side_until_the_merge() {
    // README, Guarantees: a split brain without cluster.minimumSize; docs/campaign.md: "a deleted job fired by the
    // cut-off side until the merge" (seeds 106 and 110).
    History h = deletedDuringAPartition(null, 500).fire(2_505, "j", WALL0 + 2_500, "n1", "c1")
        .fire(7_505, "j", WALL0 + 7_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  /**
   * Campaign seeds 2043 and 2044: two nodes, no minimum; n1, cut off alone, answered the delete and was killed before
   * the partition ended: the delete died with its side, and the job, alive on n2's side, fires on (here by n1 again,
   * restarted into n2's cluster, long after the merge window).
   */
  @Test
  void without_a_minimum_size_a_delete_whose_whole_side_was_killed_before_the_merge_is_lost_with_it() {
    java.util.function.Supplier<HistoryBuilder> h = () -> new HistoryBuilder().settings(null, 2, 10_000)
        .putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n1"), List.of("n2")), "n1", "n2")
        .op("job.delete", 900, fields("node", "n1", "job", "j"), "ok", 1_000, new JsonObject());
    History lost = h.get().fault("k1", "kill", 2_000, 4_000, new JsonObject(), "n1")
        .fire(20_505, "j", WALL0 + 20_500, "n1", "c1").build();
    assertThat(checker.check(lost)).isEmpty();
    History killedBeforeTheDelete = new HistoryBuilder().settings(null, 2, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n1"), List.of("n2")), "n1", "n2")
        .fault("k1", "kill", 600, 800, new JsonObject(), "n1")
        .op("job.delete", 900, fields("node", "n1", "job", "j"), "ok", 1_000, new JsonObject())
        .fire(20_505, "j", WALL0 + 20_500, "n1", "c1").build();
    assertThat(checker.check(killedBeforeTheDelete)).as("the side was not lost after the delete").hasSize(1);
    History withMinimum = new HistoryBuilder().settings(1, 2, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n1"), List.of("n2")), "n1", "n2")
        .op("job.delete", 900, fields("node", "n1", "job", "j"), "ok", 1_000, new JsonObject())
        .fault("k1", "kill", 2_000, 4_000, new JsonObject(), "n1")
        .fire(20_505, "j", WALL0 + 20_500, "n1", "c1").build();
    assertThat(checker.check(withMinimum)).as("with the minimum a side that answers keeps it").hasSize(1);
    History otherNodeKilled = h.get().fault("k2", "kill", 2_000, 4_000, new JsonObject(), "n2")
        .fire(20_505, "j", WALL0 + 20_500, "n1", "c1").build();
    assertThat(checker.check(otherNodeKilled)).as("the deleting side survived").isNotEmpty();
  }

  /** Seed 2071: two nodes of one side of a partition shorter than failure detection ended in different clusters. */
  @Test
  void without_a_minimum_size_a_partition_shorter_than_failure_detection_may_separate_two_nodes_of_one_side() {
    java.util.function.LongFunction<History> run = end -> new HistoryBuilder()
        .at(0, "settings", fields("nodes", 3, "seed", 1, "missedBoundMs", 10_000, "mergeWindowMs", 5_000,
            "failureDetectionMs", 4_000))
        .putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, end, sides(List.of("n1"), List.of("n2", "n3")), "n1", "n2", "n3")
        .op("job.delete", end + 100, fields("node", "n2", "job", "j"), "ok", end + 200, new JsonObject())
        .fire(end + 1_805, "j", WALL0 + end + 1_800, "n3", "c1").build();
    assertThat(checker.check(run.apply(4_000))).as("3.5 s of 4 s detection: split after the heal").isEmpty();
    assertThat(checker.check(run.apply(6_000))).as("longer than detection: split along its sides").hasSize(1);
  }

  /** Seed 2102: n2, paused past failure detection, answered a delete as it resumed, alone, and was killed before it merged. */
  @Test
  void without_a_minimum_size_a_delete_answered_by_a_resumed_node_killed_before_it_merged_back_is_lost_with_it() {
    java.util.function.LongFunction<History> run = killAt -> new HistoryBuilder()
        .at(0, "settings", fields("nodes", 2, "seed", 1, "missedBoundMs", 10_000, "mergeWindowMs", 5_000,
            "failureDetectionMs", 4_000))
        .putJob(0, 10, "j", "cluster", 500)
        .fault("z", "pause", 500, 6_000, new JsonObject(), "n2")
        .op("job.delete", 2_000, fields("node", "n2", "job", "j"), "ok", 6_200, new JsonObject())
        .fault("k", "kill", killAt, killAt + 3_000, new JsonObject(), "n2")
        .fire(30_005, "j", WALL0 + 30_000, "n1", "c1").build();
    assertThat(checker.check(run.apply(8_000))).isEmpty();
    assertThat(checker.check(run.apply(20_000))).as("killed after the merge window").hasSize(1);
  }

  /**
   * Seed 2130: four nodes, no minimum; n2 cut off alone; the majority's n1 deleted the job, n3 (majority side) was
   * killed 0.3 s later and restarted after the heal, before the merge: it joined n2's cluster, the first to answer its
   * join, and fired n2's copy of the job until that cluster merged. A node (re)started while a split is unmerged may
   * join either side.
   */
  @Test
  void without_a_minimum_size_a_node_restarted_before_the_merge_may_join_the_side_that_kept_the_job() {
    java.util.function.BiFunction<Integer, Long, History> run = (minimum, restartAt) -> new HistoryBuilder()
        .settings(minimum, 4, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n2"), List.of("n1", "n3", "n4")), "n1", "n2", "n3", "n4")
        .op("job.delete", 900, fields("node", "n1", "job", "j"), "ok", 1_000, new JsonObject())
        .fault("k1", "kill", 1_300, restartAt, new JsonObject(), "n3")
        .fire(restartAt + 505, "j", WALL0 + restartAt + 500, "n3", "c1").build();
    assertThat(checker.check(run.apply(null, 5_000L))).isEmpty();
    assertThat(checker.check(run.apply(null, 9_000L))).as("restarted after the merge window").hasSize(1);
    assertThat(checker.check(run.apply(null, 2_500L))).as("restarted during the partition: on its own side").hasSize(1);
    assertThat(checker.check(run.apply(3, 5_000L))).as("with the minimum the side alone refuses").hasSize(1);
  }

  @Test
  void a_fire_of_the_cut_off_side_after_the_merge_window_is_reported() {
    History h = deletedDuringAPartition(null, 500).fire(8_505, "j", WALL0 + 8_500, "n1", "c1").build();
    assertThat(checker.check(h)).singleElement()
        .satisfies(a -> assertThat(a.evidence().getJsonObject("fire").getLong("tick")).isEqualTo(WALL0 + 8_500));
  }

  @Test
  void with_a_minimum_size_the_partition_excuses_nothing() {
    History h = deletedDuringAPartition(2, 500).fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void a_fire_on_the_deleting_side_during_the_partition_is_reported() {
    History h = deletedDuringAPartition(null, 500).fire(2_505, "j", WALL0 + 2_500, "n3", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void a_delete_answered_before_the_partition_began_is_no_excuse() {
    History h = deletedDuringAPartition(null, 1_200).fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  /**
   * Seed 1041: a partition whose sides are {n1, n2} and {n2, n3} (n2 reaches both, a bridge), 500-3 000; the delete
   * answered by {@code deleting} at 1 000.
   */
  private static HistoryBuilder deletedDuringABridgePartition(Integer minimumSize, String deleting) {
    return new HistoryBuilder().settings(minimumSize, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3_000, sides(List.of("n1", "n2"), List.of("n2", "n3")), "n1", "n3")
        .op("job.delete", 900, fields("node", deleting, "job", "j"), "ok", 1_000, new JsonObject());
  }

  @Test
  void without_a_minimum_size_a_job_deleted_through_the_bridge_node_may_fire_on_its_other_side_until_the_merge() {
    // Seed 1041: node2 bridged the partition and stayed in the majority's cluster; node4, on node2's other side, was
    // alone and fired its copy of the job node2 deleted.
    History h = deletedDuringABridgePartition(null, "n2").fire(2_505, "j", WALL0 + 2_500, "n1", "c1")
        .fire(7_505, "j", WALL0 + 7_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_job_deleted_on_one_side_of_a_bridge_partition_may_fire_on_the_bridge_node_until_the_merge() {
    History h = deletedDuringABridgePartition(null, "n1").fire(2_505, "j", WALL0 + 2_500, "n2", "c2").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void the_bridge_node_firing_a_job_it_deleted_itself_is_reported() {
    History h = deletedDuringABridgePartition(null, "n2").fire(2_505, "j", WALL0 + 2_500, "n2", "c2").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void with_a_minimum_size_a_bridge_partition_excuses_nothing() {
    History h = deletedDuringABridgePartition(2, "n2").fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void a_fire_across_a_bridge_partition_after_its_merge_window_is_reported() {
    History h = deletedDuringABridgePartition(null, "n2").fire(8_505, "j", WALL0 + 8_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  /** n2 paused 500-9 500 (failure detection 8 s: removed, alone until the merge); the delete answered by n2 at 9 800. */
  private static HistoryBuilder deletedByAPausedNode(long pauseEnd) {
    return new HistoryBuilder().at(0, "settings", new JsonObject().put("nodes", 3).put("seed", 1)
            .put("missedBoundMs", 10_000).put("mergeWindowMs", 5_000).put("failureDetectionMs", 8_000))
        .putJob(0, 10, "j", "cluster", 500)
        .fault("f1", "pause", 500, pauseEnd, new JsonObject(), "n2")
        .op("job.delete", 600, fields("node", "n2", "job", "j"), "ok", 9_800, new JsonObject());
  }

  @Test
  void without_a_minimum_size_the_others_fire_a_job_deleted_by_a_node_paused_past_failure_detection_until_the_merge() {
    // Seed 104: node2 paused 8.65 s (failure detection 8 s), answered the delete alone, node1 fired until the merge.
    History h = deletedByAPausedNode(9_500).fire(11_505, "j", WALL0 + 11_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_pause_within_failure_detection_is_no_split_and_no_excuse() {
    History h = deletedByAPausedNode(7_500).fire(11_505, "j", WALL0 + 11_500, "n1", "c1").build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void a_delete_whose_outcome_is_unknown_promises_nothing() {
    History h = new HistoryBuilder().settings(null, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .op("job.delete", 900, fields("node", "n2", "job", "j"), "info", 1_000, fields("code", 504))
        .fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }
}
