package io.steward.tasks;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Task types for tests, registered programmatically (as an embedding application would):
 * <ul>
 *   <li>{@code test.block {gate, cooperative}}: waits until the test opens its gate; a cooperative one stops
 *       when interrupted, an uncooperative one ignores interrupts;</li>
 *   <li>{@code test.flaky {key, failures}}: fails its first {@code failures} attempts, then succeeds;</li>
 *   <li>{@code test.count {key}}: counts its runs;</li>
 *   <li>{@code test.attempts {gate, fail?}}: attempt n counts its run under {@code <gate>-<n>}, waits until the test
 *       opens gate {@code <gate>-<n>}, then fails if n is in {@code fail}, else answers n.</li>
 * </ul>
 */
final class TestTypes {

  static final ConcurrentHashMap<String, Gate> GATES = new ConcurrentHashMap<>();
  static final ConcurrentHashMap<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

  private TestTypes() {
  }

  static final class Gate {
    final CountDownLatch open = new CountDownLatch(1);
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicBoolean interrupted = new AtomicBoolean();
    final CountDownLatch returned = new CountDownLatch(1);

    void open() {
      open.countDown();
    }

    boolean awaitStarted() throws InterruptedException {
      return started.await(30, TimeUnit.SECONDS);
    }
  }

  static Gate gate(String name) {
    return GATES.computeIfAbsent(name, n -> new Gate());
  }

  static int runs(String key) {
    return RUNS.computeIfAbsent(key, k -> new AtomicInteger()).get();
  }

  static void register() {
    TaskTypes.register(TaskType.of("test.block", TestTypes::block));
    TaskTypes.register(TaskType.of("test.flaky", ctx -> {
      JsonObject p = (JsonObject) ctx.payload();
      int n = RUNS.computeIfAbsent(p.getString("key"), k -> new AtomicInteger()).incrementAndGet();
      if (n <= p.getInteger("failures")) {
        throw new TaskFailure("flaky failure " + n);
      }
      return new JsonObject().put("run", n).put("attempt", ctx.attempt());
    }));
    TaskTypes.register(TaskType.of("test.attempts", ctx -> {
      JsonObject p = (JsonObject) ctx.payload();
      String name = p.getString("gate") + "-" + ctx.attempt();
      RUNS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
      Gate g = gate(name);
      g.started.countDown();
      try {
        g.open.await();
      } finally {
        g.returned.countDown();
      }
      if (p.getJsonArray("fail", new JsonArray()).contains(ctx.attempt())) {
        throw new TaskFailure("attempt " + ctx.attempt() + " fails");
      }
      return ctx.attempt();
    }));
    TaskTypes.register(TaskType.of("test.count", ctx ->
      RUNS.computeIfAbsent(((JsonObject) ctx.payload()).getString("key"), k -> new AtomicInteger()).incrementAndGet()));
  }

  private static Object block(TaskContext ctx) throws InterruptedException {
    Fields f = Fields.nested((JsonObject) ctx.payload(), "payload");
    Gate g = gate(f.string("gate"));
    boolean cooperative = f.bool("cooperative", true);
    g.started.countDown();
    try {
      while (true) {
        try {
          g.open.await();
          return new JsonObject().put("gate", "opened");
        } catch (InterruptedException e) {
          g.interrupted.set(true);
          if (cooperative) {
            throw e;
          }
        }
      }
    } finally {
      g.returned.countDown();
    }
  }
}
