package io.steward.store;

import io.micrometer.core.instrument.MeterRegistry;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.observe.Metrics;
import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.steward.tasks.TaskType;
import io.steward.tasks.TaskTypes;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The embedded store on one node in this JVM: what is written, what comes back when the only node starts again
 * (a new node id: its predecessor's tasks are those of a departed node), and what health and metrics say.
 */
class StoreNodeTest {

  /** Runs per task id; the first attempt of a task whose payload says so blocks until interrupted. */
  private static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static Vertx poller;

  @BeforeAll
  static void start() {
    TaskTypes.register(TaskType.of("store.once-blocking", ctx -> {
      int run = RUNS.computeIfAbsent(ctx.id(), k -> new AtomicInteger()).incrementAndGet();
      if (run == 1 && ((JsonObject) ctx.payload()).getBoolean("block", false)) {
        new java.util.concurrent.CountDownLatch(1).await(); // runs until the node stops and interrupts it
      }
      return new JsonObject().put("run", run).put("attempt", ctx.attempt());
    }));
    cluster = TestCluster.create(StoreNodeTest.class, 2);
    poller = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
    poller.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject config(Path storeDir) {
    return new JsonObject()
      .put("store", new JsonObject().put("kind", "embedded").put("dir", storeDir.toString()))
      .put("tasks", new JsonObject().put("orphanSweepMs", 500).put("publishMs", 50))
      .put("cache", new JsonObject().put("caches", new JsonObject()
        .put("kept", new JsonObject().put("persist", true).put("ttlSeconds", 3_600))
        .put("lost", new JsonObject())));
  }

  private static final List<String> MODULES = List.of("tasks", "cache");

  static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return Calls.call(node, address, body);
  }

  private static void await(String what, long timeoutMs, java.util.concurrent.Callable<Boolean> check) throws Exception {
    Poll.until(poller, what, timeoutMs, () -> poller.executeBlocking(check, false)).await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  @Test
  void durable_tasks_dead_letters_and_persisted_caches_survive_a_restart_of_the_only_node_and_the_rest_does_not()
    throws Exception {
    Path storeDir = dir.resolve("restart");
    StewardNode first = cluster.start(MODULES, config(storeDir)).await(60, TimeUnit.SECONDS);
    String running = call(first, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "store.once-blocking")
      .put("payload", new JsonObject().put("block", true)).put("restart", "transient")).getString("id");
    String daemon = call(first, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "sleep")
      .put("payload", new JsonObject().put("ms", 600_000)).put("restart", "permanent").put("key", "the-daemon")).getString("id");
    String done = call(first, Addresses.Tasks.RUN, new JsonObject().put("type", "echo")
      .put("payload", new JsonObject().put("hello", "store")).put("restart", "transient")).getString("id");
    ReplyException dead = catchThrowableOfType(ReplyException.class, () -> call(first, Addresses.Tasks.RUN,
      new JsonObject().put("type", "fail").put("payload", new JsonObject().put("message", "boom")).put("restart", "transient")
        .put("maxRestarts", 0)));
    assertThat(dead.failureCode()).isEqualTo(500);
    String temporary = call(first, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "sleep")
      .put("payload", new JsonObject().put("ms", 600_000))).getString("id");
    await("the blocking task runs", 30_000, () -> RUNS.containsKey(running));
    long expiresAt = fillCaches(first);

    Database db = first.store().database();
    await("durable records and the dead letter written", 30_000, () -> {
      Map<String, Long> counts = db.counts();
      return counts.getOrDefault("steward.tasks.records", 0L) >= 4 && counts.getOrDefault("steward.tasks.deadletters", 0L) == 1;
    });
    assertThat(db.rows("steward.tasks.records", List.of(temporary), System.currentTimeMillis()))
      .as("a temporary task is never written").isEmpty();

    JsonObject health = call(first, Addresses.node(first.id(), Addresses.Nodes.HEALTH), new JsonObject());
    assertThat(health.getString("status")).isEqualTo("UP");
    assertThat(health.getJsonObject("modules").getJsonObject("store").getString("status")).isEqualTo("UP");
    assertThat(health.getJsonObject("modules").getJsonObject("store").getString("kind")).isEqualTo("embedded");
    MeterRegistry meters = Metrics.registry(first.vertx());
    assertThat(meters.get("steward_store_up").gauge().value()).isEqualTo(1.0);
    assertThat(meters.get("steward_store_written").functionCounter().count()).isGreaterThanOrEqualTo(5);
    assertThat(meters.get("steward_store_load_seconds").tag("map", "steward.tasks.records").gauge().value()).isGreaterThan(0);

    cluster.stop(first).await(60, TimeUnit.SECONDS);

    StewardNode second = cluster.start(MODULES, config(storeDir)).await(60, TimeUnit.SECONDS);
    assertThat(second.id()).isNotEqualTo(first.id());
    // the task that was running runs again (transient: its node was lost), this time to the end
    JsonObject again = call(second, Addresses.Tasks.AWAIT, new JsonObject().put("id", running).put("timeoutMs", 30_000));
    assertThat(again.getString("state")).isEqualTo("succeeded");
    assertThat(again.getJsonObject("result").getInteger("run")).isEqualTo(2);
    assertThat(again.getInteger("attempts")).isEqualTo(2);
    assertThat(again.getBoolean("possibleDuplicate")).isTrue();
    assertThat(again.getString("node")).isEqualTo(second.id());
    // the permanent daemon runs again too
    await("the permanent task runs on the new node", 30_000, () -> {
      JsonObject t = call(second, Addresses.Tasks.GET, new JsonObject().put("id", daemon));
      return "running".equals(t.getString("state")) && second.id().equals(t.getString("node"));
    });
    // the finished one is still known, with its result
    JsonObject finished = call(second, Addresses.Tasks.GET, new JsonObject().put("id", done));
    assertThat(finished.getString("state")).isEqualTo("succeeded");
    assertThat(finished.getJsonObject("result").getString("hello")).isEqualTo("store");
    // the dead letter too
    JsonObject letters = call(second, Addresses.Tasks.DEADLETTERS, new JsonObject());
    assertThat(letters.getInteger("total")).isEqualTo(1);
    // the temporary task is gone, as documented
    ReplyException gone = catchThrowableOfType(ReplyException.class, () -> call(second, Addresses.Tasks.GET,
      new JsonObject().put("id", temporary)));
    assertThat(gone.failureCode()).isEqualTo(404);
    // the key of the task taken over is bound again (keys are not persisted): the same key finds it
    JsonObject keyed = call(second, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "sleep")
      .put("payload", new JsonObject().put("ms", 1)).put("restart", "permanent").put("key", "the-daemon"));
    assertThat(keyed.getString("id")).isEqualTo(daemon);
    assertThat(keyed.getBoolean("existing")).isTrue();
    call(second, Addresses.Tasks.CANCEL, new JsonObject().put("id", daemon));
    checkCaches(second, expiresAt);
    // a lite member (no store of its own, no partitions) reaches the persisted caches like any node
    StewardNode lite = cluster.start(List.of("cache"), config(storeDir).put("cluster", new JsonObject().put("liteMember", true)))
      .await(60, TimeUnit.SECONDS);
    assertThat(lite.store()).isNull();
    assertThat(get(lite, "kept", "b").getString("value")).isEqualTo("two");
    put(lite, "made", "from-lite", true, null);
    assertThat(get(second, "made", "from-lite").getBoolean("value")).isTrue();
    cluster.stop(lite).await(60, TimeUnit.SECONDS);
    cluster.stop(second).await(60, TimeUnit.SECONDS); // the cluster's other tests start nodes of their own
  }

  /**
   * A pause is cluster state an operator set on purpose (a downstream is down, a migration runs): after every node
   * stops and the cluster starts again on the same database, the supervisor is still paused, its durable task taken
   * over from the stopped node waits, and it runs once resumed.
   */
  @Test
  void a_paused_supervisor_is_still_paused_after_every_node_stops_and_the_cluster_starts_again() throws Exception {
    Path storeDir = dir.resolve("paused");
    JsonObject config = config(storeDir);
    config.getJsonObject("tasks").put("supervisors", new JsonObject()
      .put("held", new JsonObject().put("workers", 1).put("maxQueued", 10))
      .put("free", new JsonObject().put("workers", 1).put("maxQueued", 10)));
    StewardNode first = cluster.start(MODULES, config).await(60, TimeUnit.SECONDS);
    assertThat(call(first, Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", "held")).getBoolean("paused")).isTrue();
    String waiting = call(first, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "store.once-blocking")
      .put("supervisor", "held").put("restart", "transient").put("payload", new JsonObject())).getString("id");
    assertThat(call(first, Addresses.Tasks.GET, new JsonObject().put("id", waiting)).getString("state")).isEqualTo("pending");
    cluster.stop(first).await(60, TimeUnit.SECONDS); // the only node: every member of the cluster is gone

    StewardNode second = cluster.start(MODULES, config).await(60, TimeUnit.SECONDS);
    try {
      JsonObject held = call(second, Addresses.Tasks.SUPERVISORS, new JsonObject().put("supervisor", "held"))
        .getJsonObject("supervisors").getJsonObject("held");
      assertThat(held.getBoolean("paused")).as("the pause came back from the store: %s", held).isTrue();
      // The node took the task over and queued it; another supervisor's task runs to its end meanwhile.
      await("the durable task of the stopped node is queued on the new one", 30_000, () -> {
        JsonObject t = call(second, Addresses.Tasks.GET, new JsonObject().put("id", waiting));
        return second.id().equals(t.getString("node"));
      });
      assertThat(call(second, Addresses.Tasks.RUN, new JsonObject().put("type", "echo").put("supervisor", "free"))
        .getString("state")).isEqualTo("succeeded");
      assertThat(call(second, Addresses.Tasks.GET, new JsonObject().put("id", waiting)).getString("state"))
        .isEqualTo("pending");
      assertThat(RUNS).as("nothing of the paused supervisor started").doesNotContainKey(waiting);

      assertThat(call(second, Addresses.Tasks.RESUME, new JsonObject().put("supervisor", "held")).getBoolean("changed")).isTrue();
      JsonObject done = call(second, Addresses.Tasks.AWAIT, new JsonObject().put("id", waiting).put("timeoutMs", 30_000));
      assertThat(done.getString("state")).isEqualTo("succeeded");
      assertThat(done.getJsonObject("result").getInteger("run")).isEqualTo(1);
      Database db = second.store().database();
      await("the resume deletes the pause's row", 30_000, () -> !db.counts().containsKey("steward.tasks.paused"));
    } finally {
      cluster.stop(second).await(60, TimeUnit.SECONDS); // the cluster's other tests start nodes of their own
    }
  }

  @Test
  void a_node_without_a_store_refuses_to_start_with_a_persisted_cache_naming_the_key() {
    JsonObject config = config(dir.resolve("unused")).put("store", new JsonObject().put("kind", "none"));
    Throwable refused = catchThrowableOfType(Throwable.class, () -> cluster.start(List.of("cache"), config)
      .await(60, TimeUnit.SECONDS));
    assertThat(refused).isInstanceOf(ConfigException.class).hasMessageContaining("cache.caches.kept.persist: is true but "
      + "this node has no store (store.kind is none)");
    assertThat(((ConfigException) refused).key()).isEqualTo("cache.caches.kept.persist");
  }

  /**
   * Puts entries in the persisted cache {@code kept} (two with the cache's hour-long TTL, one with its own 1 s TTL),
   * in {@code lost}, and in two caches created at run time, {@code made} (persisted) and {@code made-lost}; waits
   * until the database holds the entries of {@code kept} and {@code made}, and the short-lived one has expired in
   * memory (its row is still there, with its expiry). Returns the expiry of entry {@code a}.
   */
  private static long fillCaches(StewardNode node) throws Exception {
    put(node, "kept", "a", new JsonObject().put("n", 1), null);
    put(node, "kept", "b", "two", null);
    put(node, "kept", "brief", 3, 1);
    put(node, "kept", "gone", "deleted next", null);
    put(node, "lost", "a", new JsonObject().put("n", 1), null);
    call(node, Addresses.Cache.CREATE, new JsonObject().put("name", "made").put("persist", true));
    call(node, Addresses.Cache.CREATE, new JsonObject().put("name", "made-lost"));
    put(node, "made", "x", List.of(1, 2), null);
    put(node, "made-lost", "x", 1, null);
    Database db = node.store().database();
    await("the persisted caches written", 30_000, () -> {
      Map<String, Long> counts = db.counts();
      return counts.getOrDefault("steward.cache.kept", 0L) == 4 && counts.getOrDefault("steward.cache.made", 0L) == 1;
    });
    assertThat(db.counts()).as("a cache without persist is never written").doesNotContainKey("steward.cache.lost");
    // A delete leaves a tombstone in memory (against split-brain merges): the store deletes the row, never writes it.
    call(node, Addresses.Cache.DELETE, new JsonObject().put("cache", "kept").put("key", "gone"));
    await("the deleted entry's row removed", 30_000, () -> db.counts().getOrDefault("steward.cache.kept", 0L) == 3);
    await("the 1 s entry expired", 30_000, () -> !get(node, "kept", "brief").getBoolean("found"));
    return expiry(node, "a");
  }

  private static void checkCaches(StewardNode node, long expiresAt) throws Exception {
    assertThat(get(node, "kept", "a").getJsonObject("value")).isEqualTo(new JsonObject().put("n", 1));
    assertThat(get(node, "kept", "b").getString("value")).isEqualTo("two");
    assertThat(get(node, "kept", "brief").getBoolean("found")).as("an entry that expired is not loaded back").isFalse();
    assertThat(get(node, "kept", "gone").getBoolean("found")).as("a deleted entry is not loaded back").isFalse();
    assertThat(get(node, "lost", "a").getBoolean("found")).as("a cache without persist starts empty").isFalse();
    assertThat(get(node, "made", "x").getJsonArray("value")).as("a persisted cache created at run time is defined again")
      .containsExactly(1, 2);
    ReplyException unknown = catchThrowableOfType(ReplyException.class, () -> get(node, "made-lost", "x"));
    assertThat(unknown.failureCode()).as("one without persist is gone with the cluster, as before").isEqualTo(404);
    call(node, Addresses.Cache.CLEAR, new JsonObject().put("cache", "made"));
    Database db = node.store().database();
    await("clear deletes the cache's rows", 30_000, () -> !db.counts().containsKey("steward.cache.made"));
    assertThat(expiry(node, "a")).as("the entry keeps its expiry, not a TTL restarted at the load").isBetween(expiresAt - 1_000, expiresAt + 1_000);
    assertThat(call(node, Addresses.Cache.SIZE, new JsonObject().put("cache", "kept")).getInteger("size")).isEqualTo(2);
  }

  private static long expiry(StewardNode node, String key) {
    return Cluster.hazelcast(node.vertx()).getMap("steward.cache.kept").getEntryView(key).getExpirationTime();
  }

  private static void put(StewardNode node, String cache, String key, Object value, Integer ttlSeconds) throws Exception {
    JsonObject body = new JsonObject().put("cache", cache).put("key", key).put("value", value);
    if (ttlSeconds != null) {
      body.put("ttlSeconds", ttlSeconds);
    }
    call(node, Addresses.Cache.PUT, body);
  }

  private static JsonObject get(StewardNode node, String cache, String key) throws Exception {
    return call(node, Addresses.Cache.GET, new JsonObject().put("cache", cache).put("key", key));
  }
}
