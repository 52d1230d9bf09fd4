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
 * Cluster-wide limits across real processes (docs/tasks.md, "Cluster-wide limits"): a node whose tasks hold every slot
 * of a supervisor's {@code clusterLimit} is SIGKILLed; the survivor frees its slots and the tasks that waited for them
 * start. Observed from outside, over HTTP only. Behind a flag (two JVM starts take longer than a default-build test
 * may): {@code mvn -B -o -q -DskipTests package}, then
 * {@code mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=ClusterLimitProcessIT -Dlimits=true}.
 */
@EnabledIfSystemProperty(named = "limits", matches = "true")
class ClusterLimitProcessIT {

  private static final int LIMIT = 2;

  @Test
  void a_killed_node_holding_every_slot_gives_them_back_and_the_survivor_s_waiting_tasks_start() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(ClusterLimitProcessIT.class, 2)) {
      cluster.env("STEWARD_MODULES", "http,tasks")
        .env("STEWARD_TASKS_SUPERVISORS", new JsonObject().put("held", new JsonObject().put("workers", 4)
          .put("clusterLimit", LIMIT)).encode())
        .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "1000");
      NodeProcess victim = cluster.start(1).get(0);
      cluster.awaitHealthy(victim, 90_000);
      // Alone in the cluster, the victim takes both slots: two tasks that sleep for ten minutes.
      List<String> holders = new ArrayList<>();
      for (int i = 0; i < LIMIT; i++) {
        holders.add(submit(victim, new JsonObject().put("type", "sleep").put("supervisor", "held")
          .put("payload", new JsonObject().put("ms", 600_000))));
      }
      for (String id : holders) {
        cluster.await("holder " + id + " running", 60_000, () -> "running".equals(state(victim, id)));
      }
      NodeProcess survivor = cluster.add(Map.of());
      cluster.awaitHealthy(survivor, 90_000);
      cluster.awaitNodeCount(victim, 2, 60_000);
      cluster.awaitNodeCount(survivor, 2, 60_000);
      // Durable, so that wherever the bus delivers the submit (either node), the task outlives the kill.
      List<String> waiting = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        waiting.add(submit(survivor, new JsonObject().put("type", "echo").put("supervisor", "held")
          .put("restart", "transient").put("payload", new JsonObject().put("n", i))));
      }
      for (String id : waiting) {
        assertThat(state(survivor, id)).as("no slot free: it waits").isEqualTo("pending");
      }

      victim.kill();
      cluster.await("the waiting tasks succeeded on the survivor", 90_000, () -> waiting.stream()
        .allMatch(id -> "succeeded".equals(state(survivor, id))));
      for (String id : waiting) {
        assertThat(survivor.get("/tasks/" + id).json().getString("node")).isEqualTo(nodeId(survivor));
      }
      JsonObject limit = limitOf(survivor);
      assertThat(limit).as("the limit's stats in /health").isNotNull();
      assertThat(limit.getLong("reclaimed")).as("the victim's two slots, freed once").isEqualTo(LIMIT);
      ProcessCluster.checkNoBlockedThreads(List.of(survivor));
    }
  }

  private static String submit(NodeProcess node, JsonObject task) {
    NodeProcess.Response r = node.post("/tasks", task.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static String state(NodeProcess node, String id) {
    NodeProcess.Response r = node.get("/tasks/" + id);
    return r.status() == 200 ? r.json().getString("state") : "status " + r.status();
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

  /** The {@code limit} stats of supervisor {@code held} in the node's health, wherever the health nests them. */
  private static JsonObject limitOf(NodeProcess node) {
    return find(node.get("/health").json());
  }

  private static JsonObject find(Object o) {
    if (o instanceof JsonObject j) {
      if (j.containsKey("limit") && j.getValue("limit") instanceof JsonObject l && l.containsKey("reclaimed")) {
        return l;
      }
      for (String k : j.fieldNames()) {
        JsonObject f = find(j.getValue(k));
        if (f != null) {
          return f;
        }
      }
    } else if (o instanceof io.vertx.core.json.JsonArray a) {
      for (Object e : a) {
        JsonObject f = find(e);
        if (f != null) {
          return f;
        }
      }
    }
    return null;
  }
}
