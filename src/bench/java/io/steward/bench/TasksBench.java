package io.steward.bench;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.steward.bus.Addresses;
import io.steward.observe.Metrics;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.TestCluster;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * Supervised fire-and-forget throughput and submit-to-start latency of the tasks module on one node, beside
 * its peers measured in the same run with the same parallelism and the same sender: a bare
 * {@code eventBus.send} to a worker-verticle consumer, and a plain {@code ExecutorService}. Trivial handler
 * (counts). Temporary and durable tasks. Also the latency of the cluster-wide record of temporary tasks,
 * which bounds the window in which a just-accepted temporary task could vanish unreported with its node.
 *
 * <p>{@code mvn -B -q -Pbench verify -Dbench=tasks}
 */
final class TasksBench {

  private static final int WORKERS = 2;
  private static final int TEMPORARY_TASKS = 500_000;
  private static final int DURABLE_TASKS = 100_000;
  private static final int WINDOW = 20_000;
  private static final int BURST = 1_000;
  private static final int ROUNDS = 5;
  private static final int LATENCY_RATE_PER_MS = 20;
  private static final int LATENCY_SAMPLES = 40_000;
  private static final String PEER = "bench.tasks.peer";

  private static final AtomicLong DONE = new AtomicLong();
  private static volatile long target;
  private static volatile java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(0);
  private static long[] latencies = new long[0];
  private static final AtomicLong LATENCY_INDEX = new AtomicLong();

  private TasksBench() {
  }

  static void main() throws Exception {
    TaskTypes.register(TaskType.of("bench.count", ctx -> {
      count(); // the trivial handler
      return null;
    }));
    TaskTypes.register(TaskType.of("bench.latency", ctx -> {
      record(((JsonObject) ctx.payload()).getLong("t")); // how long after its submit it started
      return null;
    }));
    TestCluster cluster = TestCluster.create(TasksBench.class, 1);
    JsonObject tasks = new JsonObject().put("supervisors", new JsonObject()
      .put("bench", new JsonObject().put("workers", WORKERS).put("maxQueued", 100_000)))
      .put("maxEvents", 2_000);
    StewardNode node = cluster.start(List.of("tasks"), new JsonObject().put("tasks", tasks)
      .put("metrics", new JsonObject().put("vertx", false))).await(60, TimeUnit.SECONDS);
    Vertx vertx = node.vertx();
    vertx.deployVerticle(() -> new AbstractVerticle() {
      @Override
      public void start() {
        vertx.eventBus().<JsonObject>consumer(PEER, m -> handle(m.body()));
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(WORKERS)).await(30, TimeUnit.SECONDS);
    ExecutorService executor = Executors.newFixedThreadPool(WORKERS);
    Context sender = idleEventLoop(vertx);

    JsonObject temporary = new JsonObject().put("type", "bench.count").put("supervisor", "bench");
    JsonObject durable = temporary.copy().put("restart", "transient");
    try {
      // Warm-up: JIT, Hazelcast partitions, subscription caches.
      for (int w = 0; w < 2; w++) {
        throughput(sender, TEMPORARY_TASKS, i -> vertx.eventBus().send(Addresses.Tasks.SUBMIT, temporary));
        throughput(sender, TEMPORARY_TASKS, i -> vertx.eventBus().send(PEER, temporary));
        throughput(sender, TEMPORARY_TASKS, i -> executor.execute(TasksBench::count));
        throughput(sender, DURABLE_TASKS, i -> vertx.eventBus().send(Addresses.Tasks.SUBMIT, durable));
      }

      double[] tasksRate = new double[ROUNDS];
      double[] peerRate = new double[ROUNDS];
      double[] execRate = new double[ROUNDS];
      double[] durableRate = new double[ROUNDS];
      double[] peerRatio = new double[ROUNDS];
      double[] execRatio = new double[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        tasksRate[r] = throughput(sender, TEMPORARY_TASKS, i -> vertx.eventBus().send(Addresses.Tasks.SUBMIT, temporary));
        peerRate[r] = throughput(sender, TEMPORARY_TASKS, i -> vertx.eventBus().send(PEER, temporary));
        execRate[r] = throughput(sender, TEMPORARY_TASKS, i -> executor.execute(TasksBench::count));
        durableRate[r] = throughput(sender, DURABLE_TASKS, i -> vertx.eventBus().send(Addresses.Tasks.SUBMIT, durable));
        peerRatio[r] = peerRate[r] / tasksRate[r];
        execRatio[r] = execRate[r] / tasksRate[r];
        System.out.printf("  round %d: temporary %,.0f/s, bare eventBus.send %,.0f/s (%.2fx), ExecutorService %,.0f/s (%.2fx), "
          + "durable %,.0f/s%n", r + 1, tasksRate[r], peerRate[r], peerRatio[r], execRate[r], execRatio[r], durableRate[r]);
      }
      double t = median(tasksRate);
      double p = median(peerRate);
      double e = median(execRate);
      double d = median(durableRate);
      System.out.printf("tasks: temporary fire-and-forget %,.0f tasks/s (goal >= 300,000); bare eventBus.send to a worker "
        + "consumer %,.0f/s, ratio %.2fx (median of the rounds' ratios; goal <= 2x); ExecutorService %,.0f/s, ratio %.2fx%n",
        t, p, median(peerRatio), e, median(execRatio));
      System.out.printf("tasks: durable (transient) fire-and-forget %,.0f tasks/s (goal >= 20,000); %.2fx slower than temporary%n",
        d, t / d);

      JsonObject latencyTemporary = new JsonObject().put("type", "bench.latency").put("supervisor", "bench");
      Stats ours = latency(vertx, sender, t0 -> vertx.eventBus().send(Addresses.Tasks.SUBMIT,
        latencyTemporary.copy().put("payload", new JsonObject().put("t", t0))));
      Stats peer = latency(vertx, sender, t0 -> vertx.eventBus().send(PEER, new JsonObject().put("t", t0)));
      Stats exec = latency(vertx, sender, t0 -> executor.execute(() -> record(t0)));
      Stats durableLatency = latency(vertx, sender, t0 -> vertx.eventBus().send(Addresses.Tasks.SUBMIT,
        latencyTemporary.copy().put("restart", "transient").put("payload", new JsonObject().put("t", t0))));
      System.out.printf("tasks: submit-to-start latency at %,d/s: temporary p50 %.0f us, p99 %.0f us; bare eventBus.send "
          + "p50 %.0f us, p99 %.0f us; ExecutorService p50 %.0f us, p99 %.0f us; durable p50 %.0f us, p99 %.0f us%n",
        LATENCY_RATE_PER_MS * 1000, ours.p(50), ours.p(99), peer.p(50), peer.p(99), exec.p(50), exec.p(99),
        durableLatency.p(50), durableLatency.p(99));

      Timer writes = Metrics.registry(vertx).find("steward_tasks_record_write").timer();
      double p50 = 0;
      double p99 = 0;
      for (ValueAtPercentile v : writes.takeSnapshot().percentileValues()) {
        if (v.percentile() == 0.5) {
          p50 = v.value(TimeUnit.MILLISECONDS);
        } else if (v.percentile() == 0.99) {
          p99 = v.value(TimeUnit.MILLISECONDS);
        }
      }
      long publishMs = node.config().section("tasks").getLong("publishMs");
      System.out.printf("tasks: record of temporary tasks: %d writes, p50 %.1f ms, p99 %.1f ms, max %.1f ms; every %d ms "
          + "=> a temporary task accepted less than about %.0f ms (p99) before its node dies may vanish unreported%n",
        writes.count(), p50, p99, writes.max(TimeUnit.MILLISECONDS), publishMs, publishMs + p99);
      System.out.println("tasks: one node, " + WORKERS + " workers for every contender, one sender on an event loop, "
        + "window " + WINDOW + " in flight; JVM " + Runtime.version().feature() + ", " + Runtime.getRuntime().availableProcessors()
        + " cores (shared machine: compare the ratios)");
    } finally {
      executor.shutdownNow();
      cluster.close();
    }
  }

  /**
   * A context on an event loop that no deployed verticle uses, so the sender never shares a thread with the
   * tasks module (or the node) and every contender gets the same sender.
   */
  static Context idleEventLoop(Vertx vertx) {
    VertxInternal vx = (VertxInternal) vertx;
    Set<Object> busy = new HashSet<>();
    for (DeploymentContext d : vx.deploymentManager().deployments()) {
      for (Context c : d.deployment().contexts()) {
        if (c.isEventLoopContext()) {
          busy.add(((ContextInternal) c).nettyEventLoop());
        }
      }
    }
    for (int i = 0; i < 64; i++) {
      ContextInternal c = vx.createEventLoopContext();
      if (!busy.contains(c.nettyEventLoop())) {
        return c;
      }
    }
    throw new IllegalStateException("every event loop runs a verticle; raise vertx.eventLoopPoolSize");
  }

  private static void handle(JsonObject body) {
    Long t = body.getLong("t");
    if (t != null) {
      record(t);
    } else {
      count();
    }
  }

  private static void record(long t0) {
    int i = (int) LATENCY_INDEX.getAndIncrement();
    if (i < latencies.length) {
      latencies[i] = System.nanoTime() - t0;
    }
    count();
  }

  /** One more task ran; the last one of a measurement opens the latch (no spinning: 2 cores). */
  static void count() {
    if (DONE.incrementAndGet() == target) {
      finished.countDown();
    }
  }

  private static void expect(long n) {
    DONE.set(0);
    target = n;
    finished = new java.util.concurrent.CountDownLatch(1);
  }

  /** Sends {@code n} from an event loop with at most {@link #WINDOW} not yet run; tasks per second. */
  static double throughput(Context sender, int n, IntConsumer send) throws Exception {
    expect(n);
    Promise<Void> sent = Promise.promise();
    long start = System.nanoTime();
    sender.runOnContext(v -> pump(sender, n, 0, send, DONE::get, sent));
    sent.future().await(10, TimeUnit.MINUTES);
    finished.await(10, TimeUnit.MINUTES);
    return n / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Sends while the window has room, at most {@link #BURST} per turn of the event loop; when the window is full
   * it looks again a millisecond later instead of spinning (the machine has two cores).
   */
  private static void pump(Context sender, int n, int from, IntConsumer send, LongSupplier done, Promise<Void> sent) {
    int i = from;
    int burstEnd = Math.min(n, from + BURST);
    while (i < burstEnd && i - done.getAsLong() < WINDOW) {
      send.accept(i++);
    }
    if (i >= n) {
      sent.complete();
      return;
    }
    int next = i;
    if (next > from) {
      sender.runOnContext(v -> pump(sender, n, next, send, done, sent));
    } else {
      sender.owner().setTimer(1, t -> pump(sender, n, next, send, done, sent));
    }
  }

  /** {@link #LATENCY_RATE_PER_MS} sends every millisecond, each stamped; the start delay of each, in microseconds. */
  private static Stats latency(Vertx vertx, Context sender, java.util.function.LongConsumer send) throws Exception {
    latencies = new long[LATENCY_SAMPLES];
    LATENCY_INDEX.set(0);
    expect(LATENCY_SAMPLES);
    Promise<Void> sent = Promise.promise();
    AtomicLong count = new AtomicLong();
    sender.runOnContext(v -> vertx.setPeriodic(1, id -> {
      for (int k = 0; k < LATENCY_RATE_PER_MS && count.get() < LATENCY_SAMPLES; k++) {
        count.incrementAndGet();
        send.accept(System.nanoTime());
      }
      if (count.get() >= LATENCY_SAMPLES) {
        vertx.cancelTimer(id);
        sent.complete();
      }
    }));
    sent.future().await(5, TimeUnit.MINUTES);
    finished.await(5, TimeUnit.MINUTES);
    long[] micros = Arrays.stream(latencies).map(ns -> ns / 1_000).toArray();
    return Stats.of(micros);
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
