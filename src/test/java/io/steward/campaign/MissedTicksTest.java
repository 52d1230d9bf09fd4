package io.steward.campaign;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steward.campaign.HistoryBuilder.WALL0;
import static io.steward.campaign.HistoryBuilder.fields;
import static org.assertj.core.api.Assertions.assertThat;

class MissedTicksTest {

  private final Checker checker = new MissedTicks();

  /** A 500 ms cluster-once job put at t=0 (acknowledged at t=10), ticks on wall time WALL0 + 500 k. */
  private static HistoryBuilder job() {
    return new HistoryBuilder().settings(null, 3, 3_000).putJob(0, 10, "j", "cluster", 500);
  }

  private static HistoryBuilder fires(HistoryBuilder h, long fromTick, long toTick) {
    for (long tick = fromTick; tick <= toTick; tick += 500) {
      h.fire(tick + 5, "j", WALL0 + tick, "n1", "c1");
    }
    return h;
  }

  private static HistoryBuilder end(HistoryBuilder h, long quietAt, long finalAt) {
    return h.at(quietAt, "quiet", new JsonObject()).at(finalAt, "node.final", "node", "n1", "healthy", true);
  }

  @Test
  void a_job_that_fires_every_tick_to_the_end_passes() {
    History h = end(fires(job(), 500, 20_000), 15_000, 20_100).build();
    assertThat(checker.check(h)).isEmpty();
  }

  @Test
  void ticks_missed_during_a_kill_and_recorded_as_missed_pass() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 8_000, 20_000);
    b.fault("k1", "kill", 5_100, 9_000, new JsonObject(), "n1");
    for (long tick = 5_500; tick < 8_000; tick += 500) {
      b.at(20_200, "missed", "job", "j", "tick", WALL0 + tick, "reason", "failover");
    }
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void one_unrecorded_tick_per_kill_is_the_lost_claim_of_the_dying_node() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 6_000, 20_000);
    b.fault("k1", "kill", 5_100, 9_000, new JsonObject(), "n1");
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_tick_neither_fired_nor_recorded_as_missed_is_reported() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 6_500, 20_000);
    b.at(20_200, "missed", "job", "j", "tick", WALL0 + 5_500, "reason", "x");
    List<Anomaly> found = checker.check(end(b, 15_000, 20_100).build());
    assertThat(found).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("1 ticks of job j", "neither fired nor recorded as missed");
      assertThat(a.evidence().getJsonArray("unrecorded").getList()).containsExactly(WALL0 + 6_000);
    });
  }

  @Test
  void a_silence_longer_than_the_bound_outside_any_fault_is_reported_even_when_recorded() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 10_000, 20_000);
    for (long tick = 5_500; tick < 10_000; tick += 500) {
      b.at(20_200, "missed", "job", "j", "tick", WALL0 + tick, "reason", "x");
    }
    List<Anomaly> found = checker.check(end(b, 15_000, 20_100).build());
    assertThat(found).singleElement().satisfies(a -> assertThat(a.what()).contains("fired nothing for", "missedBoundMs 3000"));
  }

  /**
   * Seed 2073: the master's wall clock 29 s ahead; ticks are on the cluster clock, which follows it, so each fire's tick
   * is 29 s later than the observer received it. Silences are measured in what the observer received: none here.
   */
  @Test
  void silences_are_measured_by_when_fires_arrived_not_by_their_ticks_on_a_shifted_cluster_clock() {
    HistoryBuilder b = job();
    for (long at = 500; at <= 20_000; at += 500) {
      b.fire(at + 5, "j", WALL0 + at + 29_000, "n1", "c1");
    }
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
    HistoryBuilder silent = job();
    for (long at = 500; at <= 20_000; at += 500) {
      if (at < 5_000 || at > 10_000) {
        silent.fire(at + 5, "j", WALL0 + at + 29_000, "n1", "c1");
      }
    }
    for (long at = 5_000; at <= 10_000; at += 500) {
      silent.at(20_200, "missed", "job", "j", "tick", WALL0 + at + 29_000, "reason", "x");
    }
    assertThat(checker.check(end(silent, 15_000, 20_100).build())).as("6 s without a fire, bound 3 s")
      .singleElement().satisfies(a -> assertThat(a.what()).contains("fired nothing for 6000 ms"));
  }

  @Test
  void a_silence_inside_a_fault_window_is_not_judged_by_the_bound() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 14_000, 20_000);
    b.fault("p1", "partition", 5_100, 12_000, HistoryBuilder.sides(List.of("n1"), List.of("n2", "n3")), "n1");
    for (long tick = 5_500; tick < 14_000; tick += 500) {
      b.at(20_200, "missed", "job", "j", "tick", WALL0 + tick, "reason", "x");
    }
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_silence_during_a_database_outage_is_judged_by_the_bound_and_one_during_netem_is_not() {
    // docs/durability.md: with its database down "Steward keeps working from memory": no failover, no excuse
    HistoryBuilder outage = fires(job(), 500, 5_000);
    fires(outage, 14_000, 20_000);
    outage.fault("d1", "db-outage", 5_100, 12_000, new JsonObject());
    for (long tick = 5_500; tick < 14_000; tick += 500) {
      outage.at(20_200, "missed", "job", "j", "tick", WALL0 + tick, "reason", "x");
    }
    assertThat(checker.check(end(outage, 15_000, 20_100).build())).singleElement()
      .satisfies(a -> assertThat(a.what()).contains("fired nothing for"));
    // delay and loss may get a node suspected and its jobs failed over: a network fault, as a partition
    HistoryBuilder netem = fires(job(), 500, 5_000);
    fires(netem, 14_000, 20_000);
    netem.fault("n1", "netem", 5_100, 12_000, new JsonObject().put("delayMs", 400).put("jitterMs", 100).put("lossPercent", 30), "n1");
    for (long tick = 5_500; tick < 14_000; tick += 500) {
      netem.at(20_200, "missed", "job", "j", "tick", WALL0 + tick, "reason", "x");
    }
    assertThat(checker.check(end(netem, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_job_that_stops_firing_for_good_is_reported() {
    History h = end(fires(job(), 500, 5_000), 15_000, 20_100).build();
    assertThat(checker.check(h)).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("after its last fire, to the end"));
  }

  @Test
  void a_deleted_job_is_not_expected_to_fire() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    b.op("job.delete", 5_100, HistoryBuilder.fields("node", "n1", "job", "j"), "ok", 5_120, new JsonObject());
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_job_that_never_fires_after_its_put_is_reported() {
    History h = end(job(), 15_000, 20_100).build();
    assertThat(checker.check(h)).singleElement()
        .satisfies(a -> assertThat(a.what()).contains("after its put, never"));
  }

  @Test
  void a_cron_job_has_no_grid_to_judge() {
    HistoryBuilder b = new HistoryBuilder().settings(null, 3, 3_000)
        .op("job.put", 0, HistoryBuilder.fields("node", "n1", "job", "j", "mode", "cluster", "cron", "*/1 * * * * *"),
            "ok", 10, new JsonObject());
    b.fire(1_005, "j", WALL0 + 1_000, "n1", "c1").fire(9_005, "j", WALL0 + 9_000, "n1", "c1");
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_clock_fault_stops_its_node_twice_and_may_lose_a_claim_each_time() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 6_500, 20_000);
    b.fault("c1", "clock", 5_100, 6_400, fields("skewMs", 10_000), "n1");
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
    HistoryBuilder three = fires(job(), 500, 5_000);
    fires(three, 6_500, 20_000);
    three.fault("c1", "clock", 5_100, 9_000, fields("skewMs", 10_000), "n1");
    assertThat(checker.check(end(three, 15_000, 20_100).build())).as("the restart on the true clock came later")
        .hasSize(1);
  }

  @Test
  void ticks_older_than_the_history_keeps_are_not_judged() {
    HistoryBuilder old = new HistoryBuilder().settings(null, 3, 3_000, 20).putJob(0, 10, "j", "cluster", 500);
    fires(old, 500, 5_000);
    fires(old, 6_500, 20_000);
    assertThat(checker.check(end(old, 15_000, 20_100).build())).as("the gap is 30 periods before the end").isEmpty();
    HistoryBuilder recent = new HistoryBuilder().settings(null, 3, 3_000, 20).putJob(0, 10, "j", "cluster", 500);
    fires(recent, 500, 15_000);
    fires(recent, 16_500, 20_000);
    assertThat(checker.check(end(recent, 19_900, 20_100).build())).hasSize(1);
  }

  @Test
  void a_deleted_job_has_no_history_to_judge_its_unrecorded_ticks() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 6_500, 8_000);
    b.op("job.delete", 8_100, fields("node", "n1", "job", "j"), "ok", 8_120, new JsonObject());
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_gap_closed_after_the_histories_were_read_is_not_judged() {
    HistoryBuilder b = fires(job(), 500, 15_000);
    fires(b, 16_500, 20_000);
    b.at(15_500, "task.final", fields("taskId", "t", "state", "succeeded"));
    assertThat(checker.check(end(b, 15_000, 20_100).build())).isEmpty();
  }

  @Test
  void a_history_that_stopped_before_its_final_reads_judges_no_unrecorded_tick() {
    HistoryBuilder b = fires(job(), 500, 5_000);
    fires(b, 6_500, 20_000);
    b.at(15_000, "quiet", new JsonObject());
    assertThat(checker.check(b.build())).isEmpty();
  }
}
