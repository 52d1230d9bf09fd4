package io.steward.schedule;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class JobSpecTest {

  private static JsonObject base() {
    return new JsonObject().put("name", "nightly.report").put("every", "90s")
      .put("action", new JsonObject().put("type", "send").put("address", "reports.run"));
  }

  private static StewardException bad(JsonObject json) {
    return catchThrowableOfType(StewardException.class, () -> JobSpec.parse(json));
  }

  @Test
  void defaults_are_filled_in_and_the_canonical_form_parses_back_to_the_same_job() {
    JobSpec spec = JobSpec.parse(base());
    assertThat(spec.everyMs()).isEqualTo(90_000);
    assertThat(spec.runOn()).isEqualTo(RunOn.CLUSTER_ONCE);
    assertThat(spec.overlap()).isEqualTo(Overlap.SKIP);
    assertThat(spec.misfire()).isEqualTo(Misfire.SKIP);
    assertThat(spec.enabled()).isTrue();
    JsonObject canonical = spec.toJson();
    assertThat(canonical.getString("every")).isEqualTo("90s");
    assertThat(canonical.getJsonObject("action").getBoolean("reply")).isTrue();
    assertThat(JobSpec.parse(canonical.copy()).toJson()).isEqualTo(canonical);
  }

  @Test
  void cron_jobs_carry_their_zone_and_selectors_their_nodes_and_modules() {
    JobSpec spec = JobSpec.parse(new JsonObject().put("name", "c").put("cron", "@daily").put("zone", "Europe/Berlin")
      .put("runOn", new JsonObject().put("modules", new JsonArray().add("tasks")))
      .put("startAt", "2030-01-01T00:00:00+01:00").put("misfire", "fire-once").put("overlap", "queue").put("queueLimit", 5)
      .put("action", new JsonObject().put("type", "task").put("task", new JsonObject().put("type", "echo"))));
    assertThat(spec.zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(spec.runOn().modules()).containsExactly("tasks");
    assertThat(spec.runOn().admits("n1", "node1", java.util.List.of("http", "tasks"))).isTrue();
    assertThat(spec.runOn().admits("n1", "node1", java.util.List.of("http"))).isFalse();
    assertThat(spec.toJson().getString("startAt")).isEqualTo("2029-12-31T23:00:00Z");
    assertThat(spec.action()).isInstanceOf(Action.Task.class);
    assertThat(JobSpec.parse(spec.toJson()).toJson()).isEqualTo(spec.toJson());
  }

  @Test
  void each_bad_field_is_named_in_the_400() {
    assertThat(bad(base().put("cron", "0 * * * * *")).field()).isEqualTo("cron");
    assertThat(bad(base().put("zone", "UTC")).getMessage()).startsWith("zone: applies only to cron");
    assertThat(bad(base().put("every", "-5s")).field()).isEqualTo("every");
    assertThat(bad(base().put("every", 0)).getMessage()).contains("greater than 0");
    assertThat(bad(base().put("jitterMs", 90_000)).field()).isEqualTo("jitterMs");
    assertThat(bad(base().put("queueLimit", 3)).getMessage()).contains("only with overlap: queue");
    assertThat(bad(base().put("name", "has space")).field()).isEqualTo("name");
    assertThat(bad(base().put("startAt", "tomorrow")).field()).isEqualTo("startAt");
    assertThat(bad(base().put("runOn", new JsonObject())).field()).isEqualTo("runOn");
    assertThat(bad(base().put("runOn", new JsonObject().put("nodes", new JsonArray().add(3)))).field()).isEqualTo("runOn.nodes[0]");
    assertThat(bad(base().put("action", new JsonObject().put("type", "task"))).field()).isEqualTo("action.task");
    assertThat(bad(base().put("action", new JsonObject().put("type", "task").put("task", new JsonObject()))).field())
      .isEqualTo("action.task.type");
    assertThat(bad(base().put("action", "send it")).field()).isEqualTo("action");
    assertThat(bad(base().put("action", new JsonObject().put("type", "publish").put("address", "a").put("reply", false))).field())
      .isEqualTo("action.reply");
    assertThat(bad(new JsonObject().put("name", "c").put("cron", "0 0 0 30 2 *").put("action", base().getJsonObject("action")))
      .getMessage()).contains("never fires");
  }
}
