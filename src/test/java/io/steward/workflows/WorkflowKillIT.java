package io.steward.workflows;

import io.steward.testing.BridgeTap;
import io.steward.testing.FramedClient;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workflows mid-way when a node is SIGKILLed (issue 20): three real processes of the fat jar, every one running
 * {@code tasks} and {@code workflows}; the first (never killed) also the TCP bridge, through which this test is the
 * service every step calls: it counts each request by the step item it is for and the task that sent it, and answers
 * {@link #EFFECT_MS} later, so items are mid-flight at the kill. Eight workflows (first, then a forEach over four
 * items, then last) are submitted to the node that is then killed: it took the submits, it holds part of the records
 * (the partitions of some of the ids) and runs part of the step tasks. Observed from outside only (HTTP, the bridge).
 * Expected (docs/workflows.md, Guarantees): every workflow succeeds on the survivors; each step item ran as one task
 * (one {@code steward-task-id}); its effects are at most its attempts, more only where the task says
 * {@code possibleDuplicate}. Half carry an idempotency key: sent again to a survivor after the kill, each is answered
 * its first workflow ({@code existing: true}) and starts none. Behind a flag (three JVMs):
 * {@code mvn -B -o -q -DskipTests package && mvn -B -o failsafe:integration-test failsafe:verify -Dit.test=WorkflowKillIT -Dworkflows=true}.
 */
@EnabledIfSystemProperty(named = "workflows", matches = "true")
class WorkflowKillIT {

  private static final String EFFECTS = "test.workflows.effects";
  private static final int WORKFLOWS = 8;
  private static final int ITEMS = 4;
  private static final long EFFECT_MS = 1_500;

  @Test
  void workflows_mid_way_on_a_sigkilled_node_finish_on_the_survivors_each_item_one_task() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.create(WorkflowKillIT.class, 3)) {
      cluster.env("STEWARD_MODULES", "http,tasks,workflows")
        .env("STEWARD_BRIDGE_PORT", "0")
        .env("STEWARD_BRIDGE_OUTBOUND", new JsonArray().add(EFFECTS).encode())
        .env("STEWARD_HTTP_TARGETS", new JsonArray().add(EFFECTS).encode())
        .env("STEWARD_CLUSTER_FAILURE_DETECTION_SECONDS", "8")
        .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "500");
      List<NodeProcess> nodes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        NodeProcess n = cluster.add(i == 0 ? Map.of("STEWARD_MODULES", "http,tasks,workflows,bridge") : Map.of());
        cluster.awaitHealthy(n, 180_000);
        nodes.add(n);
      }
      for (NodeProcess n : nodes) {
        cluster.awaitNodeCount(n, 3, 120_000);
      }
      awaitSafe(cluster, nodes.get(0), 3);
      NodeProcess observer = nodes.get(0);
      NodeProcess victim = nodes.get(2);

      try (Effects effects = Effects.listen(List.of(observer))) {
        // The bridge's registration has reached every node once a probe workflow's step arrives.
        String probe = submit(observer, "probe", false, null);
        cluster.await("the probe workflow succeeded", 120_000,
          () -> "succeeded".equals(observer.get("/workflows/" + probe).json().getString("state")));

        // Half of them with an idempotency key: a client that retries on a survivor after the kill (its answer
        // lost) must be answered the same workflow, which runs once.
        String keySuffix = Long.toHexString(System.nanoTime());
        List<String> ids = new ArrayList<>();
        Map<String, String> keyed = new java.util.LinkedHashMap<>();
        for (int i = 0; i < WORKFLOWS; i++) {
          String key = i % 2 == 0 ? "order-" + i + "-" + keySuffix : null;
          String id = submit(victim, "w" + i, true, key);
          ids.add(id);
          if (key != null) {
            keyed.put(key, id);
          }
        }
        cluster.await("items of mid in flight", 120_000, () -> effects.count("mid") >= ITEMS);
        victim.kill();
        for (Map.Entry<String, String> k : keyed.entrySet()) {
          cluster.await("the retry of key " + k.getKey() + " on a survivor answered", 120_000, () -> {
            NodeProcess.Response again = observer.post("/workflows", new JsonObject().put("name", "retry")
              .put("key", k.getKey()).put("steps", new JsonArray().add(step("retry", "first"))).encode());
            if (again.status() == 503 || again.status() == 504) {
              return false; // the key's binding or record is being taken over: retry, as a client would
            }
            assertThat(again.status()).as(again.body()).isEqualTo(202);
            assertThat(again.json().getString("id")).as("the retried key %s: %s", k.getKey(), again.body())
              .isEqualTo(k.getValue());
            assertThat(again.json().getBoolean("existing")).as(again.body()).isTrue();
            return true;
          });
        }

        for (String id : ids) {
          cluster.await("workflow " + id + " succeeded on the survivors", 240_000,
            () -> "succeeded".equals(observer.get("/workflows/" + id).json().getString("state")));
        }
        int reported = 0;
        for (String id : ids) {
          JsonObject wf = observer.get("/workflows/" + id).json();
          String run = wf.getJsonObject("spec").getJsonArray("steps").getJsonObject(0).getJsonObject("payload")
            .getString("run");
          for (String step : List.of("first", "mid", "last")) {
            JsonArray tasks = wf.getJsonObject("steps").getJsonObject(step).getJsonArray("tasks");
            for (int i = 0; i < tasks.size(); i++) {
              JsonObject t = tasks.getJsonObject(i);
              String item = run + "/" + step + "/" + i;
              assertThat(effects.tasks(item)).as("tasks that ran %s (%s)", item, t).containsExactly(t.getString("id"));
              int n = effects.effects(item);
              if (t.getBoolean("possibleDuplicate", false)) {
                reported++;
              } else {
                assertThat(n).as("effects of %s, not reported as possible duplicates (%s)", item, t)
                  .isLessThanOrEqualTo(t.getInteger("attempts"));
              }
            }
          }
        }
        JsonObject retries = observer.get("/workflows?name=retry").json();
        assertThat(retries.getJsonArray("workflows")).as("workflows started by the retried keys: %s", retries).isEmpty();
        System.out.println("WorkflowKillIT: " + reported + " step items reported possibleDuplicate; " + keyed.size()
          + " keys retried on a survivor, each answered its first workflow");
      }
      ProcessCluster.checkNoBlockedThreads(List.of(nodes.get(0), nodes.get(1)));
    }
  }

  private static String submit(NodeProcess node, String name, boolean forEach, String key) {
    String run = name + "-" + Long.toHexString(System.nanoTime());
    JsonArray steps = new JsonArray().add(step(run, "first"));
    if (forEach) {
      steps.add(step(run, "mid", "first").put("forEach", "input")).add(step(run, "last", "mid"));
    }
    JsonArray items = new JsonArray();
    for (int i = 0; i < ITEMS; i++) {
      items.add(i);
    }
    JsonObject body = new JsonObject().put("name", name).put("input", items).put("steps", steps);
    if (key != null) {
      body.put("key", key);
    }
    NodeProcess.Response r = node.post("/workflows", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static JsonObject step(String run, String id, String... deps) {
    return new JsonObject().put("id", id).put("address", EFFECTS).put("timeoutMs", 10_000).put("maxRestarts", 5)
      .put("payload", new JsonObject().put("run", run).put("step", id))
      .put("dependsOn", new JsonArray(List.of((Object[]) deps)));
  }

  private static void awaitSafe(ProcessCluster cluster, NodeProcess node, int members) throws Exception {
    cluster.await(node.name() + " sees " + members + " members and every partition backed up", 120_000, () -> {
      NodeProcess.Response r = node.get("/health");
      if (r.status() != 200) {
        return false;
      }
      for (Object c : r.json().getJsonArray("checks", new JsonArray())) {
        JsonObject check = (JsonObject) c;
        JsonObject data = check.getJsonObject("data");
        if ("cluster".equals(check.getString("id")) && data != null) {
          return Boolean.TRUE.equals(data.getBoolean("safe")) && data.getInteger("members", 0) == members;
        }
      }
      return false;
    });
  }

  /** The steps' requests, as the service behind the bridge received them, answered {@link #EFFECT_MS} later. */
  static final class Effects implements AutoCloseable {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> taskIds = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> bySteps = new ConcurrentHashMap<>();
    private final ScheduledExecutorService replies = Executors.newSingleThreadScheduledExecutor();
    private BridgeTap tap;

    static Effects listen(List<NodeProcess> nodes) throws IOException {
      Effects out = new Effects();
      out.tap = BridgeTap.listen(nodes, EFFECTS, out::read);
      return out;
    }

    private void read(int index, FramedClient c, JsonObject frame) {
      JsonObject headers = frame.getJsonObject("headers");
      JsonObject body = frame.getJsonObject("body");
      if (!"message".equals(frame.getString("type")) || headers == null || body == null) {
        return;
      }
      String step = body.getString("step");
      String item = body.getString("run") + "/" + step + "/" + body.getInteger("index", 0);
      counts.computeIfAbsent(item, k -> new AtomicInteger()).incrementAndGet();
      bySteps.computeIfAbsent(step, k -> new AtomicInteger()).incrementAndGet();
      taskIds.computeIfAbsent(item, k -> ConcurrentHashMap.newKeySet()).add(headers.getString("steward-task-id"));
      String replyAddress = frame.getString("replyAddress");
      if (replyAddress != null) {
        JsonObject reply = new JsonObject().put("type", "send").put("address", replyAddress)
          .put("body", new JsonObject().put("item", item));
        replies.schedule(() -> {
          try {
            synchronized (c) {
              c.send(reply);
            }
          } catch (IOException e) {
            System.out.println("bridge connection " + index + " could not answer: " + e);
          }
        }, EFFECT_MS, TimeUnit.MILLISECONDS);
      }
    }

    int count(String step) {
      AtomicInteger n = bySteps.get(step);
      return n == null ? 0 : n.get();
    }

    int effects(String item) {
      AtomicInteger n = counts.get(item);
      return n == null ? 0 : n.get();
    }

    Set<String> tasks(String item) {
      return taskIds.getOrDefault(item, Set.of());
    }

    @Override
    public void close() {
      tap.close();
      replies.shutdownNow();
    }
  }
}
