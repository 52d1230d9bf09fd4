package io.steward.tasks;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A key's {@code uniqueForMs} window across two nodes whose wall clocks disagree (the fault campaign's seed 38): two
 * task nodes as separate JVMs, the second one's wall clock {@value #SKEW_MS} ms ahead (libfaketime, as in
 * {@code ClockSkewIT}). A submit is handled, and its task run, by whichever node the event bus picks, so each round
 * submits a short task with a key and {@code uniqueForMs} {@value #WINDOW_MS}, waits for its end on the node with the
 * true clock, and submits the key twice again at once: each must find the first task ({@code existing: true}),
 * whichever node judges the window. Judged on two wall clocks, a submit handled by the node ahead finds the
 * window over {@value #SKEW_MS} ms early and starts a second task.
 */
class KeyWindowClockSkewIT {

  private static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
  private static final long SKEW_MS = 20_000;
  private static final long WINDOW_MS = 10_000;
  private static final int ROUNDS = 4;
  private static final int MAX_ROUNDS = 40;

  private static ProcessCluster cluster;
  private static NodeProcess plain;
  private static NodeProcess skewed;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isRegularFile(LIBFAKETIME)) {
      assertThat(System.getenv("CI")).as("CI=true and no %s: apt-get install faketime", LIBFAKETIME).isNotEqualTo("true");
      assumeTrue(false, "libfaketime is not installed (apt-get install faketime): " + LIBFAKETIME);
    }
    cluster = ProcessCluster.create(KeyWindowClockSkewIT.class, 3).env("STEWARD_MODULES", "http,tasks");
    plain = cluster.add(Map.of());
    cluster.awaitHealthy(plain, 90_000);
    skewed = cluster.add(Map.of("LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", "+" + SKEW_MS / 1_000 + "s"));
    cluster.awaitHealthy(skewed, 90_000);
    cluster.awaitNodeCount(plain, 2, 60_000);
    cluster.awaitNodeCount(skewed, 2, 60_000);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject submit(NodeProcess node, String key) {
    JsonObject task = new JsonObject().put("type", "sleep").put("key", key).put("uniqueForMs", WINDOW_MS)
      .put("payload", new JsonObject().put("ms", 10));
    NodeProcess.Response r = node.post("/tasks", task.encode());
    assertThat(r.status()).as(r.body()).isIn(200, 202);
    return r.json();
  }

  @Test
  void a_key_s_unique_window_holds_when_the_node_that_judges_it_has_its_wall_clock_ahead() throws Exception {
    String plainId = plain.get("/nodes").json().getJsonArray("nodes").stream().map(o -> (JsonObject) o)
      .filter(n -> plain.name().equals(n.getString("name"))).findFirst().orElseThrow().getString("id");
    List<String> broken = new ArrayList<>();
    int judged = 0;
    for (int round = 0; round < MAX_ROUNDS && judged < ROUNDS; round++) {
      String key = "skew-key-" + round;
      String first = submit(plain, key).getString("id");
      cluster.await("task " + first + " final", 30_000, () -> {
        NodeProcess.Response r = plain.get("/tasks/" + first);
        return r.status() == 200 && TaskState.of(r.json().getString("state")).isFinal();
      });
      JsonObject ended = plain.get("/tasks/" + first).json();
      if (!plainId.equals(ended.getString("node"))) {
        continue; // its end stamped by the node ahead: a window judged on two wall clocks would only last longer
      }
      judged++;
      // The event bus takes turns between the two task nodes: of two submits in a row, one is judged by the node ahead.
      for (int i = 0; i < 2; i++) {
        JsonObject again = submit(skewed, key);
        if (!again.getBoolean("existing", false)) {
          JsonObject second = plain.get("/tasks/" + again.getString("id")).json();
          broken.add("key " + key + ": task " + first + " (ended on " + ended.getString("node") + " at "
            + ended.getLong("endedAt") + ") was followed within its " + WINDOW_MS + " ms window by task "
            + again.getString("id") + " (on " + second.getString("node") + ")");
          break;
        }
      }
    }
    assertThat(judged).as("rounds whose first task ran on the node with the true clock").isGreaterThanOrEqualTo(ROUNDS);
    assertThat(broken).as("second submits within the window that started a new task (node %s is %d ms ahead)",
      skewed.name(), SKEW_MS).isEmpty();
  }
}
