package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.FreePorts;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Fan-out through {@code steward.fanout.run} on the bus against the same work hand-written, in the same run,
 * on a one-node Steward cluster (default settings but {@code fanout.maxItems}) with a trivial local consumer
 * that answers each integer with itself.
 *
 * <ul>
 *   <li><b>throughput</b>: 200 000 items at concurrency 64. Fan-out time is from sending the request to
 *       having the reply, so it includes copying the 200 000-item request into the fan-out (the bus copies
 *       local messages), validating it, and building and copying the 200 000-entry reply. The peer is a
 *       plain request loop on an event loop keeping 64 in flight (each answer sends the next), keeping the
 *       reply bodies in an array.</li>
 *   <li><b>in flight</b>: 10 000 requests sent together (concurrency 10 000) and awaited; the peer sends
 *       10 000 requests and waits with {@code Future.all}.</li>
 * </ul>
 * The peer runs on the fan-out verticle's event loop and the consumer on another, so both pay the same thread
 * hops. Rounds alternate fan-out and peer after a warm-up; medians are compared.
 */
final class FanoutBench {

  static final String ECHO = "bench.fanout.echo";
  static final int BIG = 200_000;
  static final int CONCURRENCY = 64;
  static final int BURST = 10_000;
  static final int WARMUP = 3;
  static final int ROUNDS = 7;

  private FanoutBench() {
  }

  static void main() throws Exception {
    int base = FreePorts.block(4);
    JsonObject config = new JsonObject()
      .put("modules", new JsonArray().add("fanout"))
      .put("cluster", new JsonObject().put("name", "bench-fanout-" + UUID.randomUUID()).put("port", base)
        .put("members", new JsonArray().add("127.0.0.1:" + base)))
      .put("fanout", new JsonObject().put("maxItems", BIG))
      .put("store", new JsonObject().put("kind", "none"));
    StewardNode node = StewardNode.start(config).await(120, TimeUnit.SECONDS);
    try {
      Vertx vertx = node.vertx();
      // Same topology for both: the peer runs on the fan-out verticle's event loop, the consumer on another one,
      // so every request and reply crosses threads either way.
      EventLoop fanoutLoop = fanoutEventLoop(vertx);
      Context peerContext = ((VertxInternal) vertx).contextBuilder().withEventLoop(fanoutLoop).build();
      ContextInternal echoContext;
      do {
        echoContext = ((VertxInternal) vertx).createEventLoopContext();
      } while (echoContext.nettyEventLoop() == fanoutLoop);
      Promise<Void> registered = Promise.promise();
      echoContext.runOnContext(v -> vertx.eventBus().<Integer>consumer(ECHO, m -> m.reply(m.body())).completion()
        .onComplete(registered));
      registered.future().await(10, TimeUnit.SECONDS);

      JsonObject big = request(BIG, CONCURRENCY);
      JsonObject burst = request(BURST, BURST);
      long[] fanBig = new long[ROUNDS];
      long[] fanBigInside = new long[ROUNDS];
      long[] peerBig = new long[ROUNDS];
      long[] fanBurst = new long[ROUNDS];
      long[] peerBurst = new long[ROUNDS];
      for (int r = -WARMUP; r < ROUNDS; r++) {
        System.gc();
        long[] f = fanout(vertx, big, BIG);
        System.gc();
        long p = window(vertx, peerContext, BIG, CONCURRENCY);
        System.gc();
        long[] fb = fanout(vertx, burst, BURST);
        System.gc();
        long pb = all(vertx, peerContext, BURST);
        if (r >= 0) {
          fanBig[r] = f[0];
          fanBigInside[r] = f[1];
          peerBig[r] = p;
          fanBurst[r] = fb[0];
          peerBurst[r] = pb;
          System.out.printf("  round %d: 200k@64 fan-out %.1f ms (inside the run %d ms), peer %.1f ms; 10k in flight "
            + "fan-out %.2f ms, peer %.2f ms%n", r + 1, ms(f[0]), f[1], ms(p), ms(fb[0]), ms(pb));
        }
      }
      Stats fb = Stats.of(fanBig);
      Stats pbig = Stats.of(peerBig);
      Stats fbi = Stats.of(fanBigInside);
      Stats fburst = Stats.of(fanBurst);
      Stats pburst = Stats.of(peerBurst);
      System.out.printf("fanout: 200k items at concurrency 64 via steward.fanout.run: median %.0f ms = %.0f items/s "
          + "(best %.0f items/s; run alone, without request/reply copies: median %.0f ms); hand-written window peer: "
          + "median %.0f ms = %.0f items/s; ratio fan-out/peer %.2f (goal >= 150k items/s, ratio <= 1.5)%n",
        ms(fb.median()), BIG / (fb.median() / 1e9), BIG / (fb.min() / 1e9), fbi.median(), ms(pbig.median()),
        BIG / (pbig.median() / 1e9), fb.median() / pbig.median());
      System.out.printf("fanout: 10k requests in flight together and awaited via steward.fanout.run: median %.1f ms "
          + "(best %.1f); Future.all peer: median %.1f ms (best %.1f); ratio %.2f (goal < 50 ms, ratio <= 1.5)%n",
        ms(fburst.median()), ms(fburst.min()), ms(pburst.median()), ms(pburst.min()), fburst.median() / pburst.median());
      System.out.printf("fanout: %d rounds after %d warm-up rounds, one node, %d cores, %s; shared machine, figures are noisy%n",
        ROUNDS, WARMUP, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    } finally {
      node.stop(5_000).await(60, TimeUnit.SECONDS);
    }
  }

  private static EventLoop fanoutEventLoop(Vertx vertx) {
    for (DeploymentContext d : ((VertxInternal) vertx).deploymentManager().deployments()) {
      if (d.deployment().identifier().endsWith(".FanoutVerticle")) {
        return ((ContextInternal) d.deployment().contexts().iterator().next()).nettyEventLoop();
      }
    }
    throw new IllegalStateException("the fanout module is not deployed");
  }

  private static JsonObject request(int items, int concurrency) {
    JsonArray list = new JsonArray(new ArrayList<>(items));
    for (int i = 0; i < items; i++) {
      list.add(i);
    }
    return new JsonObject().put("address", ECHO).put("items", list).put("concurrency", concurrency)
      .put("timeoutMs", 60_000).put("deadlineMs", 120_000);
  }

  /** Nanoseconds from request to reply, and the run's own elapsedMs. */
  private static long[] fanout(Vertx vertx, JsonObject request, int expected) throws Exception {
    long t0 = System.nanoTime();
    JsonObject reply = (JsonObject) vertx.eventBus().request(Addresses.Fanout.RUN, request,
      new DeliveryOptions().setSendTimeout(180_000)).await(200, TimeUnit.SECONDS).body();
    long took = System.nanoTime() - t0;
    int ok = reply.getJsonObject("counts").getInteger("ok");
    if (ok != expected) {
      throw new IllegalStateException("fan-out answered " + ok + " of " + expected + ": " + reply.getJsonObject("counts"));
    }
    return new long[] {took, reply.getLong("elapsedMs")};
  }

  /** The hand-written sliding window: {@code concurrency} in flight, each answer sends the next. */
  private static long window(Vertx vertx, Context context, int total, int concurrency) throws Exception {
    Promise<Object[]> done = Promise.promise();
    long t0 = System.nanoTime();
    context.runOnContext(v -> new Object() {
      final EventBus bus = vertx.eventBus();
      final DeliveryOptions options = new DeliveryOptions().setSendTimeout(60_000);
      final Object[] results = new Object[total];
      int next;
      int answered;

      void start() {
        for (int i = 0; i < concurrency; i++) {
          send();
        }
      }

      void send() {
        int i = next++;
        bus.request(ECHO, i, options).onComplete((Message<Object> m, Throwable err) -> {
          results[i] = err == null ? m.body() : err;
          if (++answered == total) {
            done.complete(results);
          } else if (next < total) {
            send();
          }
        });
      }
    }.start());
    Object[] results = done.future().await(200, TimeUnit.SECONDS);
    long took = System.nanoTime() - t0;
    check(results);
    return took;
  }

  /** The hand-written burst: every request at once, {@code Future.all}. */
  private static long all(Vertx vertx, Context context, int total) throws Exception {
    Promise<List<Object>> done = Promise.promise();
    long t0 = System.nanoTime();
    context.runOnContext(v -> {
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(60_000);
      List<Future<Message<Object>>> futures = new ArrayList<>(total);
      for (int i = 0; i < total; i++) {
        futures.add(vertx.eventBus().request(ECHO, i, options));
      }
      Future.all(futures).onComplete((all, err) -> {
        List<Object> bodies = new ArrayList<>(total);
        for (Future<Message<Object>> f : futures) {
          bodies.add(f.succeeded() ? f.result().body() : f.cause());
        }
        done.complete(bodies);
      });
    });
    List<Object> bodies = done.future().await(200, TimeUnit.SECONDS);
    long took = System.nanoTime() - t0;
    check(bodies.toArray());
    return took;
  }

  private static void check(Object[] results) {
    for (int i = 0; i < results.length; i++) {
      if (!(results[i] instanceof Integer n) || n != i) {
        throw new IllegalStateException("peer result " + i + " is " + results[i]);
      }
    }
  }

  private static double ms(double nanos) {
    return nanos / 1e6;
  }
}
