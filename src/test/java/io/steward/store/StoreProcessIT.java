package io.steward.store;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-node default as an operator runs it: the fat jar with the default embedded store (a {@code data}
 * directory in its working directory), stopped with SIGTERM and started again from the same directory. What it
 * acknowledged comes back: finished tasks, the task it was running (which runs again), and the entries of a cache
 * created at run time with {@code persist: true}; a cache without it is gone.
 */
class StoreProcessIT {

  private static ProcessCluster cluster;

  @BeforeAll
  static void start() {
    cluster = ProcessCluster.create(StoreProcessIT.class, 1)
      .env("STEWARD_MODULES", "http,tasks,cache")
      .env("STEWARD_STORE_KIND", "embedded") // the default, which ProcessCluster turns off for other tests
      .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "500")
      .env("STEWARD_SHUTDOWN_DRAIN_MS", "2000");
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void the_only_node_stopped_with_sigterm_and_started_again_from_its_directory_keeps_its_durable_tasks_and_persisted_cache() throws Exception {
    NodeProcess node = cluster.start(1).get(0);
    Map<String, Integer> finished = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      NodeProcess.Response r = node.post("/tasks/run", new JsonObject().put("type", "echo")
        .put("payload", new JsonObject().put("i", i)).put("restart", "transient").encode());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      finished.put(r.json().getString("id"), i);
    }
    NodeProcess.Response daemon = node.post("/tasks", new JsonObject().put("type", "sleep")
      .put("payload", new JsonObject().put("ms", 600_000)).put("restart", "permanent").encode());
    assertThat(daemon.status()).as(daemon.body()).isEqualTo(202);
    String daemonId = daemon.json().getString("id");
    cluster.await("the permanent task runs", 30_000,
      () -> "running".equals(node.get("/tasks/" + daemonId).json().getString("state")));

    assertThat(node.post("/caches", new JsonObject().put("name", "sessions").put("persist", true)
      .put("ttlSeconds", 3_600).encode()).status()).isEqualTo(201);
    assertThat(node.post("/caches", new JsonObject().put("name", "scratch").encode()).status()).isEqualTo(201);
    for (int i = 0; i < 50; i++) {
      JsonObject value = new JsonObject().put("value", new JsonObject().put("user", i).put("roles", new JsonArray().add("r" + i)));
      assertThat(node.put("/caches/sessions/s" + i, value.encode()).status()).isEqualTo(204);
      assertThat(node.put("/caches/scratch/s" + i, value.encode()).status()).isEqualTo(204);
    }

    // The ten-minute task outlasts the drain, so the node says it did not stop cleanly (exit 1: the tasks
    // module's rule); it still leaves the way SIGTERM makes it leave, writing what is pending.
    assertThat(node.terminate(60_000)).as("exit code after SIGTERM").isIn(0, 1);
    assertThat(Files.isDirectory(cluster.workDir().resolve(node.name()).resolve("data")))
      .as("the embedded database is in the node's working directory").isTrue();

    node.start();
    cluster.awaitHealthy(node, 90_000);
    for (Map.Entry<String, Integer> e : finished.entrySet()) {
      JsonObject t = node.get("/tasks/" + e.getKey()).json();
      assertThat(t.getString("state")).as(e.getKey()).isEqualTo("succeeded");
      assertThat(t.getJsonObject("result").getInteger("i")).isEqualTo(e.getValue());
    }
    cluster.await("the permanent task runs again after the restart", 30_000, () -> {
      JsonObject t = node.get("/tasks/" + daemonId).json();
      return "running".equals(t.getString("state")) && t.getInteger("attempts", 0) >= 2;
    });
    for (int i = 0; i < 50; i++) {
      NodeProcess.Response got = node.get("/caches/sessions/s" + i);
      assertThat(got.status()).as("persisted entry s%d after the restart: %s", i, got.body()).isEqualTo(200);
      assertThat(got.json().getJsonObject("value")).isEqualTo(new JsonObject().put("user", i)
        .put("roles", new JsonArray().add("r" + i)));
    }
    NodeProcess.Response scratch = node.get("/caches/scratch/s0");
    assertThat(scratch.status()).as("a cache without persist is gone with the cluster: %s", scratch.body()).isEqualTo(404);
    assertThat(node.get("/health").body()).contains("\"store\"");
  }
}
