package io.steward.tasks;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DurabilityTest {

  private static String record(String restart, Object payload) {
    TaskSpec spec = new TaskSpec("echo", payload, "default", Restart.of(restart), 3, 5_000, null, null);
    TaskRecord r = new TaskRecord("abc-1", spec, 0, 1L, null, null, null, "node-1");
    return r.toJson().encode();
  }

  @Test
  void records_of_durable_tasks_are_persisted_and_those_of_temporary_tasks_are_not() {
    assertThat(Durability.persisted(record("transient", null))).isTrue();
    assertThat(Durability.persisted(record("permanent", new JsonObject().put("x", 1)))).isTrue();
    assertThat(Durability.persisted(record("temporary", null))).isFalse();
  }

  @Test
  void a_payload_holding_a_restart_field_does_not_decide() {
    JsonObject tricky = new JsonObject().put("restart", "temporary").put("nested", new JsonObject().put("restart", "temporary"));
    assertThat(Durability.persisted(record("transient", tricky))).isTrue();
    assertThat(Durability.persisted("{\"payload\":{\"restart\":\"temporary\"},\"restart\":\"transient\"}")).isTrue();
  }

  @Test
  void anything_else_is_kept() {
    assertThat(Durability.persisted("not json")).isTrue();
    assertThat(Durability.persisted("[1,2]")).isTrue();
    assertThat(Durability.persisted("{\"id\":\"x\"}")).isTrue();
    assertThat(Durability.persisted(42)).isTrue();
  }

  @Test
  void the_tasks_module_persists_its_records_dead_letters_and_pauses_only() {
    assertThat(new TasksModule().persistentMaps()).extracting(m -> m.name())
      .containsExactly(TaskStore.RECORDS, TaskStore.DEAD_LETTERS, Pauses.MAP);
  }
}
