package io.steward.workflows;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.steward.workflows.WorkflowSpecTest.step;
import static io.steward.workflows.WorkflowSpecTest.workflow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A workflow's life as pure functions of its record: what starts, what ends, what is cancelled. */
class ProgressTest {

  private static JsonObject started(JsonObject body) {
    return Progress.start("w1", WorkflowSpec.parse(body, null), null, "n1", 1_000);
  }

  /** Gives every submit of {@code res} an id ({@code key} itself) and returns the record that says so. */
  private static JsonObject submittedAll(Progress.Result res) {
    Map<String, String> ids = new HashMap<>();
    res.submits().forEach(s -> ids.put(s.key(), "t:" + s.key()));
    return Progress.submitted(res.record(), ids, Map.of(), new java.util.ArrayList<>());
  }

  private static JsonObject done(String id, Object result) {
    return new JsonObject().put("id", id).put("state", "succeeded").put("result", result).put("attempts", 1);
  }

  private static JsonObject failed(String id, String error) {
    return new JsonObject().put("id", id).put("state", "failed").put("error", error).put("attempts", 4);
  }

  @Test
  void a_then_b_and_c_then_d_with_both_results() {
    JsonObject r = started(workflow(step("A"), step("B", "A"), step("C", "A"), step("D", "B", "C")));
    Progress.Result res = Progress.advance(r, Map.of(), 2_000);
    assertThat(res.submits()).extracting(Progress.Submit::step).containsExactly("A");
    assertThat(res.submits().get(0).key()).isEqualTo("wf/w1/A/0/0");
    r = submittedAll(res);
    // Asked again before A ended: nothing new to submit (A has its id).
    assertThat(Progress.advance(r, Map.of(), 2_500).submits()).isEmpty();

    res = Progress.advance(r, Map.of("t:wf/w1/A/0/0", done("t:wf/w1/A/0/0", 1)), 3_000);
    assertThat(res.submits()).extracting(Progress.Submit::step).containsExactly("B", "C");
    assertThat(res.submits().get(0).body().getJsonObject("results")).isEqualTo(new JsonObject().put("A", 1));
    r = submittedAll(res);

    res = Progress.advance(r, Map.of("t:wf/w1/B/0/0", done("t:wf/w1/B/0/0", "b")), 4_000);
    assertThat(res.submits()).isEmpty(); // D waits for C
    r = res.record();
    res = Progress.advance(r, Map.of("t:wf/w1/C/0/0", done("t:wf/w1/C/0/0", "c")), 5_000);
    assertThat(res.submits()).hasSize(1);
    assertThat(res.submits().get(0).body().getJsonObject("results"))
      .isEqualTo(new JsonObject().put("B", "b").put("C", "c"));
    r = submittedAll(res);
    res = Progress.advance(r, Map.of("t:wf/w1/D/0/0", done("t:wf/w1/D/0/0", "d")), 6_000);
    assertThat(res.record().getString("state")).isEqualTo("succeeded");
    assertThat(res.record().getLong("endedAt")).isEqualTo(6_000);
    assertThat(res.record().getJsonObject("steps").getJsonObject("D").getString("result")).isEqualTo("d");
    assertThat(res.events()).extracting(e -> e.getString("event")).containsExactly("step-succeeded", "succeeded");
  }

  @Test
  void a_for_each_step_fans_out_and_its_join_waits_for_the_quorum() {
    JsonObject body = workflow(step("F").put("forEach", "input.items").put("quorum", 2), step("J", "F"))
      .put("input", new JsonObject().put("items", new JsonArray().add("x").add("y").add("z")));
    Progress.Result res = Progress.advance(started(body), Map.of(), 2_000);
    assertThat(res.submits()).hasSize(3);
    assertThat(res.submits().get(1).body().getString("item")).isEqualTo("y");
    assertThat(res.submits().get(1).body().getInteger("index")).isEqualTo(1);
    JsonObject r = submittedAll(res);
    res = Progress.advance(r, Map.of("t:wf/w1/F/0/0", done("t:wf/w1/F/0/0", "X"),
      "t:wf/w1/F/0/2", failed("t:wf/w1/F/0/2", "boom")), 3_000);
    assertThat(res.submits()).isEmpty();
    r = res.record();
    res = Progress.advance(r, Map.of("t:wf/w1/F/0/1", done("t:wf/w1/F/0/1", "Y")), 4_000);
    assertThat(res.submits()).extracting(Progress.Submit::step).containsExactly("J");
    JsonArray fResult = res.submits().get(0).body().getJsonObject("results").getJsonArray("F");
    assertThat(fResult).isEqualTo(new JsonArray().add("X").add("Y").addNull());
  }

  @Test
  void a_quorum_the_items_can_no_longer_reach_fails_the_step_and_cancels_the_rest() {
    JsonObject body = workflow(step("F").put("forEach", "input").put("quorum", 2), step("J", "F"))
      .put("input", new JsonArray().add(1).add(2).add(3));
    JsonObject r = submittedAll(Progress.advance(started(body), Map.of(), 2_000));
    Progress.Result res = Progress.advance(r, Map.of("t:wf/w1/F/0/0", failed("t:wf/w1/F/0/0", "a"),
      "t:wf/w1/F/0/1", failed("t:wf/w1/F/0/1", "b")), 3_000);
    assertThat(res.record().getString("state")).isEqualTo("failed");
    assertThat(res.record().getString("error")).contains("step F failed").contains("quorum 2");
    assertThat(res.cancels()).containsExactly("t:wf/w1/F/0/2");
    assertThat(res.record().getJsonObject("steps").getJsonObject("J").getString("state")).isEqualTo("skipped");
  }

  @Test
  void an_empty_for_each_succeeds_at_once_with_no_results() {
    JsonObject body = workflow(step("F").put("forEach", "input"), step("J", "F")).put("input", new JsonArray());
    Progress.Result res = Progress.advance(started(body), Map.of(), 2_000);
    assertThat(res.submits()).extracting(Progress.Submit::step).containsExactly("J");
    assertThat(res.submits().get(0).body().getJsonObject("results").getJsonArray("F")).isEmpty();
  }

  @Test
  void a_for_each_over_a_result_that_is_not_an_array_fails_the_step() {
    JsonObject r = submittedAll(Progress.advance(started(workflow(step("A"), step("B", "A").put("forEach", "results.A.list"))), Map.of(), 1));
    Progress.Result res = Progress.advance(r, Map.of("t:wf/w1/A/0/0", done("t:wf/w1/A/0/0", new JsonObject())), 2);
    assertThat(res.record().getString("state")).isEqualTo("failed");
    assertThat(res.record().getJsonObject("steps").getJsonObject("B").getString("error")).contains("is not an array");
  }

  @Test
  void a_failed_step_fails_the_workflow_cancels_its_running_siblings_and_skips_the_rest() {
    JsonObject r = submittedAll(Progress.advance(started(workflow(step("B"), step("C"), step("D", "B", "C"))), Map.of(), 1));
    Progress.Result res = Progress.advance(r, Map.of("t:wf/w1/B/0/0", failed("t:wf/w1/B/0/0", "boom")), 2);
    JsonObject steps = res.record().getJsonObject("steps");
    assertThat(res.record().getString("state")).isEqualTo("failed");
    assertThat(res.record().getString("error")).isEqualTo("step B failed: failed: boom");
    assertThat(steps.getJsonObject("C").getString("state")).isEqualTo("cancelled");
    assertThat(steps.getJsonObject("D").getString("state")).isEqualTo("skipped");
    assertThat(res.cancels()).containsExactly("t:wf/w1/C/0/0");

    // Retry: B and C run again (a new generation, new keys), nothing of what succeeded is lost.
    Progress.Result again = Progress.retry(res.record(), 3);
    assertThat(again.record().getString("state")).isEqualTo("running");
    Progress.Result next = Progress.advance(again.record(), Map.of(), 4);
    assertThat(next.submits()).extracting(Progress.Submit::key).containsExactly("wf/w1/B/1/0", "wf/w1/C/1/0");
    assertThatThrownBy(() -> Progress.retry(next.record(), 5)).isInstanceOf(StewardException.class)
      .hasMessageContaining("only a failed or cancelled workflow");
  }

  @Test
  void cancel_ends_the_running_steps_and_their_tasks_and_a_late_id_is_cancelled_too() {
    JsonObject r = Progress.advance(started(workflow(step("A"), step("B"))), Map.of(), 1).record();
    // A's id is known, B's submit has not answered yet.
    r = Progress.submitted(r, Map.of("wf/w1/A/0/0", "tA"), Map.of(), new java.util.ArrayList<>());
    Progress.Result res = Progress.cancel(r, 2);
    assertThat(res.record().getString("state")).isEqualTo("cancelled");
    assertThat(res.cancels()).containsExactly("tA");
    List<String> cancels = new java.util.ArrayList<>();
    Progress.submitted(res.record(), Map.of("wf/w1/B/0/0", "tB"), Map.of(), cancels);
    assertThat(cancels).containsExactly("tB");
    assertThatThrownBy(() -> Progress.cancel(res.record(), 3)).hasMessageContaining("already ended");
  }

  @Test
  void a_task_the_tasks_module_refused_fails_its_step() {
    JsonObject r = Progress.advance(started(workflow(step("A"))), Map.of(), 1).record();
    r = Progress.submitted(r, Map.of(), Map.of("wf/w1/A/0/0", "refused (404): unknown supervisor"), new java.util.ArrayList<>());
    Progress.Result res = Progress.advance(r, Map.of(), 2);
    assertThat(res.record().getString("state")).isEqualTo("failed");
    assertThat(res.record().getString("error")).contains("unknown supervisor");
  }
}
