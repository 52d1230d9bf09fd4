package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node running durable and temporary tasks is SIGKILLed. The side effects are counted in the test JVM (a
 * lite member that holds no data, so nothing counted dies with the node): every durable task is a {@code bus}
 * task whose request reaches a consumer here, which holds its reply until the test lets go, so the tasks are
 * mid-flight when the node dies. Then: every durable task reaches a final state on the survivor, each side
 * effect happened at least once, duplicates are no more than the tasks that were running on the dead node and
 * each is reported; the temporary tasks are reported lost.
 */
class TasksProcessIT {

  private static final int WORKERS = 4;
  /** Durable tasks recorded as running before a worker is free: 0 here, so the report is exact. */
  private static final int DISPATCH_AHEAD = 0;
  private static final int DURABLE = 12;
  private static final int TEMPORARY = 5;
  private static final String EFFECTS = "test.tasks.effects";

  private static ProcessCluster cluster;
  private static Vertx client;
  private static final Map<Integer, AtomicInteger> EFFECTS_SEEN = new ConcurrentHashMap<>();
  private static final List<Message<JsonObject>> HELD = new CopyOnWriteArrayList<>();
  private static final List<JsonObject> EVENTS = new CopyOnWriteArrayList<>();
  private static volatile boolean release;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.create(TasksProcessIT.class, 3)
      .env("STEWARD_MODULES", "http,tasks")
      .env("STEWARD_TASKS_SUPERVISORS", new JsonObject()
        .put("default", new JsonObject().put("workers", WORKERS).put("maxQueued", 100).put("dispatchAhead", DISPATCH_AHEAD))
        .put("idle", new JsonObject().put("workers", TEMPORARY).put("maxQueued", 0)).encode())
      .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "1000");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void a_killed_node_s_durable_tasks_finish_on_the_survivor_and_its_temporary_ones_are_reported_lost() throws Exception {
    NodeProcess victim = cluster.start(1).get(0);
    client = cluster.joinLiteClient();
    client.eventBus().<JsonObject>consumer(EFFECTS, m -> {
      EFFECTS_SEEN.computeIfAbsent(m.body().getInteger("n"), n -> new AtomicInteger()).incrementAndGet();
      if (release) {
        m.reply(new JsonObject().put("done", m.body().getInteger("n")));
      } else {
        HELD.add(m);
      }
    }).completion().await(30, TimeUnit.SECONDS);
    client.eventBus().<JsonObject>consumer(Addresses.Tasks.EVENTS, m -> m.body().getJsonArray("events")
      .forEach(e -> EVENTS.add((JsonObject) e))).completion().await(30, TimeUnit.SECONDS);

    // Only the victim runs tasks yet: everything lands there.
    List<String> durable = new ArrayList<>();
    for (int n = 0; n < DURABLE; n++) {
      durable.add(submit(new JsonObject().put("type", "bus").put("restart", "transient").put("maxRestarts", 3)
        .put("withinMs", 600_000).put("payload", new JsonObject().put("address", EFFECTS)
          .put("body", new JsonObject().put("n", n)).put("timeoutMs", 300_000))));
    }
    List<String> temporary = new ArrayList<>();
    for (int n = 0; n < TEMPORARY; n++) {
      temporary.add(submit(new JsonObject().put("type", "sleep").put("supervisor", "idle")
        .put("payload", new JsonObject().put("ms", 600_000))));
    }
    cluster.await(WORKERS + " durable tasks mid-flight (their requests held here)", 60_000, () -> HELD.size() == WORKERS);
    var liveRecords = Cluster.hazelcast(client).<String, String>getMap(TaskStore.LIVE);
    cluster.await("the victim's temporary tasks recorded cluster-wide", 30_000, () -> liveRecords.values().stream()
      .anyMatch(r -> LiveRecord.decode(r).size() == TEMPORARY));

    String victimId = nodeId(victim);
    NodeProcess survivor = cluster.add(Map.of());
    cluster.awaitHealthy(survivor, 90_000);
    assertThat(survivor.get("/tasks/" + durable.get(0)).json().getString("node")).isEqualTo(victimId);

    // One cluster (a start on a busy machine can be slow enough to split it for a while), and Hazelcast keeps a
    // backup of every entry once the new member holds its replicas: wait for both, as an operator would
    // before taking a node down (docs/tasks.md: guarantees on node death).
    cluster.awaitNodeCount(victim, 2, 60_000);
    cluster.awaitNodeCount(survivor, 2, 60_000);
    cluster.await("the cluster safe (every partition backed up)", 60_000,
      () -> Cluster.hazelcast(client).getPartitionService().isClusterSafe());
    victim.kill();
    release = true;
    for (Message<JsonObject> held : HELD) {
      held.reply(new JsonObject()); // to a dead node: goes nowhere, as a real reply would
    }

    try {
      cluster.await("every durable task final on the survivor", 90_000, () -> durable.stream()
        .allMatch(id -> final_(survivor.get("/tasks/" + id))));
    } catch (Exception e) {
      StringBuilder sb = new StringBuilder();
      for (String id : durable) {
        sb.append('\n').append(survivor.get("/tasks/" + id).body());
      }
      throw new AssertionError(e.getMessage() + "; effects seen " + EFFECTS_SEEN + "; tasks:" + sb, e);
    }
    String survivorId = nodeId(survivor);
    Set<Integer> flagged = new java.util.HashSet<>();
    for (int n = 0; n < DURABLE; n++) {
      JsonObject task = survivor.get("/tasks/" + durable.get(n)).json();
      assertThat(task.getString("state")).as("task %s: %s", n, task).isEqualTo("succeeded");
      assertThat(task.getString("node")).isEqualTo(survivorId);
      assertThat(task.getInteger("takeovers")).isEqualTo(1);
      assertThat(task.getJsonObject("result")).isEqualTo(new JsonObject().put("done", n));
      if (task.getBoolean("possibleDuplicate", false)) {
        flagged.add(n);
      }
    }
    // At least once: every side effect happened. Duplicates: only tasks that were running on the dead node,
    // and every one of them reported.
    assertThat(EFFECTS_SEEN.keySet()).hasSize(DURABLE);
    Set<Integer> duplicated = EFFECTS_SEEN.entrySet().stream().filter(e -> e.getValue().get() > 1).map(Map.Entry::getKey)
      .collect(Collectors.toSet());
    System.out.printf("TasksProcessIT: %d durable tasks, %d mid-flight at the kill, %d side effects run twice, %d reported "
      + "as possible duplicates%n", DURABLE, WORKERS, duplicated.size(), flagged.size());
    assertThat(duplicated).hasSizeLessThanOrEqualTo(WORKERS).isSubsetOf(flagged);
    assertThat(flagged).hasSizeLessThanOrEqualTo(WORKERS + DISPATCH_AHEAD);
    assertThat(EFFECTS_SEEN.values().stream().mapToInt(AtomicInteger::get).max().orElse(0)).isLessThanOrEqualTo(2);
    cluster.await("a restarted event (reason node-lost) for every durable task", 30_000, () -> EVENTS.stream()
      .filter(e -> "restarted".equals(e.getString("event")) && "node-lost".equals(e.getString("reason"))).count() == DURABLE);

    for (String id : temporary) {
      JsonObject task = survivor.get("/tasks/" + id).json();
      assertThat(task.getString("state")).as("temporary %s: %s", id, task).isEqualTo("lost");
      assertThat(task.getString("error")).contains("died while the task was running");
    }
    cluster.await("lost events", 30_000, () -> EVENTS.stream().filter(e -> "lost".equals(e.getString("event"))).count() == TEMPORARY);
    assertThat(survivor.logText().lines().filter(l -> l.contains(" ERROR ") && l.contains("i.s."))).isEmpty();
    assertThat(survivor.get("/health").status()).isEqualTo(200);
  }

  private static String submit(JsonObject task) throws Exception {
    return ((JsonObject) client.eventBus().request(Addresses.Tasks.SUBMIT, task, new DeliveryOptions().setSendTimeout(30_000))
      .await(40, TimeUnit.SECONDS).body()).getString("id");
  }

  private static boolean final_(NodeProcess.Response r) {
    return r.status() == 200 && TaskState.of(r.json().getString("state")).isFinal();
  }

  private static String nodeId(NodeProcess node) {
    for (Object n : node.get("/nodes").json().getJsonArray("nodes")) {
      JsonObject o = (JsonObject) n;
      if (o.getString("name").equals(node.name())) {
        return o.getString("id");
      }
    }
    throw new IllegalStateException("node " + node.name() + " is not in /nodes");
  }
}
