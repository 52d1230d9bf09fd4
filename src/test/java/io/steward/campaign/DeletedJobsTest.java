package io.steward.campaign;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.steward.campaign.HistoryBuilder.WALL0;
import static io.steward.campaign.HistoryBuilder.fields;
import static org.assertj.core.api.Assertions.assertThat;

class DeletedJobsTest {

  private final Checker checker = new DeletedJobs();

  private static HistoryBuilder deleted() {
    return new HistoryBuilder().settings(null, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .fire(505, "j", WALL0 + 500, "n1", "c1")
        .op("job.delete", 900, fields("node", "n2", "job", "j"), "ok", 1_000, new JsonObject());
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

  @Test
  void a_delete_whose_outcome_is_unknown_promises_nothing() {
    History h = new HistoryBuilder().settings(null, 3, 10_000).putJob(0, 10, "j", "cluster", 500)
        .op("job.delete", 900, fields("node", "n2", "job", "j"), "info", 1_000, fields("code", 504))
        .fire(2_505, "j", WALL0 + 2_500, "n1", "c1").build();
    assertThat(checker.check(h)).isEmpty();
  }
}
