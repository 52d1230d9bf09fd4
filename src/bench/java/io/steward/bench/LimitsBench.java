package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.TestCluster;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cost of cluster-wide limits (docs/tasks.md, "Cluster-wide limits"): the same tasks, a body of 1 ms (a sleep: the
 * I/O a limit protects) that counts how many bodies of its supervisor run at once, on two nodes of one cluster in this
 * JVM (8 workers each), through three supervisors alike but for their limit: none; {@code clusterLimit} 16 (as many
 * as the workers: it never binds, so what it costs is the slot taken and given back per task); {@code clusterLimit}
 * 4 (it binds: at most 4 run, so at most 4 000 tasks/s of 1 ms). Submits go to both nodes (the bus spreads them);
 * the rounds alternate, so a noisy machine hurts each alike. Each line gives tasks/s and the most bodies seen running
 * at once across the cluster, which must never be over the limit.
 *
 * <p>{@code mvn -B -q -Pbench verify -Dbench=limits}
 */
final class LimitsBench {

  private static final int TASKS = 4_000;
  private static final int ROUNDS = 3;
  private static final String TYPE = "bench.limited";
  private static final Map<String, AtomicInteger> NOW = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> MAX = new ConcurrentHashMap<>();

  private LimitsBench() {
  }

  static void main() throws Exception {
    TaskTypes.register(TaskType.of(TYPE, ctx -> {
      String sup = ctx.supervisor();
      int now = NOW.computeIfAbsent(sup, s -> new AtomicInteger()).incrementAndGet();
      MAX.computeIfAbsent(sup, s -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      try {
        Thread.sleep(1);
      } finally {
        NOW.get(sup).decrementAndGet();
      }
      TasksBench.count();
      return null;
    }));
    TestCluster cluster = TestCluster.create(LimitsBench.class, 2);
    JsonObject tasks = new JsonObject().put("supervisors", new JsonObject()
      .put("unlimited", new JsonObject().put("workers", 8).put("maxQueued", 100_000))
      .put("limit16", new JsonObject().put("workers", 8).put("maxQueued", 100_000).put("clusterLimit", 16))
      .put("limit4", new JsonObject().put("workers", 8).put("maxQueued", 100_000).put("clusterLimit", 4)));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("tasks"), new JsonObject().put("tasks", tasks)
      .put("metrics", new JsonObject().put("vertx", false)));
    Context sender = TasksBench.idleEventLoop(nodes.get(0).vertx());
    List<String> supervisors = List.of("unlimited", "limit16", "limit4");
    try {
      for (String sup : supervisors) { // warm-up: JIT, partitions, the limit entries
        run(nodes, sender, sup);
      }
      MAX.clear();
      double[][] rates = new double[supervisors.size()][ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        StringBuilder line = new StringBuilder("  round " + (r + 1) + ":");
        for (int k = 0; k < supervisors.size(); k++) {
          rates[k][r] = run(nodes, sender, supervisors.get(k));
          line.append(String.format(" %s %,.0f/s;", supervisors.get(k), rates[k][r]));
        }
        System.out.println(line);
      }
      System.out.println("limits: two nodes, 8 workers each, " + TASKS + " tasks of 1 ms per round, fire-and-forget submits");
      for (int k = 0; k < supervisors.size(); k++) {
        String sup = supervisors.get(k);
        double best = 0;
        for (double v : rates[k]) {
          best = Math.max(best, v);
        }
        System.out.printf("  %-10s best %,8.0f tasks/s (%.2fx unlimited); most running at once across the cluster: %d%n",
          sup, best, best / max(rates[0]), MAX.getOrDefault(sup, new AtomicInteger()).get());
      }
    } finally {
      cluster.close();
    }
  }

  private static double max(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  private static double run(List<StewardNode> nodes, Context sender, String supervisor) throws Exception {
    JsonObject task = new JsonObject().put("type", TYPE).put("supervisor", supervisor);
    return TasksBench.throughput(sender, TASKS, i -> nodes.get(0).vertx().eventBus().send(Addresses.Tasks.SUBMIT, task));
  }
}
