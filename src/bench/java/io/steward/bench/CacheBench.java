package io.steward.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * The cache through the event bus next to its peers, measured in the same run on the same machine:
 * <ul>
 *   <li>get and put through {@code steward.cache.*} next to the Hazelcast {@code IMap} used directly, same JVM,
 *       same keys, on a one-node cluster and on a two-node cluster for keys the other node owns;</li>
 *   <li>near-cache hits through the bus next to a Caffeine cache behind a plain consumer, and both directly.</li>
 * </ul>
 * The bus and its IMap peer are called the same way: from a Vert.x context (a client verticle) with the result
 * back there, the IMap asynchronously with its JSON text decoded (get) or encoded (put), as a Vert.x caller
 * needs and as Steward does; the blocking {@code IMap.get} from a plain thread is printed beside, not compared.
 * Direct near-cache and Caffeine reads run on a plain thread. The Caffeine peer's consumer runs on the cache
 * module's event loop, the client on another loop. Latency: one operation at a time (p50/p99), Steward's and its
 * peer's in alternating blocks. Throughput:
 * {@value #CONCURRENCY} operations in flight. Nodes run in this JVM (real Hazelcast on loopback), so "remote"
 * is a loopback hop.
 */
final class CacheBench {

  private static final int KEYS = 1_000;
  private static final int LATENCY_OPS = 20_000;
  private static final int THROUGHPUT_OPS = 100_000;
  private static final int CONCURRENCY = 32;
  private static final int BLOCK = 500;
  private static final long DIRECT_MS = 2_000;
  private static final String CAFFEINE_GET = "bench.caffeine.get";

  private CacheBench() {
  }

  static void main() throws Exception {
    System.out.println("cache: shared 2-core machine, figures are noisy; ratios are what count (same run)");
    JsonObject caches = new JsonObject().put("cache", new JsonObject().put("caches", new JsonObject()
      .put("bench", new JsonObject())
      .put("benchnear", new JsonObject().put("nearCache", true).put("nearCacheMaxSize", 100_000))))
      // -Dbench.jvm=-Dcache.bench.nio=true: the same on Java NIO event loops, for comparison
      .put("vertx", new JsonObject().put("nativeTransport", !Boolean.getBoolean("cache.bench.nio")));
    try (TestCluster cluster = TestCluster.create(CacheBench.class, 2)) {
      StewardNode one = cluster.start(List.of("cache"), caches).await(120, TimeUnit.SECONDS);
      System.out.println("cache: event loops on " + (one.vertx().isNativeTransportEnabled() ? "epoll (native transport)"
        : "Java NIO") + " (vertx.nativeTransport)");
      List<String> keys = keys(KEYS);
      fill(one, "bench", keys);
      fill(one, "benchnear", keys);

      System.out.println("cache: one-node cluster (every key local)");
      compare(one, "bench", keys, false);

      StewardNode two = cluster.start(List.of("cache"), caches).await(120, TimeUnit.SECONDS);
      Cluster.hazelcast(one.vertx()).getPartitionService().getPartitions(); // settle the partition table
      waitForSafeCluster(Cluster.hazelcast(one.vertx()));
      List<String> remote = ownedBy(Cluster.hazelcast(one.vertx()), keys, false);
      System.out.printf("cache: two-node cluster, caller on node 1, %d keys owned by node 2%n", remote.size());
      compare(one, "bench", remote, true);

      nearCache(one, keys);
      cluster.stop(two).await(60, TimeUnit.SECONDS);
    }
  }

  private static List<String> keys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add("user:" + i);
    }
    return keys;
  }

  private static JsonObject value(int i) {
    return new JsonObject().put("id", i).put("name", "user-" + i).put("score", i * 1.5).put("active", true);
  }

  private static void fill(StewardNode node, String cache, List<String> keys) throws Exception {
    JsonObject entries = new JsonObject();
    for (int i = 0; i < keys.size(); i++) {
      entries.put(keys.get(i), value(i));
    }
    node.vertx().eventBus().request(Addresses.Cache.PUT_ALL, new JsonObject().put("cache", cache).put("entries", entries))
      .await(60, TimeUnit.SECONDS);
  }

  private static void waitForSafeCluster(HazelcastInstance hz) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!hz.getPartitionService().isClusterSafe() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100); // a benchmark, not a test: waiting for migrations to end
    }
  }

  private static List<String> ownedBy(HazelcastInstance hz, List<String> keys, boolean local) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (hz.getPartitionService().getPartition(k).getOwner().localMember() == local) {
        out.add(k);
      }
    }
    return out;
  }

  /**
   * get and put through the bus (this node's consumer) next to the IMap, same keys, same JVM, measured the same
   * way: both issued from the client verticle's context with their result back on it, the IMap's value decoded to
   * JSON (get) and encoded from it (put) as a caller needs and as Steward does.
   */
  private static void compare(StewardNode node, String cache, List<String> keys, boolean remote) throws Exception {
    Vertx vertx = node.vertx();
    IMap<String, String> direct = Cluster.hazelcast(vertx).getMap("bench.direct");
    JsonObject[] values = new JsonObject[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      values[i] = value(i);
      direct.set(keys.get(i), values[i].encode());
    }
    DeliveryOptions here = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
    JsonObject[] gets = bodies(cache, keys, false);
    JsonObject[] puts = bodies(cache, keys, true);
    String where = remote ? "remote key" : "local key";
    int n = keys.size();

    String module = consumerThread(vertx, Addresses.Cache.GET, gets[0]);
    Context client = clientContext(vertx, Set.of(module));
    Result[] get = measure(client, i -> vertx.eventBus().request(Addresses.Cache.GET, gets[i % n], here).toCompletionStage(),
      i -> onClient(client, direct.getAsync(keys.get(i % n)), Json::decodeValue));
    Result busGet = get[0];
    Result mapGet = get[1];
    report("get, " + where, busGet, "IMap.getAsync direct", mapGet);

    Result[] put = measure(client, i -> vertx.eventBus().request(Addresses.Cache.PUT, puts[i % n], here).toCompletionStage(),
      i -> onClient(client, direct.setAsync(keys.get(i % n), values[i % n].encode()), v -> v));
    report("put, " + where, put[0], "IMap.setAsync direct", put[1]);

    Result blocking = blockingLatency(i -> Json.decodeValue(direct.get(keys.get(i % n))));
    System.out.printf("  (not the peer) IMap.get blocking a plain thread, value decoded: p50 %.3f ms, p99 %.3f ms; a caller on "
      + "an event loop cannot block%n", blocking.p50Ms(), blocking.p99Ms());
    if (remote) {
      DeliveryOptions anyNode = new DeliveryOptions().setSendTimeout(30_000);
      Result[] routed = measure(client, i -> vertx.eventBus().request(Addresses.Cache.GET, gets[i % n], anyNode).toCompletionStage(),
        i -> onClient(client, direct.getAsync(keys.get(i % n)), Json::decodeValue));
      report("get, remote, bus picks either node", routed[0], "IMap.getAsync direct", routed[1]);
      Context beside = clientContext(vertx, module::equals, "no client verticle landed on the module's event loop");
      Result[] sameLoop = measure(beside, i -> vertx.eventBus().request(Addresses.Cache.GET, gets[i % n], here).toCompletionStage(),
        i -> onClient(beside, direct.getAsync(keys.get(i % n)), Json::decodeValue));
      report("get, remote, caller on module loop", sameLoop[0], "IMap.getAsync, same caller", sameLoop[1]);
      System.out.printf("  goal: get through the bus within 1.3x of IMap.getAsync for a remote key: p50 %.2fx -> %s%n",
        busGet.p50Ms() / mapGet.p50Ms(), busGet.p50Ms() / mapGet.p50Ms() <= 1.3 ? "met" : "NOT met");
    }
  }

  /**
   * A Hazelcast async result handed to the client's context, as a Vert.x caller needs it, the cheapest way: the
   * callback runs where Hazelcast completes the call and only posts the result ({@code Future.fromCompletionStage}
   * would first go through the common ForkJoinPool, one more thread hop).
   */
  private static <T> CompletionStage<Object> onClient(Context client, CompletionStage<T> stage, Function<T, Object> convert) {
    CompletableFuture<Object> out = new CompletableFuture<>();
    stage.whenCompleteAsync((v, err) -> client.runOnContext(x -> {
      if (err != null) {
        out.completeExceptionally(err);
      } else {
        out.complete(convert.apply(v));
      }
    }), Runnable::run);
    return out;
  }

  private static JsonObject[] bodies(String cache, List<String> keys, boolean put) {
    JsonObject[] out = new JsonObject[keys.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = new JsonObject().put("cache", cache).put("key", keys.get(i));
      if (put) {
        out[i].put("value", value(i));
      }
    }
    return out;
  }

  private static void nearCache(StewardNode node, List<String> keys) throws Exception {
    Vertx vertx = node.vertx();
    Cache<String, Object> caffeine = Caffeine.newBuilder().maximumSize(100_000).build();
    for (int i = 0; i < keys.size(); i++) {
      caffeine.put(keys.get(i), value(i));
    }
    DeliveryOptions here = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
    JsonObject[] gets = bodies("benchnear", keys, false);
    JsonObject[] caffeineGets = bodies("caffeine", keys, false);
    // The Caffeine consumer on the module's own event loop, the client on another: both requests make the same
    // two hops between the same two threads. (On two cores, consumers on different loops are at the scheduler's
    // mercy: whichever consumer thread shares a core with the client answers several times faster, for seconds.)
    String module = consumerThread(vertx, Addresses.Cache.GET, gets[0]);
    Context beside = clientContext(vertx, module::equals, "no verticle landed on the module's event loop");
    CompletableFuture<Void> registered = new CompletableFuture<>();
    beside.runOnContext(v -> vertx.eventBus().<JsonObject>localConsumer(CAFFEINE_GET, m -> {
      Object v2 = caffeine.getIfPresent(m.body().getString("key"));
      m.reply(v2 == null ? new JsonObject().put("found", false) : new JsonObject().put("found", true).put("value", v2));
    }).completion().onComplete(ar -> registered.complete(null)));
    registered.get(10, TimeUnit.SECONDS);
    Context client = clientContext(vertx, Set.of(module));
    IMap<String, Object> near = Cluster.hazelcast(vertx).getMap("steward.cache.benchnear");
    for (String k : keys) {
      near.get(k); // populate this node's near cache
    }
    System.out.println("cache: near-cache hits (two-node cluster, every key in node 1's near cache)");
    Result[] both = measure(client, i -> vertx.eventBus().request(Addresses.Cache.GET, gets[i % gets.length], here).toCompletionStage(),
      i -> vertx.eventBus().request(CAFFEINE_GET, caffeineGets[i % caffeineGets.length], here).toCompletionStage());
    Result bus = both[0];
    Result peer = both[1];
    report("near-cache get through the bus", bus, "Caffeine behind a consumer", peer);
    System.out.printf("  goal: near-cache hits through the bus within 1.5x of Caffeine through the bus: p50 %.2fx, "
      + "throughput %.2fx -> %s%n", bus.p50Ms() / peer.p50Ms(), peer.opsPerSec() / bus.opsPerSec(),
      bus.p50Ms() / peer.p50Ms() <= 1.5 && peer.opsPerSec() / bus.opsPerSec() <= 1.5 ? "met" : "NOT met");

    String[] keyArray = keys.toArray(new String[0]);
    double nearDirect = direct(i -> near.get(keyArray[i % keyArray.length]));
    double caffeineDirect = direct(i -> caffeine.getIfPresent(keyArray[i % keyArray.length]));
    System.out.printf("  direct, one thread: near cache IMap.get %,.0f reads/s; Caffeine getIfPresent %,.0f reads/s "
      + "(%.1fx); goal >= 1.5 M/s -> %s; near cache: %s%n", nearDirect, caffeineDirect,
      caffeineDirect / nearDirect, nearDirect >= 1_500_000 ? "met" : "NOT met",
      near.getLocalMapStats().getNearCacheStats().getHits() + " hits / " + near.getLocalMapStats().getNearCacheStats().getMisses() + " misses");

    // Issue 18, item 4: two reader threads beside the BEAM reading an ETS table with two processes, same keys.
    double nearTwo = directThreads(2, i -> near.get(keyArray[i % keyArray.length]));
    double ets = beamEtsReads(2, keyArray.length);
    System.out.printf("  direct, two threads: near cache IMap.get %,.0f reads/s | BEAM ets:lookup, two processes: %s -> %s%n",
      nearTwo, ets > 0 ? String.format("%,.0f reads/s (%.2fx)", ets, nearTwo / ets) : "not measured (no escript on the PATH: "
        + "apt-get install erlang-base)", ets <= 0 ? "no peer" : nearTwo >= ets ? "met" : "NOT met");
  }

  /** Reads per second of {@code threads} threads each running {@link #direct}, summed. */
  private static double directThreads(int threads, IntFunction<Object> read) throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<Double>> runs = new ArrayList<>();
      java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
      for (int t = 0; t < threads; t++) {
        runs.add(pool.submit(() -> {
          start.await();
          return direct(read);
        }));
      }
      start.countDown();
      double sum = 0;
      for (java.util.concurrent.Future<Double> run : runs) {
        sum += run.get(60, TimeUnit.SECONDS);
      }
      return sum;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The BEAM's ETS reads per second with {@code readers} processes over {@code keys} keys ({@code src/bench/beam/
   * ets_reads.escript}, {@value #DIRECT_MS} ms after as long a warm-up), or -1 when {@code escript} is not installed.
   */
  private static double beamEtsReads(int readers, int keys) throws Exception {
    java.nio.file.Path script = java.nio.file.Path.of("src/bench/beam/ets_reads.escript");
    Process p;
    try {
      p = new ProcessBuilder("escript", script.toString(), String.valueOf(readers), String.valueOf(keys), String.valueOf(DIRECT_MS))
        .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      return -1;
    }
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.contains("ets_reads_per_sec ")) {
      System.out.println("  (the BEAM peer failed: " + out.strip() + ")");
      return -1;
    }
    return Double.parseDouble(out.substring(out.indexOf("ets_reads_per_sec ") + 18).strip().split("\\s+")[0]);
  }

  /** Single-thread reads per second for {@value #DIRECT_MS} ms after as long a warm-up. */
  private static double direct(IntFunction<Object> read) {
    Object sink = null;
    for (int round = 0; round < 2; round++) {
      long ops = 0;
      long t0 = System.nanoTime();
      long end = t0 + TimeUnit.MILLISECONDS.toNanos(DIRECT_MS);
      while (true) {
        for (int i = 0; i < 1_000; i++) {
          sink = read.apply((int) ops + i);
        }
        ops += 1_000;
        if (System.nanoTime() >= end) {
          break;
        }
      }
      if (round == 1) {
        if (sink == null) {
          throw new IllegalStateException("a read found nothing");
        }
        return ops / ((System.nanoTime() - t0) / 1e9);
      }
    }
    throw new IllegalStateException();
  }

  record Result(double p50Ms, double p99Ms, double opsPerSec) {
  }

  private static void report(String what, Result steward, String peerName, Result peer) {
    System.out.printf("  %-32s p50 %.3f ms  p99 %.3f ms  %,9.0f ops/s | %-26s p50 %.3f ms  p99 %.3f ms  %,9.0f ops/s "
        + "| p50 %.2fx, p99 %.2fx, throughput %.2fx%n", what, steward.p50Ms(), steward.p99Ms(), steward.opsPerSec(),
      peerName, peer.p50Ms(), peer.p99Ms(), peer.opsPerSec(), steward.p50Ms() / peer.p50Ms(),
      steward.p99Ms() / peer.p99Ms(), peer.opsPerSec() / steward.opsPerSec());
  }

  /**
   * The context of a client verticle (where an application calling the bus runs) on another event loop than the
   * consumers it calls. Vert.x spreads verticles over its event loops in turn, so a client may land on a
   * consumer's loop, where a request costs no thread wake-up (tens of microseconds here): the figures would
   * depend on deployment order. The common case, and the one measured, is another loop.
   */
  private static Context clientContext(Vertx vertx, Set<String> consumerThreads) throws Exception {
    return clientContext(vertx, t -> !consumerThreads.contains(t), "no event loop free of the consumers " + consumerThreads);
  }

  /** A client verticle's context on the first event loop whose thread {@code where} accepts. */
  private static Context clientContext(Vertx vertx, Predicate<String> where, String otherwise) throws Exception {
    for (int attempt = 0; attempt < 16; attempt++) {
      AtomicReference<Context> client = new AtomicReference<>();
      AtomicReference<String> thread = new AtomicReference<>();
      vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          client.set(context);
          thread.set(Thread.currentThread().getName());
          return Future.succeededFuture();
        }
      }).await(10, TimeUnit.SECONDS);
      if (where.test(thread.get())) {
        return client.get();
      }
    }
    throw new IllegalStateException(otherwise);
  }

  /** The event-loop thread that handles {@code address} on this node (seen by an inbound interceptor). */
  private static String consumerThread(Vertx vertx, String address, JsonObject body) throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    Handler<DeliveryContext<Object>> spy = dc -> {
      if (address.equals(dc.message().address())) {
        seen.compareAndSet(null, Thread.currentThread().getName());
      }
      dc.next();
    };
    vertx.eventBus().addInboundInterceptor(spy);
    try {
      vertx.eventBus().request(address, body, new DeliveryOptions().setLocalOnly(true)).await(30, TimeUnit.SECONDS);
    } finally {
      vertx.eventBus().removeInboundInterceptor(spy);
    }
    return seen.get();
  }

  /**
   * Steward's operation and its peer's, issued from {@code client}: latency one at a time, in alternating blocks
   * of {@value #BLOCK} (so that whatever else the shared machine does for a few seconds hits both alike, while
   * each block runs as that operation runs alone: one-by-one alternation changes which event loops sleep); then
   * throughput with {@value #CONCURRENCY} in flight, one after the other.
   */
  private static Result[] measure(Context client, IntFunction<CompletionStage<?>> steward, IntFunction<CompletionStage<?>> peer)
    throws Exception {
    IntFunction<CompletionStage<?>> alternating = i -> ((i / BLOCK) % 2 == 0 ? steward : peer).apply(i);
    sequentialOn(client, alternating, 2 * LATENCY_OPS); // warm-up
    long[] both = sequentialOn(client, alternating, 2 * LATENCY_OPS);
    long[][] split = new long[2][LATENCY_OPS];
    int[] filled = new int[2];
    for (int i = 0; i < both.length; i++) {
      int k = (i / BLOCK) % 2;
      split[k][filled[k]++] = both[i];
    }
    List<IntFunction<CompletionStage<?>>> ops = List.of(steward, peer);
    Result[] out = new Result[2];
    for (int k = 0; k < 2; k++) {
      IntFunction<CompletionStage<?>> op = ops.get(k);
      IntFunction<CompletionStage<?>> onClient = i -> {
        CompletableFuture<Object> done = new CompletableFuture<>();
        client.runOnContext(v -> op.apply(i).whenComplete((r, err) -> {
          if (err != null) {
            done.completeExceptionally(err);
          } else {
            done.complete(r);
          }
        }));
        return done;
      };
      closedLoop(onClient, THROUGHPUT_OPS / 2); // warm-up
      double opsPerSec = closedLoop(onClient, THROUGHPUT_OPS);
      Stats s = Stats.of(split[k]);
      out[k] = new Result(s.p(50) / 1e6, s.p(99) / 1e6, opsPerSec);
    }
    return out;
  }

  /** One operation at a time, each started by the previous one's reply, on the client's event loop. */
  private static long[] sequentialOn(Context client, IntFunction<CompletionStage<?>> op, int n) throws Exception {
    long[] latencies = new long[n];
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    client.runOnContext(v -> new Object() {
      void next(int i) {
        if (i == n) {
          done.countDown();
          return;
        }
        long t0 = System.nanoTime();
        op.apply(i).whenComplete((r, err) -> {
          latencies[i] = System.nanoTime() - t0;
          if (err != null) {
            failure.set(err);
            done.countDown();
          } else {
            next(i + 1);
          }
        });
      }
    }.next(0));
    if (!done.await(5, TimeUnit.MINUTES) || failure.get() != null) {
      throw new IllegalStateException("a sequential run failed", failure.get());
    }
    return latencies;
  }

  /** Latency of a blocking call from this (plain) thread, one at a time, after as long a warm-up. */
  private static Result blockingLatency(IntFunction<Object> blocking) {
    long[] latencies = new long[LATENCY_OPS];
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < LATENCY_OPS; i++) {
        long t0 = System.nanoTime();
        blocking.apply(i);
        latencies[i] = System.nanoTime() - t0;
      }
    }
    Stats s = Stats.of(latencies);
    return new Result(s.p(50) / 1e6, s.p(99) / 1e6, 0);
  }

  /** {@value #CONCURRENCY} operations in flight until {@code total} are done; operations per second. */
  private static double closedLoop(IntFunction<CompletionStage<?>> op, int total) throws Exception {
    AtomicInteger issued = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(CONCURRENCY);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    for (int w = 0; w < CONCURRENCY; w++) {
      new Object() {
        void next() {
          int i = issued.getAndIncrement();
          if (i >= total || failure.get() != null) {
            done.countDown();
            return;
          }
          op.apply(i).whenComplete((r, err) -> {
            if (err != null) {
              failure.compareAndSet(null, err);
            }
            next();
          });
        }
      }.next();
    }
    if (!done.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the closed loop did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("an operation failed", failure.get());
    }
    return total / ((System.nanoTime() - t0) / 1e9);
  }
}
