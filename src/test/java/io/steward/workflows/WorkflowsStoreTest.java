package io.steward.workflows;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workflows with a store (the embedded one: the same write-behind map store as PostgreSQL's, docs/durability.md): the
 * only node of the cluster stops while a workflow waits on its second step, and a new node starts on the same store.
 * The workflow's record comes back (its finished step's result too) and the workflow runs to its end; a finished
 * workflow is still there with its results; its key still answers it.
 */
class WorkflowsStoreTest {

  private static final String STEP = "wfstore.step";
  /** Requests each step received, by "run/step". */
  private static final Map<String, AtomicInteger> EFFECTS = new ConcurrentHashMap<>();

  @TempDir
  static Path dir;
  static TestCluster cluster;
  /** The store section of every node: the embedded store here, PostgreSQL in WorkflowsPostgresStoreTest. */
  static JsonObject store;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(WorkflowsStoreTest.class, 1);
    store = new JsonObject().put("kind", "embedded").put("dir", dir.resolve("store").toString());
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static JsonObject config() {
    return new JsonObject()
      .put("store", store.copy())
      .put("tasks", new JsonObject().put("orphanSweepMs", 500).put("publishMs", 50).put("backoffMs", 20))
      .put("workflows", new JsonObject().put("sweepMs", 300));
  }

  /** A node whose step consumer answers every step, except (when {@code hold}) step B, which it never answers. */
  private static StewardNode node(boolean hold) throws Exception {
    StewardNode n = cluster.start(List.of("tasks", "workflows"), config()).await(60, TimeUnit.SECONDS);
    n.vertx().eventBus().<JsonObject>consumer(STEP, m -> handle(m, hold)).completion().await(10, TimeUnit.SECONDS);
    return n;
  }

  private static void handle(Message<JsonObject> m, boolean hold) {
    JsonObject body = m.body();
    String step = body.getString("step");
    EFFECTS.computeIfAbsent(body.getString("run") + "/" + step, k -> new AtomicInteger()).incrementAndGet();
    if (hold && step.equals("B")) {
      return; // held: the node stops first
    }
    m.reply(new JsonObject().put("step", step).put("node", body.getString("node", "")));
  }

  private static JsonObject step(String run, String id, String... deps) {
    return new JsonObject().put("id", id).put("address", STEP).put("timeoutMs", 600_000)
      .put("payload", new JsonObject().put("run", run).put("step", id))
      .put("dependsOn", new JsonArray(List.of((Object[]) deps)));
  }

  private static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(address, body, new DeliveryOptions().setSendTimeout(20_000))
      .await(30, TimeUnit.SECONDS).body();
  }

  private static JsonObject until(StewardNode node, String what, String id, java.util.function.Predicate<JsonObject> ok)
    throws Exception {
    JsonObject[] last = new JsonObject[1];
    Poll.until(node.vertx(), "workflow " + id + " " + what, 60_000, () -> node.vertx().eventBus()
      .request(Addresses.Workflows.GET, new JsonObject().put("id", id), new DeliveryOptions().setSendTimeout(5_000))
      .map(m -> {
        last[0] = (JsonObject) m.body();
        return ok.test(last[0]);
      }).otherwise(false)).await(70, TimeUnit.SECONDS);
    return last[0];
  }

  private static String state(JsonObject wf, String step) {
    return wf.getJsonObject("steps").getJsonObject(step).getString("state");
  }

  @Test
  void a_workflow_mid_way_and_a_finished_one_survive_a_full_stop_of_the_cluster_and_the_first_runs_to_its_end()
    throws Exception {
    String run = "r" + System.nanoTime();
    StewardNode first = node(true);
    String done = call(first, Addresses.Workflows.SUBMIT, new JsonObject().put("name", "done-before-stop")
      .put("steps", new JsonArray().add(step(run + "-done", "A")))).getString("id");
    until(first, "succeeded", done, wf -> "succeeded".equals(wf.getString("state")));
    JsonObject keyed = new JsonObject().put("name", "mid-way").put("key", "stored-" + run)
      .put("steps", new JsonArray().add(step(run, "A")).add(step(run, "B", "A")));
    String id = call(first, Addresses.Workflows.SUBMIT, keyed).getString("id");
    until(first, "waits on B", id, wf -> "succeeded".equals(state(wf, "A")) && "running".equals(state(wf, "B"))
      && EFFECTS.containsKey(run + "/B"));
    cluster.stop(first).await(60, TimeUnit.SECONDS); // the only node: every member of the cluster is gone

    StewardNode second = node(false);
    JsonObject finished = until(second, "found after the restart", done, wf -> true);
    assertThat(finished.getString("state")).isEqualTo("succeeded");
    assertThat(finished.getJsonObject("steps").getJsonObject("A").getJsonObject("result").getString("step"))
      .isEqualTo("A");
    JsonObject wf = until(second, "succeeded after the restart", id, w -> "succeeded".equals(w.getString("state")));
    assertThat(wf.getJsonObject("steps").getJsonObject("A").getJsonObject("result").getString("step")).isEqualTo("A");
    assertThat(EFFECTS.get(run + "/A").get()).as("A succeeded before the stop: not run again").isEqualTo(1);
    assertThat(EFFECTS.get(run + "/B").get()).as("B: held before the stop, run again after").isEqualTo(2);
    JsonObject again = call(second, Addresses.Workflows.SUBMIT, keyed);
    assertThat(again.getString("id")).isEqualTo(id);
    assertThat(again.getBoolean("existing")).isTrue();
    cluster.stop(second).await(60, TimeUnit.SECONDS);
  }
}
