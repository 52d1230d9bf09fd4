package io.steward.campaign;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steward.campaign.HistoryBuilder.sides;
import static org.assertj.core.api.Assertions.assertThat;

class NoTickFiredTwiceTest {

  private final Checker checker = new NoTickFiredTwice();

  private static HistoryBuilder threeNodes(Integer minimumSize) {
    return new HistoryBuilder().settings(minimumSize, 3, 10_000)
        .at(1, "node.up", "node", "n1", "pid", 11, "id", "id-1")
        .at(1, "node.up", "node", "n2", "pid", 12, "id", "id-2")
        .at(1, "node.up", "node", "n3", "pid", 13, "id", "id-3")
        .putJob(10, 20, "j", "cluster", 500);
  }

  @Test
  void a_publish_received_on_every_connection_is_one_fire() {
    History h = threeNodes(null)
        .fire(600, "j", 1000, "id-1", "c1").fire(601, "j", 1000, "id-1", "c2")
        .fire(1100, "j", 1500, "id-2", "c1").fire(1101, "j", 1500, "id-2", "c2")
        .build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_tick_fired_by_two_nodes_is_reported_with_both_fires() {
    History h = threeNodes(null).fire(600, "j", 1000, "id-1", "c1").fire(610, "j", 1000, "id-2", "c1").build();
    List<Anomaly> found = checker.check(h);
    assertThat(found).hasSize(1);
    assertThat(found.get(0).what()).contains("tick 1000", "job j", "2 nodes", "id-1", "id-2");
    assertThat(found.get(0).evidence().getJsonArray("fires")).hasSize(2);
  }

  @Test
  void a_tick_delivered_twice_on_one_connection_is_reported() {
    History h = threeNodes(null).fire(600, "j", 1000, "id-1", "c1").fire(601, "j", 1000, "id-1", "c1").build();
    List<Anomaly> found = checker.check(h);
    assertThat(found).singleElement().satisfies(a -> assertThat(a.what()).contains("twice on one connection"));
  }

  @Test
  void without_a_minimum_size_both_sides_of_a_partition_fire_by_design() {
    History h = threeNodes(null)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(1100, "j", 1500, "id-1", "c1").fire(1105, "j", 1500, "id-2", "c2")
        // after the heal, before the merge (mergeWindowMs 5000)
        .fire(6000, "j", 6500, "id-1", "c1").fire(6005, "j", 6500, "id-3", "c2")
        .build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void with_a_majority_minimum_size_a_partition_excuses_nothing() {
    History h = threeNodes(2)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(1100, "j", 1500, "id-1", "c1").fire(1105, "j", 1500, "id-2", "c2")
        .build();
    assertThat(checker.check(h)).singleElement().satisfies(a -> assertThat(a.what()).contains("tick 1500"));
  }

  @Test
  void equal_halves_may_both_fire_when_the_minimum_is_not_a_strict_majority() {
    History h = new HistoryBuilder().settings(2, 4, 10_000).putJob(10, 20, "j", "cluster", 500)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1", "n2"), List.of("n3", "n4")), "n1", "n2")
        .fire(1100, "j", 1500, "n1", "c1").fire(1105, "j", 1500, "n3", "c2")
        .build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void a_pause_is_no_excuse_for_a_double_fire() {
    History h = threeNodes(null)
        .fault("f1", "pause", 500, 3000, new io.vertx.core.json.JsonObject(), "n1")
        .fire(3100, "j", 1500, "id-1", "c1").fire(1105, "j", 1500, "id-2", "c2")
        .build();
    assertThat(checker.check(h)).hasSize(1);
  }

  @Test
  void a_double_fire_after_the_merge_window_is_reported() {
    History h = threeNodes(null)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(9000, "j", 9500, "id-1", "c1").fire(9005, "j", 9500, "id-2", "c2")
        .build();
    assertThat(checker.check(h)).hasSize(1);
  }

  /**
   * Seed 2160 (no minimum): n1's migrations stuck after a pause during a promotion, it could never merge back and
   * fired alone until it stopped itself (exit code 70, docs/operations.md) at 20 000; its supervisor restarted it.
   */
  @Test
  void without_a_minimum_size_a_member_stuck_apart_fires_alone_until_it_stops_itself() {
    java.util.function.BiFunction<Integer, Integer, History> run = (minimum, code) -> threeNodes(minimum)
        .fault("z1", "pause", 500, 6_000, new io.vertx.core.json.JsonObject(), "n1")
        .fire(15_000, "j", 15_500, "id-1", "c1").fire(15_005, "j", 15_500, "id-2", "c2")
        .at(20_000, "node.exit", "node", "n1", "code", code)
        .build();
    assertThat(checker.check(run.apply(null, 70))).isEmpty();
    assertThat(checker.check(run.apply(null, 137))).as("any other exit is no excuse").hasSize(1);
    assertThat(checker.check(run.apply(2, 70))).as("with the minimum the lone member claims nothing").hasSize(1);
  }

  @Test
  void two_nodes_on_the_same_side_firing_one_tick_are_reported_during_a_partition() {
    History h = threeNodes(null)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(1100, "j", 1500, "id-2", "c1").fire(1105, "j", 1500, "id-3", "c2")
        .build();
    assertThat(checker.check(h)).hasSize(1);
  }

  /** Seed 2118: without the minimum, the merging side's members join the other cluster one at a time. */
  @Test
  void without_a_minimum_size_two_nodes_of_one_side_may_fire_one_tick_during_the_merge_after_the_heal() {
    java.util.function.BiFunction<Integer, Long, History> run = (minimum, at) -> threeNodes(minimum)
        .fault("p1", "partition", 500, 3000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(at, "j", at + 400, "id-2", "c1").fire(at + 5, "j", at + 400, "id-3", "c2")
        .build();
    assertThat(checker.check(run.apply(null, 4_000L))).as("after the heal, within the merge window").isEmpty();
    assertThat(checker.check(run.apply(null, 9_000L))).as("after the merge window").hasSize(1);
    assertThat(checker.check(run.apply(2, 4_000L))).as("with the minimum").hasSize(1);
  }

  /**
   * Seed 2071 (four nodes, no minimum, 8 s failure detection): a 7.6 s partition ended before anyone was removed; the
   * silence outlasted it, and two nodes of one side ended in different clusters and fired the same ticks after the
   * heal. A partition longer than failure detection splits along its sides: same-side pairs are still reported.
   */
  @Test
  void without_the_minimum_a_partition_shorter_than_failure_detection_may_split_a_side_after_it_heals() {
    java.util.function.BiFunction<Integer, Long, History> run = (minimum, end) -> {
      io.vertx.core.json.JsonObject settings = HistoryBuilder.fields("nodes", 3, "seed", 1, "missedBoundMs", 10_000,
          "mergeWindowMs", 5_000, "failureDetectionMs", 4_000);
      if (minimum != null) {
        settings.put("minimumSize", minimum);
      }
      return new HistoryBuilder().at(0, "settings", settings)
          .at(1, "node.up", "node", "n1", "pid", 11, "id", "id-1")
          .at(1, "node.up", "node", "n2", "pid", 12, "id", "id-2")
          .at(1, "node.up", "node", "n3", "pid", 13, "id", "id-3")
          .putJob(10, 20, "j", "cluster", 500)
          .fault("p1", "partition", 500, end, sides(List.of("n1"), List.of("n2", "n3")), "n1")
          .fire(end + 1_100, "j", end + 1_500, "id-2", "c1").fire(end + 1_105, "j", end + 1_500, "id-3", "c2")
          .build();
    };
    assertThat(checker.check(run.apply(null, 4_000L))).as("3.5 s of 4 s detection").isEmpty();
    History during = new HistoryBuilder().at(0, "settings", HistoryBuilder.fields("nodes", 3, "seed", 1,
          "missedBoundMs", 10_000, "mergeWindowMs", 5_000, "failureDetectionMs", 4_000))
        .at(1, "node.up", "node", "n1", "pid", 11, "id", "id-1")
        .at(1, "node.up", "node", "n2", "pid", 12, "id", "id-2")
        .at(1, "node.up", "node", "n3", "pid", 13, "id", "id-3")
        .putJob(10, 20, "j", "cluster", 500)
        .fault("p1", "partition", 500, 8_000, sides(List.of("n1"), List.of("n2", "n3")), "n1")
        .fire(6_100, "j", 6_500, "id-2", "c1").fire(6_105, "j", 6_500, "id-3", "c2").build();
    assertThat(checker.check(during)).as("longer than detection, during it: split along its sides").hasSize(1);
    assertThat(checker.check(run.apply(null, 2_000L))).as("not a split at all").hasSize(1);
    assertThat(checker.check(run.apply(2, 4_000L))).as("with the minimum").hasSize(1);
  }

  @Test
  void every_node_jobs_fire_each_tick_on_every_node() {
    History h = new HistoryBuilder().settings(null, 2, 10_000).putJob(10, 20, "e", "every", 500)
        .fire(600, "e", 1000, "n1", "c1").fire(601, "e", 1000, "n2", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }

  /** With cluster.minimumSize the sides' sizes decide, and a bridge node is with both: no excuse. */
  @Test
  void with_the_minimum_a_bridge_node_is_on_both_sides_so_its_double_fire_is_no_partition_excuse() {
    io.vertx.core.json.JsonObject bridge = new io.vertx.core.json.JsonObject().put("sides", new io.vertx.core.json.JsonArray()
        .add(new io.vertx.core.json.JsonArray().add("n1").add("n2")).add(new io.vertx.core.json.JsonArray().add("n2").add("n3")))
        .put("bridges", new io.vertx.core.json.JsonArray().add("n2"));
    History h = threeNodes(2).fault("p1", "partition", 500, 3000, bridge, "n1", "n3")
        .fire(1100, "j", 1500, "id-2", "c1").fire(1105, "j", 1500, "id-3", "c2")
        .fire(2100, "j", 2500, "id-1", "c1").fire(2105, "j", 2500, "id-3", "c2")
        .build();
    List<Anomaly> found = checker.check(h);
    assertThat(found).singleElement().satisfies(a -> assertThat(a.what()).contains("tick 1500"));
  }

  /**
   * Campaign seed 1024 (no minimum): node5, on the bridge's side, could not reach the master and removed every other
   * member, the bridge node3 too; both fired: the documented double fire of a partition without the minimum.
   */
  @Test
  void without_the_minimum_a_bridge_node_and_a_node_of_its_side_may_be_in_two_clusters() {
    io.vertx.core.json.JsonObject bridge = new io.vertx.core.json.JsonObject().put("sides", new io.vertx.core.json.JsonArray()
        .add(new io.vertx.core.json.JsonArray().add("n1").add("n2")).add(new io.vertx.core.json.JsonArray().add("n2").add("n3")))
        .put("bridges", new io.vertx.core.json.JsonArray().add("n2"));
    History h = threeNodes(null).fault("p1", "partition", 500, 3000, bridge, "n1", "n3")
        .fire(1100, "j", 1500, "id-2", "c1").fire(1105, "j", 1500, "id-3", "c2")
        .build();
    assertThat(checker.check(h)).isEmpty();
  }
}
