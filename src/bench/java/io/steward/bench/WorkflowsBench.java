package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workflow steps per second beside the same work as plain durable tasks, in one run on a two-node cluster (both
 * nodes {@code tasks} and {@code workflows}; every step a durable {@code bus} task to a consumer that answers at once):
 * <ul>
 *   <li><b>workflows</b>: {@code W} workflows of a chain of {@code S} steps (A, then B with A's result, …), submitted
 *       at once; time from the first submit to the last {@code succeeded} event;</li>
 *   <li><b>hand-chained tasks</b>: the same {@code W} chains written by hand, each step a {@code steward.tasks.run} of
 *       the same durable bus task, the next one sent when the previous answered;</li>
 *   <li><b>plain tasks</b>: the same {@code W×S} durable bus tasks with no dependencies, all submitted at once (the
 *       floor: what the tasks module does without any ordering).</li>
 * </ul>
 * Printed: steps/s of each, and the overhead per step of workflows against hand-chained tasks.
 * {@code mvn -B -q -Pbench verify -Dbench=workflows} (options: {@code -Dbench.jvm="-Dbench.workflows.count=200
 * -Dbench.workflows.steps=5"}).
 */
final class WorkflowsBench {

  private static final int WORKFLOWS = Integer.getInteger("bench.workflows.count", 200);
  private static final int STEPS = Integer.getInteger("bench.workflows.steps", 5);
  private static final int ROUNDS = 3;
  private static final String STEP = "bench.workflows.step";
  private static final AtomicInteger CALLS = new AtomicInteger();

  private WorkflowsBench() {
  }

  static void main() throws Exception {
    TestCluster cluster = TestCluster.create(WorkflowsBench.class, 2);
    JsonObject extra = new JsonObject()
      .put("tasks", new JsonObject().put("supervisors", new JsonObject()
        .put("default", new JsonObject().put("workers", 32).put("maxQueued", 100_000))))
      .put("metrics", new JsonObject().put("vertx", false));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("tasks", "workflows"), extra);
    for (StewardNode n : nodes) {
      n.vertx().eventBus().consumer(STEP, m -> {
        CALLS.incrementAndGet();
        m.reply(new JsonObject().put("ok", true));
      }).completion().await(10, TimeUnit.SECONDS);
    }
    try {
      // Warm-up: JIT, partitions, the key map.
      workflows(nodes);
      chained(nodes);
      plain(nodes);
      double[][] rates = new double[3][ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        rates[0][r] = workflows(nodes);
        rates[1][r] = chained(nodes);
        rates[2][r] = plain(nodes);
        System.out.printf("  round %d: workflows %,.0f steps/s; hand-chained tasks %,.0f steps/s; plain tasks %,.0f tasks/s%n",
          r + 1, rates[0][r], rates[1][r], rates[2][r]);
      }
      double wf = best(rates[0]);
      double chained = best(rates[1]);
      double plain = best(rates[2]);
      int steps = WORKFLOWS * STEPS;
      System.out.printf("workflows: two nodes, %d workflows of a %d-step chain (%d durable bus tasks) per round%n",
        WORKFLOWS, STEPS, steps);
      System.out.printf("  workflows            %,10.0f steps/s (best of %d)%n", wf, ROUNDS);
      System.out.printf("  hand-chained tasks   %,10.0f steps/s%n", chained);
      System.out.printf("  plain tasks          %,10.0f tasks/s (no ordering)%n", plain);
      System.out.printf("  overhead per step against hand-chained tasks: %.2f ms of wall time per step / %d in parallel%n",
        (1_000.0 / wf - 1_000.0 / chained), WORKFLOWS);
    } finally {
      cluster.close();
    }
  }

  private static double best(double[] v) {
    double b = 0;
    for (double x : v) {
      b = Math.max(b, x);
    }
    return b;
  }

  private static JsonObject step(String id, String dep) {
    JsonObject s = new JsonObject().put("id", id).put("address", STEP).put("payload", new JsonObject());
    if (dep != null) {
      s.put("dependsOn", new JsonArray().add(dep));
    }
    return s;
  }

  private static JsonObject task() {
    return new JsonObject().put("type", "bus").put("restart", "transient")
      .put("payload", new JsonObject().put("address", STEP).put("body", new JsonObject()));
  }

  /** Steps per second of {@link #WORKFLOWS} chains as workflows. */
  private static double workflows(List<StewardNode> nodes) throws Exception {
    JsonArray steps = new JsonArray();
    for (int s = 0; s < STEPS; s++) {
      steps.add(step("s" + s, s == 0 ? null : "s" + (s - 1)));
    }
    CountDownLatch done = new CountDownLatch(WORKFLOWS);
    List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.Set<String> ended = java.util.concurrent.ConcurrentHashMap.newKeySet();
    var consumer = nodes.get(0).vertx().eventBus().<JsonObject>consumer(Addresses.Workflows.EVENTS, m -> {
      for (Object o : m.body().getJsonArray("events")) {
        JsonObject e = (JsonObject) o;
        if ("succeeded".equals(e.getString("event")) && ended.add(e.getString("id"))) {
          done.countDown();
        }
      }
    });
    consumer.completion().await(10, TimeUnit.SECONDS);
    long start = System.nanoTime();
    for (int w = 0; w < WORKFLOWS; w++) {
      StewardNode via = nodes.get(w % nodes.size());
      via.vertx().eventBus().request(Addresses.Workflows.SUBMIT, new JsonObject().put("name", "bench")
          .put("steps", steps), new DeliveryOptions().setSendTimeout(60_000))
        .onSuccess(m -> ids.add(((JsonObject) m.body()).getString("id")));
    }
    if (!done.await(300, TimeUnit.SECONDS)) {
      System.out.println("  workflows: only " + (WORKFLOWS - done.getCount()) + " of " + WORKFLOWS + " ended in 300 s");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    consumer.unregister();
    return WORKFLOWS * STEPS / seconds;
  }

  /** Steps per second of the same chains, each step a steward.tasks.run sent when the previous one answered. */
  private static double chained(List<StewardNode> nodes) throws Exception {
    CountDownLatch done = new CountDownLatch(WORKFLOWS);
    long start = System.nanoTime();
    for (int w = 0; w < WORKFLOWS; w++) {
      StewardNode via = nodes.get(w % nodes.size());
      via.vertx().runOnContext(v -> chain(via, 0).onComplete(ar -> done.countDown()));
    }
    done.await(300, TimeUnit.SECONDS);
    return WORKFLOWS * STEPS / ((System.nanoTime() - start) / 1e9);
  }

  private static Future<Void> chain(StewardNode via, int step) {
    if (step == STEPS) {
      return Future.succeededFuture();
    }
    return via.vertx().eventBus().request(Addresses.Tasks.RUN, task(), new DeliveryOptions().setSendTimeout(60_000))
      .compose(m -> chain(via, step + 1));
  }

  /** Tasks per second of the same number of durable bus tasks, all submitted at once. */
  private static double plain(List<StewardNode> nodes) throws Exception {
    int n = WORKFLOWS * STEPS;
    int before = CALLS.get();
    long start = System.nanoTime();
    Promise<Void> all = Promise.promise();
    AtomicInteger answered = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      StewardNode via = nodes.get(i % nodes.size());
      via.vertx().eventBus().request(Addresses.Tasks.RUN, task(), new DeliveryOptions().setSendTimeout(120_000))
        .onComplete(ar -> {
          if (answered.incrementAndGet() == n) {
            all.tryComplete();
          }
        });
    }
    all.future().await(300, TimeUnit.SECONDS);
    if (CALLS.get() - before < n) {
      System.out.println("  plain: " + (CALLS.get() - before) + " of " + n + " ran");
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }
}
