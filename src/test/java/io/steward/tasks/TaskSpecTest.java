package io.steward.tasks;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The submit body: the one-pass path and the checked path agree on every valid body. */
class TaskSpecTest {

  private static TaskSpec parse(String json) {
    return TaskSpec.parse(new JsonObject(json), 3, 5_000);
  }

  @Test
  void a_full_body_is_read_with_defaults_for_what_is_missing() {
    assertThat(parse("{\"type\": \"echo\"}")).isEqualTo(new TaskSpec("echo", null, "default", Restart.TEMPORARY, 3, 5_000, null, null));
    TaskSpec full = parse("{\"type\": \"sleep\", \"payload\": {\"ms\": 5}, \"supervisor\": \"io\", \"restart\": \"permanent\","
      + " \"maxRestarts\": 7, \"withinMs\": 9000, \"timeoutMs\": 100, \"key\": \"k\"}");
    assertThat(full).isEqualTo(new TaskSpec("sleep", new JsonObject().put("ms", 5), "io", Restart.PERMANENT, 7, 9_000, 100L, "k"));
    assertThat(parse("{\"type\": \"echo\", \"key\": \"k\", \"uniqueForMs\": 60000}").uniqueForMs()).isEqualTo(60_000);
    assertThatThrownBy(() -> parse("{\"type\": \"echo\", \"key\": \"k\", \"uniqueForMs\": -1}"))
      .hasMessageStartingWith("uniqueForMs: ");
  }

  @Test
  void unusual_but_valid_bodies_give_the_same_spec_as_plain_ones() {
    for (List<String> pair : List.of(
      List.of("{\"type\": \"echo\", \"maxRestarts\": 2.0}", "{\"type\": \"echo\", \"maxRestarts\": 2}"),
      List.of("{\"type\": \"echo\", \"version\": 1}", "{\"type\": \"echo\"}"),
      List.of("{\"type\": \"echo\", \"key\": null, \"timeoutMs\": 1e3}", "{\"type\": \"echo\", \"timeoutMs\": 1000}"))) {
      assertThat(parse(pair.get(0))).as(pair.get(0)).isEqualTo(parse(pair.get(1)));
      assertThat(TaskSpec.parse(pair.get(0), 3, 5_000)).as("as text").isEqualTo(parse(pair.get(1)));
    }
  }

  @Test
  void invalid_bodies_are_refused_naming_the_field() {
    assertThatThrownBy(() -> parse("{\"type\": \"echo\", \"restart\": \"never\"}")).isInstanceOf(StewardException.class)
      .hasMessageStartingWith("restart: must be one of");
    assertThatThrownBy(() -> parse("{\"type\": \"echo\", \"maxRestarts\": 1001}")).hasMessageStartingWith("maxRestarts: must be between 0 and 1000");
    assertThatThrownBy(() -> parse("{\"type\": \" \"}")).hasMessageStartingWith("type: must not be blank");
    assertThatThrownBy(() -> parse("{\"payload\": 1}")).hasMessageStartingWith("type: is required");
    assertThatThrownBy(() -> parse("{\"type\": \"echo\", \"other\": 1}")).hasMessageStartingWith("other: unknown field");
  }
}
