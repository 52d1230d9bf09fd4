package io.steward.cache;

import io.steward.bus.Addresses;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three fat-jar nodes as separate JVMs and the test JVM as a lite-member client (it holds no data): 10 k
 * entries written across the cluster survive a SIGKILL of one node (one backup of each), and increments
 * sent while it dies are each counted exactly once when the client retries with the same operation id.
 */
class CacheProcessIT {

  private static final int ENTRIES = 10_000;
  private static final int BATCH = 1_000;
  private static final int INCREMENTS = 300;
  private static final long SEND_TIMEOUT_MS = 5_000;

  private static ProcessCluster cluster;
  private static List<NodeProcess> nodes;
  private static Vertx client;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.create(CacheProcessIT.class, 3)
      .env("STEWARD_MODULES", "http,cache")
      .env("STEWARD_CACHE_CACHES", "{\"data\": {}, \"counters\": {}}")
      // A client retries an increment after its 5 s send timeout; hundreds of other increments of the same key
      // happen meanwhile, and the entry must still remember the retried id (README: Cache, unknown outcomes).
      .env("STEWARD_CACHE_REMEMBERED_UPDATES", "2000");
    nodes = cluster.start(3);
    client = cluster.joinLiteClient();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Future<JsonObject> ask(String address, JsonObject body) {
    return client.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS))
      .map(m -> (JsonObject) m.body());
  }

  /** Retries what failed for a reason a client should retry on (408, 503, 504), until it succeeds. */
  private static Future<JsonObject> retried(String address, JsonObject body, long deadline, AtomicInteger retries) {
    return ask(address, body).recover(err -> {
      int code = err instanceof ReplyException re ? re.failureCode() : -1;
      boolean retry = code == 408 || code == 503 || code == 504 || code == -1;
      if (!retry || System.currentTimeMillis() > deadline) {
        return Future.failedFuture(err);
      }
      retries.incrementAndGet();
      Promise<JsonObject> later = Promise.promise();
      client.setTimer(200, t -> retried(address, body, deadline, retries).onComplete(later));
      return later.future();
    });
  }

  @Test
  void ten_thousand_entries_survive_a_killed_node_and_every_increment_counts_once() throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    AtomicInteger retries = new AtomicInteger();
    for (int b = 0; b < ENTRIES / BATCH; b++) {
      JsonObject entries = new JsonObject();
      for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
        entries.put("e" + i, new JsonObject().put("i", i));
      }
      assertThat(retried(Addresses.Cache.PUT_ALL, new JsonObject().put("cache", "data").put("entries", entries), deadline,
        retries).await(60, TimeUnit.SECONDS).getInteger("stored")).isEqualTo(BATCH);
    }
    assertThat(ask(Addresses.Cache.SIZE, new JsonObject().put("cache", "data")).await(30, TimeUnit.SECONDS)
      .getInteger("size")).isEqualTo(ENTRIES);

    // Increments with client operation ids, ten at a time; the third node is killed while they run.
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger next = new AtomicInteger();
    Promise<Void> allDone = Promise.promise();
    AtomicInteger running = new AtomicInteger(10);
    for (int w = 0; w < 10; w++) {
      incrementLoop(next, acknowledged, duplicates, retries, deadline, running, allDone);
    }
    cluster.await("a third of the increments acknowledged", 60_000, () -> acknowledged.get() >= INCREMENTS / 3);
    NodeProcess victim = nodes.get(2);
    victim.kill();
    allDone.future().await(120, TimeUnit.SECONDS);
    cluster.awaitNodeCount(nodes.get(0), 2, 30_000);

    JsonObject counter = retried(Addresses.Cache.GET, new JsonObject().put("cache", "counters").put("key", "hits"),
      deadline, retries).await(30, TimeUnit.SECONDS);
    System.out.printf("increments: %d acknowledged, %d answered as duplicates of a lost attempt, %d client retries%n",
      acknowledged.get(), duplicates.get(), retries.get());
    assertThat(acknowledged.get()).isEqualTo(INCREMENTS);
    assertThat(counter.getLong("value")).as("%d duplicates recognised, %d retries", duplicates.get(), retries.get())
      .isEqualTo(INCREMENTS);

    // Every entry is still there: the dead node's partitions were promoted from their backups.
    for (int b = 0; b < ENTRIES / BATCH; b++) {
      JsonArray keys = new JsonArray();
      for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
        keys.add("e" + i);
      }
      JsonObject got = retried(Addresses.Cache.GET_ALL, new JsonObject().put("cache", "data").put("keys", keys), deadline,
        retries).await(60, TimeUnit.SECONDS);
      assertThat(got.getJsonArray("missing")).as("missing after the kill").isEmpty();
      assertThat(got.getJsonObject("entries").getJsonObject("e" + (b * BATCH + 7)).getInteger("i")).isEqualTo(b * BATCH + 7);
    }
    assertThat(retried(Addresses.Cache.SIZE, new JsonObject().put("cache", "data"), deadline, retries)
      .await(30, TimeUnit.SECONDS).getInteger("size")).isEqualTo(ENTRIES);
    for (NodeProcess survivor : nodes.subList(0, 2)) {
      assertThat(survivor.logText().lines().filter(l -> l.contains(" ERROR ") && l.contains("i.s.c"))).isEmpty();
    }
  }

  private static void incrementLoop(AtomicInteger next, AtomicInteger acknowledged, AtomicInteger duplicates,
                                    AtomicInteger retries, long deadline, AtomicInteger running, Promise<Void> allDone) {
    int n = next.getAndIncrement();
    if (n >= INCREMENTS) {
      if (running.decrementAndGet() == 0) {
        allDone.tryComplete();
      }
      return;
    }
    JsonObject body = new JsonObject().put("cache", "counters").put("key", "hits").put("increment", 1)
      .put("opId", "inc-" + n);
    retried(Addresses.Cache.UPDATE, body, deadline, retries).onComplete(ar -> {
      if (ar.failed()) {
        allDone.tryFail(new AssertionError("increment " + n + " never succeeded: " + ar.cause()));
        return;
      }
      acknowledged.incrementAndGet();
      if (ar.result().getBoolean("duplicate")) {
        duplicates.incrementAndGet();
      }
      incrementLoop(next, acknowledged, duplicates, retries, deadline, running, allDone);
    });
  }
}
