package io.steward.store;

import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.Postgres;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A two-node cluster on the tests' PostgreSQL server ({@code .ci/run} starts one), stopped as a whole (both nodes
 * at once, as an operator stopping a deployment would) and started again: every durable task it acknowledged is
 * still there, finished ones with their results and unfinished ones running again per their restart strategy;
 * so are the entries of the persisted caches, declared or created at run time, and a supervisor paused before the
 * stop is still paused (its task waits until it is resumed).
 */
class StorePostgresClusterTest {

  @TempDir
  static Path dir;
  private static String admin;
  private static String url;
  private static TestCluster cluster;
  private static Vertx poller;

  @BeforeAll
  static void start() throws Exception {
    admin = Postgres.adminUrl();
    url = Postgres.createDatabase(admin);
    cluster = TestCluster.create(StorePostgresClusterTest.class, 2);
    poller = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (poller != null) {
      poller.close().await(10, TimeUnit.SECONDS);
    }
    if (url != null) {
      Postgres.dropDatabase(admin, url);
    }
  }

  private static JsonObject config(String name) {
    return new JsonObject()
      .put("store", new JsonObject().put("kind", "postgres").put("url", url).put("dir", dir.resolve(name).toString()))
      .put("tasks", new JsonObject().put("orphanSweepMs", 500).put("publishMs", 50)
        .put("supervisors", new JsonObject().put("held", new JsonObject().put("workers", 1))))
      .put("cache", new JsonObject().put("caches", new JsonObject().put("kept", new JsonObject().put("persist", true))));
  }

  private static final List<String> MODULES = List.of("tasks", "cache");
  /**
   * Enough entries that loading a persisted cache takes a while: long enough for a node joining during the load to
   * lose the entries of the partitions that move to it (Hazelcast issue #11544), were it not loaded before.
   */
  private static final int ENTRIES = 1_000;

  private static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return Calls.call(node, address, body);
  }

  private static void await(String what, long timeoutMs, Callable<Boolean> check) throws Exception {
    Poll.until(poller, what, timeoutMs, () -> poller.executeBlocking(check, false)).await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  @Test
  void a_full_stop_and_restart_of_a_two_node_cluster_loses_no_durable_task_and_no_persisted_cache_entry() throws Exception {
    StewardNode a = cluster.start(MODULES, config("a")).await(60, TimeUnit.SECONDS);
    StewardNode b = cluster.start(MODULES, config("b")).await(60, TimeUnit.SECONDS);
    List<StewardNode> first = List.of(a, b);

    // finished durable tasks, submitted through both nodes (their records live on both members' partitions)
    Map<String, Integer> finished = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      JsonObject done = call(first.get(i % 2), Addresses.Tasks.RUN, new JsonObject().put("type", "echo")
        .put("payload", new JsonObject().put("i", i)).put("restart", "transient"));
      finished.put(done.getString("id"), i);
    }
    // unfinished ones: permanent daemons that never end, and transient ones still running at the stop
    List<String> daemons = new ArrayList<>();
    List<String> unfinished = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      daemons.add(call(first.get(i % 2), Addresses.Tasks.SUBMIT, new JsonObject().put("type", "sleep")
        .put("payload", new JsonObject().put("ms", 600_000)).put("restart", "permanent")).getString("id"));
      unfinished.add(call(first.get(i % 2), Addresses.Tasks.SUBMIT, new JsonObject().put("type", "sleep")
        .put("payload", new JsonObject().put("ms", 600_000)).put("restart", "transient")).getString("id"));
    }
    // entries of a declared persisted cache and of one created at run time, owned by both members
    JsonObject entries = new JsonObject();
    for (int i = 0; i < ENTRIES; i++) {
      entries.put("k" + i, new JsonObject().put("i", i));
    }
    call(a, Addresses.Cache.PUT_ALL, new JsonObject().put("cache", "kept").put("entries", entries));
    call(b, Addresses.Cache.CREATE, new JsonObject().put("name", "made").put("persist", true).put("ttlSeconds", 3_600));
    call(b, Addresses.Cache.PUT_ALL, new JsonObject().put("cache", "made").put("entries", entries));
    // A supervisor paused on purpose stays paused across the full stop: its durable task waits for the resume.
    assertThat(call(b, Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", "held")).getBoolean("paused")).isTrue();
    String held = call(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "echo").put("supervisor", "held")
      .put("restart", "transient").put("payload", new JsonObject().put("held", true))).getString("id");
    // The nodes stop at once without waiting for the write-behind delay: what is still queued is written while
    // each member shuts down.
    Future.all(cluster.stop(a), cluster.stop(b)).await(120, TimeUnit.SECONDS);

    Database direct = Database.of(StoreConfig.from(new JsonObject().put("kind", "postgres").put("url", url)));
    try {
      assertThat(direct.rows("steward.tasks.records", new ArrayList<>(finished.keySet()), System.currentTimeMillis()))
        .as("every finished durable task is in the database after the stop").hasSize(finished.size());
      List<String> open = new ArrayList<>(daemons);
      open.addAll(unfinished);
      assertThat(direct.rows("steward.tasks.records", open, System.currentTimeMillis()))
        .as("every unfinished durable task is in the database after the stop").hasSize(open.size());
    } finally {
      direct.close();
    }

    // d starts once c is up, as an operator restarting a cluster would: c has loaded every persisted map by then,
    // caches included (it owns every partition, so it holds every entry), and no partition moves to d during a load.
    StewardNode c = cluster.start(MODULES, config("c")).await(60, TimeUnit.SECONDS);
    for (String cache : List.of("kept", "made")) {
      assertThat(Cluster.hazelcast(c.vertx()).getMap("steward.cache." + cache).getLocalMapStats().getOwnedEntryCount())
        .as("entries of " + cache + " loaded on the first node restarted, once it is up").isEqualTo(ENTRIES);
    }
    StewardNode d = cluster.start(MODULES, config("d")).await(60, TimeUnit.SECONDS);
    List<String> second = List.of(c.id(), d.id());
    for (Map.Entry<String, Integer> e : finished.entrySet()) {
      JsonObject t = call(e.getValue() % 2 == 0 ? c : d, Addresses.Tasks.GET, new JsonObject().put("id", e.getKey()));
      assertThat(t.getString("state")).as(e.getKey()).isEqualTo("succeeded");
      assertThat(t.getJsonObject("result").getInteger("i")).isEqualTo(e.getValue());
    }
    List<String> open = new ArrayList<>(daemons);
    open.addAll(unfinished);
    await("every unfinished durable task runs again on the restarted cluster", 60_000, () -> {
      for (String id : open) {
        JsonObject t = call(c, Addresses.Tasks.GET, new JsonObject().put("id", id));
        if (!"running".equals(t.getString("state")) || !second.contains(t.getString("node"))) {
          return false;
        }
      }
      return true;
    });
    for (String id : open) {
      call(c, Addresses.Tasks.CANCEL, new JsonObject().put("id", id));
    }
    for (StewardNode n : List.of(c, d)) {
      assertThat(call(n, Addresses.Tasks.SUPERVISORS, new JsonObject().put("supervisor", "held")).getJsonObject("supervisors")
        .getJsonObject("held").getBoolean("paused")).as("the pause came back from the database on " + n.id()).isTrue();
    }
    await("the paused supervisor's task taken over by the restarted cluster", 60_000, () ->
      second.contains(call(c, Addresses.Tasks.GET, new JsonObject().put("id", held)).getString("node")));
    JsonObject waiting = call(d, Addresses.Tasks.GET, new JsonObject().put("id", held));
    assertThat(waiting.getString("state")).as("the paused supervisor's task: %s", waiting).isEqualTo("pending");
    assertThat(waiting.getInteger("attempts", 0)).isZero();
    call(c, Addresses.Tasks.RESUME, new JsonObject().put("supervisor", "held"));
    assertThat(call(d, Addresses.Tasks.AWAIT, new JsonObject().put("id", held).put("timeoutMs", 30_000)).getString("state"))
      .isEqualTo("succeeded");
    JsonArray keys = new JsonArray(new ArrayList<>(entries.fieldNames()));
    for (String cache : List.of("kept", "made")) {
      JsonObject back = call(cache.equals("kept") ? d : c, Addresses.Cache.GET_ALL, new JsonObject().put("cache", cache)
        .put("keys", keys));
      assertThat(back.getJsonArray("missing")).as("entries of " + cache + " missing after the restart").isEmpty();
      assertThat(back.getJsonObject("entries")).isEqualTo(entries);
    }
  }
}
