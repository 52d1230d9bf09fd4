package io.steward.reliability;

import io.steward.bus.Addresses;
import io.steward.testing.Bus;
import io.steward.testing.NodeProcess;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 5 of the reliability suite (issue 9): ten times the task capacity at once.
 *
 * <p>Three nodes run {@code tasks} with a bounded supervisor (capacity = workers + maxQueued per node). The test
 * JVM sends ten times the cluster's capacity in one go: half as requests (each must be answered: {@code {id}} or
 * 429, nothing else, nothing silent), half fire-and-forget (each must be accepted or counted as refused in
 * {@code /metrics}). Meanwhile it samples every node's heap. Expected: 429s, every fire-and-forget refusal counted,
 * the heap after a full GC back near where it was, no node unhealthy, and the cluster accepting work again once
 * the queues drain.
 */
class OverloadIT {

  private static final int WORKERS = 8;
  private static final int MAX_QUEUED = Soak.scale(200, 2_000);
  private static final int NODES = 3;
  private static final int CAPACITY = NODES * (WORKERS + MAX_QUEUED);
  private static final int TASK_MS = 20;

  @Test
  void ten_times_the_capacity_at_once_is_refused_with_429s_and_counted_and_the_nodes_stay_healthy_and_recover()
    throws Exception {
    Map<String, String> env = Map.of(
      "STEWARD_MODULES", "http,tasks",
      "STEWARD_TASKS_SUPERVISORS", new JsonObject().put("default", new JsonObject().put("workers", WORKERS)
        .put("maxQueued", MAX_QUEUED)).encode());
    try (Rig rig = Rig.start(OverloadIT.class, NODES, env)) {
      long heapBefore = 0;
      for (NodeProcess n : rig.nodes) {
        heapBefore = Math.max(heapBefore, heapAfterGc(n));
      }
      double submittedBefore = sum(rig, "steward_tasks_submitted_total", Map.of());
      int perKind = CAPACITY * 5;
      AtomicInteger accepted = new AtomicInteger();
      Map<Integer, Integer> refused = new ConcurrentHashMap<>();
      AtomicInteger answered = new AtomicInteger();
      Promise<Void> allAnswered = Promise.promise();
      HeapSampler sampler = new HeapSampler(rig.client, rig.nodes);
      sampler.start();
      long start = System.currentTimeMillis();
      JsonObject task = new JsonObject().put("type", "sleep").put("payload", new JsonObject().put("ms", TASK_MS));
      rig.client.runOnContext(v -> {
        for (int i = 0; i < perKind; i++) {
          rig.bus.<JsonObject>request(Addresses.Tasks.SUBMIT, task, 60_000).onComplete(ar -> {
            if (ar.succeeded()) {
              accepted.incrementAndGet();
            } else {
              refused.merge(Bus.code(ar.cause()), 1, Integer::sum);
            }
            if (answered.incrementAndGet() == perKind) {
              allAnswered.complete();
            }
          });
          rig.client.eventBus().send(Addresses.Tasks.SUBMIT, task);
        }
      });
      allAnswered.future().await(120, TimeUnit.SECONDS);
      long burstMs = System.currentTimeMillis() - start;
      boolean healthyDuring = rig.allHealthy();

      // Every fire-and-forget submit is either accepted (counted as submitted) or refused (counted as rejected).
      long[] fireAndForget = new long[2];
      rig.cluster.await("every fire-and-forget submit counted, accepted or refused", 60_000, () -> {
        fireAndForget[0] = Math.round(sum(rig, "steward_tasks_submitted_total", Map.of()) - submittedBefore) - accepted.get();
        fireAndForget[1] = Math.round(sum(rig, "steward_bus_rejected_total", Map.of("address", Addresses.Tasks.SUBMIT,
          "code", "429")));
        return fireAndForget[0] + fireAndForget[1] >= perKind;
      });
      double supervisorRejected = sum(rig, "steward_tasks_rejected_total", Map.of());
      // Recovery: the queues drain and new work is accepted and run at once.
      rig.cluster.await("the queues drained", 120_000, () -> sum(rig, "steward_tasks_queued", Map.of()) == 0
        && sum(rig, "steward_tasks_running", Map.of()) == 0);
      long recoveredMs = System.currentTimeMillis() - start;
      sampler.stop();
      int runsAfter = 0;
      for (int i = 0; i < 30; i++) {
        JsonObject r = rig.bus.<JsonObject>request(Addresses.Tasks.RUN, new JsonObject().put("type", "echo")
          .put("payload", i), 10_000).await(15, TimeUnit.SECONDS);
        if ("succeeded".equals(r.getString("state"))) {
          runsAfter++;
        }
      }
      long heapAfter = 0;
      for (NodeProcess n : rig.nodes) {
        heapAfter = Math.max(heapAfter, heapAfterGc(n));
      }
      long logged = rig.nodes.stream().mapToLong(n -> n.logText().lines()
        .filter(l -> l.contains("Refused a fire-and-forget message on " + Addresses.Tasks.SUBMIT)).count()).sum();
      long maxLogged = NODES * (burstMs / 10_000 + 2);

      Verdict v = Verdict.of("overload")
        .figure("capacity", CAPACITY)
        .figure("requests", perKind)
        .figure("requests accepted", accepted.get())
        .figure("refused by code", refused)
        .figure("fire-and-forget", perKind)
        .figure("fire-and-forget accepted", fireAndForget[0])
        .figure("refused and counted", fireAndForget[1])
        .figure("silently dropped", perKind - fireAndForget[0] - fireAndForget[1])
        .figure("steward_tasks_rejected_total", Math.round(supervisorRejected))
        .figure("burst ms", burstMs)
        .figure("drained after ms", recoveredMs)
        .figure("heap peak MB", sampler.peak() >> 20)
        .figure("heap samples", sampler.samples())
        .figure("heap after GC before/after MB", (heapBefore >> 20) + "/" + (heapAfter >> 20))
        .figure("refusal log lines", logged);
      v.check(refused.getOrDefault(429, 0) > 0, "no request was refused with 429")
        .check(refused.keySet().stream().allMatch(c -> c == 429), "refusals with other codes than 429: " + refused)
        .check(fireAndForget[0] + fireAndForget[1] == perKind, "fire-and-forget submits neither accepted nor counted: "
          + (perKind - fireAndForget[0] - fireAndForget[1]))
        .check(Math.round(supervisorRejected) == refused.getOrDefault(429, 0) + fireAndForget[1],
          "steward_tasks_rejected_total differs from the refusals seen")
        .check(healthyDuring && rig.allHealthy(), "a node was unhealthy")
        .check(sampler.samples() > 0, "the heap was never sampled")
        .check(sampler.unanswered() == 0, sampler.unanswered() + " /metrics scrapes unanswered during the burst")
        .check(heapAfter - heapBefore < 48L << 20, "the heap after a full GC grew by " + ((heapAfter - heapBefore) >> 20) + " MB")
        .check(sampler.peak() < sampler.max() * 9 / 10, "the heap reached " + (sampler.peak() >> 20) + " MB of "
          + (sampler.max() >> 20))
        .check(runsAfter == 30, "after the burst only " + runsAfter + " of 30 tasks ran")
        .check(logged <= maxLogged, "refusals logged " + logged + " times (rate limit: one line per address and code every 10 s)");
      NodeLogs.check(v, rig.nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  private static double sum(Rig rig, String metric, Map<String, String> labels) {
    double total = 0;
    for (NodeProcess n : rig.alive()) {
      NodeProcess.Response r = n.get("/metrics");
      if (r.status() != 200) {
        throw new IllegalStateException(n.name() + " /metrics answered " + r.status());
      }
      total += Prometheus.sum(r.body(), metric, labels);
    }
    return total;
  }

  /** The heap in use right after a full collection (jcmd GC.run), from the node's own JVM meters. */
  static long heapAfterGc(NodeProcess node) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(node.pid()), "GC.run").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd GC.run failed on " + node.name());
    }
    return Math.round(Prometheus.sum(node.get("/metrics").body(), "jvm_memory_used_bytes", Map.of("area", "heap")));
  }

  /**
   * Samples every node's heap from /metrics every 100 ms (a timer on the client; the blocking scrape on a worker,
   * one at a time) until stopped.
   */
  private static final class HeapSampler {
    private final List<NodeProcess> nodes;
    private final io.vertx.core.Vertx vertx;
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong max = new AtomicLong(Long.MAX_VALUE);
    private final AtomicInteger unanswered = new AtomicInteger();
    private final AtomicInteger samples = new AtomicInteger();
    private long timer;

    HeapSampler(io.vertx.core.Vertx vertx, List<NodeProcess> nodes) {
      this.vertx = vertx;
      this.nodes = nodes;
    }

    void start() {
      timer = vertx.setPeriodic(100, id -> vertx.executeBlocking(() -> {
        sample();
        return null;
      }, true));
    }

    private void sample() {
      for (NodeProcess n : nodes) {
        NodeProcess.Response r = n.get("/metrics");
        if (r.status() != 200) {
          unanswered.incrementAndGet();
          continue;
        }
        samples.incrementAndGet();
        peak.accumulateAndGet(Math.round(Prometheus.sum(r.body(), "jvm_memory_used_bytes", Map.of("area", "heap"))), Math::max);
        max.accumulateAndGet(Math.round(Prometheus.sum(r.body(), "jvm_memory_max_bytes", Map.of("area", "heap"))), Math::min);
      }
    }

    void stop() {
      vertx.cancelTimer(timer);
    }

    long peak() {
      return peak.get();
    }

    long max() {
      return max.get();
    }

    int unanswered() {
      return unanswered.get();
    }

    int samples() {
      return samples.get();
    }
  }
}
