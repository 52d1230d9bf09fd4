package io.steward.campaign;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.steward.campaign.HistoryBuilder.fields;
import static org.assertj.core.api.Assertions.assertThat;

class ComputeOnceTest {

  private final Checker checker = new ComputeOnce();

  private static HistoryBuilder run(HistoryBuilder h, long t, String run, String node) {
    return h.at(t, "cache.compute.run", fields("cache", "c", "key", "k", "node", node, "run", run));
  }

  private static HistoryBuilder compute(HistoryBuilder h, long t, String outcome, long done) {
    return h.op("cache.compute", t, fields("node", "n1", "cache", "c", "key", "k"), outcome, done,
        outcome.equals("ok") ? fields("value", 1) : fields("code", 408));
  }

  private static HistoryBuilder base() {
    return new HistoryBuilder().settings(null, 3, 10_000);
  }

  @Test
  void one_run_for_many_callers_passes() {
    HistoryBuilder h = compute(compute(compute(base(), 100, "ok", 400), 110, "ok", 400), 120, "ok", 400);
    assertThat(checker.check(run(h, 200, "r1", "n1").build())).isEmpty();
  }

  @Test
  void two_runs_in_one_miss_are_reported() {
    HistoryBuilder h = compute(compute(base(), 100, "ok", 400), 110, "ok", 400);
    run(run(h, 200, "r1", "n1"), 250, "r2", "n2");
    assertThat(checker.check(h.build())).singleElement().satisfies(a -> {
      assertThat(a.what()).contains("ran twice in one miss", "r1", "r2");
      assertThat(a.evidence().getJsonArray("runs")).hasSize(2);
    });
  }

  @Test
  void a_delete_between_the_runs_starts_a_new_miss() {
    HistoryBuilder h = run(compute(base(), 100, "ok", 400), 200, "r1", "n1");
    h.op("cache.delete", 500, fields("node", "n1", "cache", "c", "key", "k"), "ok", 510, new JsonObject());
    run(compute(h, 600, "ok", 900), 700, "r2", "n2");
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void a_refused_delete_is_no_new_miss() {
    HistoryBuilder h = run(compute(base(), 100, "ok", 400), 200, "r1", "n1");
    h.op("cache.delete", 500, fields("node", "n1", "cache", "c", "key", "k"), "fail", 510, fields("code", 503));
    run(compute(h, 600, "ok", 900), 700, "r2", "n2");
    assertThat(checker.check(h.build())).hasSize(1);
  }

  @Test
  void a_failed_compute_lets_the_next_caller_compute_again() {
    HistoryBuilder h = run(compute(base(), 100, "info", 3_000), 200, "r1", "n1");
    run(compute(h, 3_100, "ok", 3_400), 3_200, "r2", "n2");
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void a_membership_change_lets_another_node_compute_again() {
    HistoryBuilder h = run(compute(base(), 100, "ok", 4_000), 200, "r1", "n1");
    h.fault("k1", "kill", 300, 2_000, new JsonObject(), "n1");
    run(h, 1_500, "r2", "n2");
    assertThat(checker.check(h.build())).isEmpty();
  }

  @Test
  void packet_delay_is_no_membership_change() {
    HistoryBuilder h = compute(compute(base(), 100, "ok", 4_000), 110, "ok", 4_000);
    h.fault("d1", "netem", 150, 2_000, fields("delayMs", 200), "n1");
    run(run(h, 200, "r1", "n1"), 1_500, "r2", "n2");
    assertThat(checker.check(h.build())).hasSize(1);
  }
}
