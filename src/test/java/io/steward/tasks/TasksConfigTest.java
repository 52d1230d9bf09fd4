package io.steward.tasks;

import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tasks section through the real config loader: defaults, overrides, and errors that name the key. */
class TasksConfigTest {

  private static TasksConfig resolve(JsonObject file, Map<String, String> env) {
    return TasksConfig.from(StewardNode.configLoader().resolve(file, env, Map.of()).section("tasks"));
  }

  @Test
  void defaults_give_one_default_supervisor() {
    TasksConfig c = resolve(new JsonObject(), Map.of());
    assertThat(c.supervisors()).containsOnlyKeys("default");
    SupervisorConfig d = c.supervisors().get("default");
    assertThat(d.workers()).isEqualTo(16);
    assertThat(d.maxQueued()).isEqualTo(10_000);
    assertThat(d.virtualThreads()).isFalse();
    assertThat(c.maxRestarts()).isEqualTo(3);
    assertThat(c.backoff()).isEqualTo(new Backoff(100, 30_000));
  }

  @Test
  void named_supervisors_come_from_the_file_or_the_environment_and_default_is_always_there() {
    TasksConfig c = resolve(new JsonObject().put("tasks", new JsonObject().put("supervisors", new JsonObject()
      .put("email", new JsonObject().put("workers", 2).put("maxQueued", 50).put("timeoutMs", 1_000)))), Map.of());
    assertThat(c.supervisors()).containsOnlyKeys("default", "email");
    assertThat(c.supervisors().get("email")).isEqualTo(new SupervisorConfig("email", 2, 50, false, 2, 1_000, 32, null));

    TasksConfig fromEnv = resolve(new JsonObject(), Map.of("STEWARD_TASKS_SUPERVISORS",
      "{\"default\": {\"workers\": 3}, \"io\": {\"virtualThreads\": true, \"workers\": 5000}}",
      "STEWARD_TASKS_VIRTUAL_THREADS", "false"));
    assertThat(fromEnv.supervisors().get("default").workers()).isEqualTo(3);
    assertThat(fromEnv.supervisors().get("io").virtualThreads()).isTrue();
    assertThat(fromEnv.supervisors().get("io").workers()).isEqualTo(5000);
  }

  @Test
  void errors_name_the_key() {
    assertThatThrownBy(() -> resolve(new JsonObject().put("tasks", new JsonObject().put("supervisors",
      new JsonObject().put("email", new JsonObject().put("workers", 0)))), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.supervisors.email.workers: must be between 1 and 10000, got 0");
    assertThatThrownBy(() -> resolve(new JsonObject().put("tasks", new JsonObject().put("supervisors",
      new JsonObject().put("email", new JsonObject().put("wrokers", 2)))), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.supervisors.email.wrokers: unknown key");
    assertThatThrownBy(() -> resolve(new JsonObject().put("tasks", new JsonObject().put("supervisors",
      new JsonObject().put("bad name!", new JsonObject()))), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.supervisors.bad name!");
    assertThatThrownBy(() -> resolve(new JsonObject().put("tasks", new JsonObject().put("supervisors",
      new JsonObject().put("a", 5))), Map.of()))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.supervisors.a: must be a JSON object");
    assertThatThrownBy(() -> resolve(new JsonObject(), Map.of("STEWARD_TASKS_MAX_BACKOFF_MS", "10")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.maxBackoffMs");
    assertThatThrownBy(() -> resolve(new JsonObject(), Map.of("STEWARD_TASKS_PUBLISH_MS", "1")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("tasks.publishMs: must be between 10 and 60000, got 1");
  }
}
