package io.steward.workflows;

import io.steward.bus.AddressRule;
import io.steward.bus.Door;
import io.steward.bus.Failure;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Validation of a submitted workflow: pure, no Vert.x. Every refusal is a 400 that names the field and why. */
class WorkflowSpecTest {

  static JsonObject step(String id, String... deps) {
    return new JsonObject().put("id", id).put("address", "app." + id).put("dependsOn", new JsonArray(List.of((Object[]) deps)));
  }

  static JsonObject workflow(JsonObject... steps) {
    return new JsonObject().put("name", "w").put("steps", new JsonArray(List.of((Object[]) steps)));
  }

  static StewardException refused(JsonObject body) {
    StewardException e = catchThrowableOfType(StewardException.class, () -> WorkflowSpec.parse(body, null));
    assertThat(e).as("refused: %s", body).isNotNull();
    return e;
  }

  @Test
  void a_diamond_is_accepted_with_its_defaults() {
    WorkflowSpec spec = WorkflowSpec.parse(workflow(step("A"), step("B", "A"), step("C", "A"), step("D", "B", "C")), null);
    assertThat(spec.steps()).extracting(WorkflowSpec.Step::id).containsExactly("A", "B", "C", "D");
    WorkflowSpec.Step d = spec.steps().get(3);
    assertThat(d.dependsOn()).containsExactly("B", "C");
    assertThat(d.timeoutMs()).isEqualTo(30_000);
    assertThat(d.maxRestarts()).isEqualTo(3);
    assertThat(d.supervisor()).isEqualTo("default");
    assertThat(d.payload()).isEqualTo(new JsonObject());
    assertThat(WorkflowSpec.Step.fromJson(d.toJson())).isEqualTo(d);
  }

  @Test
  void a_cycle_is_refused_and_named() {
    StewardException e = refused(workflow(step("A", "C"), step("B", "A"), step("C", "B"), step("D")));
    assertThat(e.failure()).isEqualTo(Failure.BAD_REQUEST);
    assertThat(e.getMessage()).contains("cycle: A -> B -> C -> A");
  }

  @Test
  void a_step_that_depends_on_itself_is_a_cycle() {
    assertThat(refused(workflow(step("A", "A"))).getMessage()).contains("cycle: A -> A");
  }

  @Test
  void an_unknown_dependency_is_refused_naming_it() {
    StewardException e = refused(workflow(step("A"), step("B", "Z")));
    assertThat(e.field()).isEqualTo("steps[1].dependsOn");
    assertThat(e.getMessage()).contains("unknown step 'Z'").contains("known: A, B");
  }

  @Test
  void a_duplicate_step_id_is_refused() {
    StewardException e = refused(workflow(step("A"), step("B"), step("A")));
    assertThat(e.field()).isEqualTo("steps[2].id");
    assertThat(e.getMessage()).contains("duplicate step id 'A'").contains("steps[0]");
  }

  @Test
  void an_empty_workflow_is_refused() {
    assertThat(refused(new JsonObject().put("name", "w").put("steps", new JsonArray())).field()).isEqualTo("steps");
    assertThat(refused(new JsonObject().put("name", "w")).field()).isEqualTo("steps");
    assertThat(refused(new JsonObject().put("steps", new JsonArray().add(step("A")))).field()).isEqualTo("name");
  }

  @Test
  void more_steps_than_the_cap_are_refused() {
    JsonArray steps = new JsonArray();
    for (int i = 0; i <= WorkflowSpec.MAX_STEPS; i++) {
      steps.add(step("s" + i));
    }
    StewardException e = refused(new JsonObject().put("name", "w").put("steps", steps));
    assertThat(e.getMessage()).contains("at most " + WorkflowSpec.MAX_STEPS);
    steps.remove(0);
    assertThat(WorkflowSpec.parse(new JsonObject().put("name", "w").put("steps", steps), null).steps()).hasSize(100);
  }

  @Test
  void bad_fields_of_a_step_are_named() {
    assertThat(refused(workflow(new JsonObject().put("id", "A"))).field()).isEqualTo("steps[0].address");
    assertThat(refused(workflow(step("A").put("id", "a.b"))).field()).isEqualTo("steps[0].id");
    assertThat(refused(workflow(step("A").put("timeoutMs", 0))).field()).isEqualTo("steps[0].timeoutMs");
    assertThat(refused(workflow(step("A").put("restart", "permanent"))).field()).isEqualTo("steps[0].restart");
    assertThat(refused(workflow(step("A").put("payload", "x"))).field()).isEqualTo("steps[0].payload");
    assertThat(refused(workflow(step("A").put("colour", "red"))).field()).isEqualTo("steps[0].colour");
    assertThat(refused(workflow(step("A").put("dependsOn", new JsonArray().add(3)))).field()).isEqualTo("steps[0].dependsOn");
    assertThat(refused(workflow(step("A").put("quorum", 2))).getMessage()).contains("needs forEach");
    assertThat(refused(workflow(step("A").put("forEach", "input").put("quorum", 0))).field()).isEqualTo("steps[0].quorum");
    assertThat(refused(workflow(new JsonObject().put("x", 1).put("id", "A"))).field()).isEqualTo("steps[0].address");
    assertThat(refused(new JsonObject().put("name", "w").put("steps", new JsonArray().add("A"))).field()).isEqualTo("steps[0]");
  }

  @Test
  void for_each_must_name_the_input_or_a_dependency() {
    JsonObject body = workflow(step("A"), step("B").put("forEach", "results.A"));
    assertThat(refused(body).getMessage()).contains("not in its dependsOn");
    assertThat(refused(workflow(step("A").put("forEach", "items"))).field()).isEqualTo("steps[0].forEach");
    WorkflowSpec ok = WorkflowSpec.parse(workflow(step("A"), step("B", "A").put("forEach", "results.A.items").put("quorum", 2)), null);
    assertThat(ok.steps().get(1).quorum()).isEqualTo(2);
  }

  @Test
  void for_each_over_the_input_is_checked_at_submit() {
    JsonObject body = workflow(step("A").put("forEach", "input.items")).put("input", new JsonObject().put("items", "no"));
    assertThat(refused(body).getMessage()).contains("must be an array");
    body.put("input", new JsonObject().put("items", new JsonArray().add(1).add(2)));
    body.getJsonArray("steps").getJsonObject(0).put("quorum", 3);
    assertThat(refused(body).field()).isEqualTo("steps[0].quorum");
    body.getJsonArray("steps").getJsonObject(0).put("quorum", 2);
    assertThat(WorkflowSpec.parse(body, null).steps().get(0).quorum()).isEqualTo(2);
  }

  @Test
  void a_door_must_permit_every_step_address() {
    Door door = Door.of("the HTTP API", "http.targets", List.of(new AddressRule("app.A", null)));
    assertThat(WorkflowSpec.parse(workflow(step("A")), door).steps()).hasSize(1);
    StewardException e = catchThrowableOfType(StewardException.class,
      () -> WorkflowSpec.parse(workflow(step("A"), step("B", "A")), door));
    assertThat(e.failure()).isEqualTo(Failure.FORBIDDEN);
    assertThat(e.field()).isEqualTo("steps[1].address");
  }
}
