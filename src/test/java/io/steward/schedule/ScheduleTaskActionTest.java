package io.steward.schedule;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job whose action is a task runs it through the real tasks module (steward.tasks.run, or steward.tasks.submit
 * with wait: false), and the task's outcome is the run's outcome. Runs only where the tasks module is on the
 * classpath (it is built in parallel on its own branch).
 */
@EnabledIf("tasksModulePresent")
class ScheduleTaskActionTest {

  private static TestCluster cluster;
  private static StewardNode node;

  static boolean tasksModulePresent() {
    return StewardNode.availableModules().containsKey("tasks");
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(ScheduleTaskActionTest.class, 1);
    node = cluster.start(List.of("tasks", "schedule"), new JsonObject().put("schedule", new JsonObject().put("historyFlushMs", 100)))
      .await(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static JsonObject call(String address, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(address, body).await(30, TimeUnit.SECONDS).body();
  }

  private static JsonObject awaitRun(String name, String outcome) throws Exception {
    JsonObject[] found = new JsonObject[1];
    Poll.until(node.vertx(), "a " + outcome + " run of " + name, 30_000, () -> node.vertx().eventBus()
      .request(Addresses.Schedule.HISTORY, new JsonObject().put("name", name)).map(m -> {
        JsonArray runs = ((JsonObject) m.body()).getJsonArray("runs");
        for (Object r : runs) {
          if (outcome.equals(((JsonObject) r).getString("outcome"))) {
            found[0] = (JsonObject) r;
            return true;
          }
        }
        return false;
      })).await(40, TimeUnit.SECONDS);
    return found[0];
  }

  @Test
  void a_task_action_runs_the_task_and_waits_for_its_result() throws Exception {
    call(Addresses.Schedule.PUT, new JsonObject().put("name", "echo-every-second").put("every", "1s")
      .put("action", new JsonObject().put("type", "task")
        .put("task", new JsonObject().put("type", "echo").put("payload", new JsonObject().put("hello", "world")))));
    JsonObject run = awaitRun("echo-every-second", "succeeded");
    assertThat(run.getString("detail")).startsWith("task ");
  }

  @Test
  void a_failing_task_is_a_failed_run_with_the_tasks_error() throws Exception {
    call(Addresses.Schedule.PUT, new JsonObject().put("name", "fail-every-second").put("every", "1s")
      .put("action", new JsonObject().put("type", "task")
        .put("task", new JsonObject().put("type", "fail").put("payload", new JsonObject().put("message", "boom")))));
    JsonObject run = awaitRun("fail-every-second", "failed");
    assertThat(run.getString("error")).startsWith("500").contains("boom");
  }

  @Test
  void a_submitted_task_is_a_run_that_succeeds_once_the_task_is_accepted() throws Exception {
    call(Addresses.Schedule.PUT, new JsonObject().put("name", "submit-every-second").put("every", "1s")
      .put("action", new JsonObject().put("type", "task").put("wait", false)
        .put("task", new JsonObject().put("type", "sleep").put("payload", new JsonObject().put("ms", 10)))));
    JsonObject run = awaitRun("submit-every-second", "succeeded");
    assertThat(run.getString("detail")).startsWith("task ");
  }
}
