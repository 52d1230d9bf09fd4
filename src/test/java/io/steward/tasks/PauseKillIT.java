package io.steward.tasks;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pause outlives the node that received it (docs/tasks.md, "Priorities and pausing"): three real processes, a
 * supervisor paused through one node, durable tasks submitted through every node, then the node that took the pause is
 * SIGKILLed. Its tasks are taken over by the survivors, which start nothing of the paused supervisor (the pause map's
 * backup is on a survivor) until it is resumed through a survivor; then every task runs. Observed from outside, over
 * HTTP only. Behind a flag (three JVM starts take longer than a default-build test may):
 * {@code mvn -B -o -q -DskipTests package}, then
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=PauseKillIT -Dpause=true}.
 */
@EnabledIfSystemProperty(named = "pause", matches = "true")
class PauseKillIT {

  @Test
  void a_pause_survives_the_sigkill_of_the_node_that_received_it_and_the_resume_runs_everything() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(PauseKillIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,tasks")
        .env("STEWARD_TASKS_SUPERVISORS", new JsonObject()
          .put("held", new JsonObject().put("workers", 2).put("maxQueued", 100))
          .put("free", new JsonObject().put("workers", 2)).encode())
        .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "1000");
      List<NodeProcess> nodes = cluster.start(3);
      NodeProcess victim = nodes.get(0);
      List<NodeProcess> survivors = nodes.subList(1, 3);

      NodeProcess.Response paused = victim.post("/tasks/supervisors/held/pause", "");
      assertThat(paused.status()).as(paused.body()).isEqualTo(200);
      assertThat(paused.json().getBoolean("paused")).isTrue();
      assertThat(paused.json().getInteger("nodes")).as("every tasks node knew it when the pause answered: %s", paused.body())
        .isEqualTo(3);

      // Durable, so that wherever the bus delivers a submit (the victim included), the task outlives the kill.
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        ids.add(submit(nodes.get(i % 3), new JsonObject().put("type", "echo").put("supervisor", "held")
          .put("restart", "transient").put("payload", new JsonObject().put("n", i))));
      }
      for (String id : ids) {
        assertThat(state(victim, id)).as("task %s while paused", id).isEqualTo("pending");
      }

      victim.kill();
      for (NodeProcess s : survivors) {
        cluster.awaitNodeCount(s, 2, 60_000);
      }
      List<String> survivorIds = List.of(nodeId(survivors.get(0)), nodeId(survivors.get(1)));
      NodeProcess observer = survivors.get(0);
      cluster.await("every task held by a survivor (the victim's taken over)", 90_000, () -> ids.stream()
        .allMatch(id -> survivorIds.contains(task(observer, id).getString("node"))));
      // The survivors work: a task of another supervisor, submitted after the takeover, runs to its end. An unpaused
      // supervisor would have started the taken-over tasks at the takeover, before this one.
      String control = submit(observer, new JsonObject().put("type", "echo").put("supervisor", "free")
        .put("restart", "transient"));
      cluster.await("the other supervisor's task succeeded", 60_000, () -> "succeeded".equals(state(observer, control)));
      for (String id : ids) {
        JsonObject t = task(observer, id);
        assertThat(t.getString("state")).as("task %s after the kill: %s", id, t).isEqualTo("pending");
        assertThat(t.getInteger("attempts", 0)).as("task %s never started: %s", id, t).isZero();
      }
      for (NodeProcess s : survivors) {
        NodeProcess.Response sup = s.get("/tasks/supervisors?supervisor=held");
        assertThat(sup.status()).as(sup.body()).isEqualTo(200);
        JsonObject held = sup.json().getJsonObject("supervisors").getJsonObject("held");
        assertThat(held.getBoolean("paused")).as("%s after the kill: %s", s.name(), held).isTrue();
        assertThat(held.getInteger("running")).as("%s: %s", s.name(), held).isZero();
      }

      NodeProcess.Response resumed = survivors.get(1).post("/tasks/supervisors/held/resume", "");
      assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
      assertThat(resumed.json().getBoolean("changed")).as("the pause was still there: %s", resumed.body()).isTrue();
      cluster.await("every task succeeded after the resume", 90_000, () -> ids.stream()
        .allMatch(id -> "succeeded".equals(state(observer, id))));
      ProcessCluster.checkNoBlockedThreads(survivors);
    }
  }

  private static String submit(NodeProcess node, JsonObject task) {
    NodeProcess.Response r = node.post("/tasks", task.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static JsonObject task(NodeProcess node, String id) {
    NodeProcess.Response r = node.get("/tasks/" + id);
    return r.status() == 200 ? r.json() : new JsonObject().put("state", "status " + r.status()).put("body", r.body());
  }

  private static String state(NodeProcess node, String id) {
    return task(node, id).getString("state");
  }

  private static String nodeId(NodeProcess node) {
    for (Object n : node.get("/nodes").json().getJsonArray("nodes")) {
      JsonObject o = (JsonObject) n;
      if (o.getString("name").equals(node.name())) {
        return o.getString("id");
      }
    }
    throw new AssertionError("node " + node.name() + " not in its own /nodes");
  }
}
