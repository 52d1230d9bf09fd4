package io.steward.campaign;

import io.steward.testing.NodeProcess;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The seeded mix of operations, one every {@value #PERIOD_MS} ms on any node (a down or cut-off node included: its
 * answer, or the lack of one, is part of the history): durable and temporary {@code bus} task submits with and
 * without keys and {@code uniqueForMs}, cache puts, deletes, {@code opId} increments and {@code getOrCompute} on a
 * few hot keys, and jobs put and deleted. Which operation comes next is drawn by one thread from the seed, so a
 * replay makes the same operations in the same order; when each completes depends on the run. 48 calls may be in
 * flight (a paused node holds each of its calls for the 10 s of the client's timeout).
 */
final class Workload {

  static final long PERIOD_MS = 50;
  static final String CACHE = "data";
  private static final String[] TASK_KEYS = {"tk0", "tk1", "tk2"};
  private static final String[] PUT_KEYS = {"p0", "p1", "p2", "p3"};
  private static final String[] COUNTERS = {"c0", "c1"};

  private final Plan plan;
  private final Ops ops;
  private final List<NodeProcess> nodes;
  private final Random random;
  private final ScheduledExecutorService generator = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "campaign-workload"));
  private final ExecutorService calls = Executors.newFixedThreadPool(48, r -> daemon(r, "campaign-op"));
  private final List<String> churnJobs = new ArrayList<>();
  private long drawn;
  private int computeGeneration;

  Workload(Plan plan, Ops ops, List<NodeProcess> nodes) {
    this.plan = plan;
    this.ops = ops;
    this.nodes = nodes;
    this.random = new Random(plan.workloadSeed());
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  void start() {
    generator.scheduleAtFixedRate(this::next, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  /** Stops drawing operations and waits (bounded) for those in flight to complete. */
  void stop() throws InterruptedException {
    generator.shutdown();
    generator.awaitTermination(10, TimeUnit.SECONDS);
    calls.shutdown();
    if (!calls.awaitTermination(60, TimeUnit.SECONDS)) {
      calls.shutdownNow(); // the invokes left without a completion count as info
    }
  }

  /** Every cache key an operation may have touched, for the final reads. */
  List<String> cacheKeys() {
    List<String> keys = new ArrayList<>(List.of(PUT_KEYS));
    keys.addAll(List.of(COUNTERS));
    for (int g = 0; g <= computeGeneration; g++) {
      keys.add("g" + g);
    }
    return keys;
  }

  private void next() {
    long n = drawn++;
    NodeProcess node = nodes.get(random.nextInt(nodes.size()));
    int x = random.nextInt(100);
    Runnable op;
    if (x < 35) {
      op = submit(n, node);
    } else if (x < 50) {
      String key = PUT_KEYS[random.nextInt(PUT_KEYS.length)];
      String value = "v" + n;
      op = () -> ops.call("cache.put", node, new JsonObject().put("cache", CACHE).put("key", key).put("value", value), "PUT",
        "/caches/" + CACHE + "/" + key, new JsonObject().put("value", value), a -> new JsonObject());
    } else if (x < 55) {
      String key = PUT_KEYS[random.nextInt(PUT_KEYS.length)];
      op = () -> ops.call("cache.delete", node, new JsonObject().put("cache", CACHE).put("key", key), "DELETE",
        "/caches/" + CACHE + "/" + key, null, a -> new JsonObject());
    } else if (x < 72) {
      String key = COUNTERS[random.nextInt(COUNTERS.length)];
      String opId = "s" + plan.seed() + "-" + n;
      op = () -> ops.call("cache.incr", node, new JsonObject().put("cache", CACHE).put("key", key).put("opId", opId).put("delta", 1),
        "POST", "/caches/" + CACHE + "/" + key + "/update", new JsonObject().put("increment", 1).put("initial", 0).put("opId", opId),
        a -> new JsonObject().put("value", a.getValue("value")).put("duplicate", a.getBoolean("duplicate", false)));
    } else if (x < 92) {
      if (random.nextInt(8) == 0) {
        computeGeneration++;
      }
      String key = "g" + computeGeneration;
      op = () -> ops.call("cache.compute", node, new JsonObject().put("cache", CACHE).put("key", key), "POST",
        "/caches/" + CACHE + "/" + key + "/compute",
        new JsonObject().put("compute", new JsonObject().put("address", Observer.COMPUTE)).put("timeoutMs", 5_000),
        a -> new JsonObject().put("value", a.getValue("value")).put("computed", a.getBoolean("computed", false)));
    } else if (x < 96 || churnJobs.isEmpty()) {
      String job = "churn-" + n;
      churnJobs.add(job);
      long every = 200 + 100L * random.nextInt(9);
      op = () -> Campaign.putJob(ops, node, new Plan.Job(job, "cluster", every, "skip", "skip", -1));
    } else {
      String job = churnJobs.remove(random.nextInt(churnJobs.size()));
      op = () -> Campaign.deleteJob(ops, node, job);
    }
    calls.execute(op);
  }

  private Runnable submit(long n, NodeProcess node) {
    boolean durable = random.nextInt(10) < 6;
    String key = random.nextInt(10) < 4 ? TASK_KEYS[random.nextInt(TASK_KEYS.length)] : null;
    Long uniqueForMs = key != null && random.nextBoolean() ? 2_000L + 1_000L * random.nextInt(9) : null;
    String marker = "m" + plan.seed() + "-" + n;
    JsonObject body = new JsonObject().put("marker", marker);
    JsonObject submit = new JsonObject().put("type", "bus")
      .put("payload", new JsonObject().put("address", Observer.EFFECTS).put("body", body).put("timeoutMs", 5_000));
    if (durable) {
      submit.put("restart", "transient").put("maxRestarts", 10).put("withinMs", 600_000);
    }
    JsonObject fields = new JsonObject().put("durable", durable).put("marker", marker);
    if (key != null) {
      submit.put("key", key);
      body.put("key", key);
      fields.put("key", key);
    }
    if (uniqueForMs != null) {
      submit.put("uniqueForMs", uniqueForMs);
      fields.put("uniqueForMs", uniqueForMs);
    }
    return () -> ops.call("task.submit", node, fields, "POST", "/tasks", submit,
      a -> new JsonObject().put("taskId", a.getString("id")).put("existing", a.getBoolean("existing", false)));
  }
}
