package io.steward.cache;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Bus;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.steward.testing.Bus.call;
import static io.steward.testing.Bus.entry;
import static io.steward.testing.Bus.failure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * getOrCompute computes once per cluster, and atomic updates count every increment, with callers on three
 * clustered nodes in this JVM (real Hazelcast, real event bus).
 */
class CacheComputeTest {

  private static final String SLOW = "test.compute.slow";
  private static final String FAIL = "test.compute.fail";
  private static final String NEVER = "test.compute.never";
  private static final String HELD = "test.compute.held";
  private static final long COMPUTE_MS = 500;

  private static TestCluster cluster;
  private static List<StewardNode> nodes;
  /** Computations started, per key (every node's compute consumer counts here: one JVM). */
  private static final ConcurrentHashMap<String, AtomicInteger> COMPUTED = new ConcurrentHashMap<>();
  /** Computations asked of {@link #HELD}, by key, not answered until a test replies. */
  private static final ConcurrentHashMap<String, Message<JsonObject>> HELD_COMPUTATIONS = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(CacheComputeTest.class, 4);
    List<String> modules = List.of("cache", "tasks");
    JsonObject caches = new JsonObject()
      .put("computed", new JsonObject())
      .put("remembered", new JsonObject().put("negativeTtlSeconds", 30))
      .put("counters", new JsonObject().put("maxValueBytes", 256));
    nodes = cluster.startBlocking(3, modules, new JsonObject().put("cache", new JsonObject().put("caches", caches)));
    for (StewardNode n : nodes) {
      computeConsumers(n);
    }
  }

  private static void computeConsumers(StewardNode n) throws Exception {
    var bus = n.vertx().eventBus();
    bus.<JsonObject>consumer(SLOW, m -> {
      int count = started(m.body());
      n.vertx().setTimer(COMPUTE_MS, t -> m.reply(new JsonObject().put("key", m.body().getString("key")).put("run", count)));
    }).completion().await(10, TimeUnit.SECONDS);
    bus.<JsonObject>consumer(FAIL, m -> {
      started(m.body());
      n.vertx().setTimer(COMPUTE_MS, t -> m.fail(500, "boom: the database is down"));
    }).completion().await(10, TimeUnit.SECONDS);
    bus.<JsonObject>consumer(NEVER, m -> started(m.body())).completion().await(10, TimeUnit.SECONDS);
    bus.<JsonObject>consumer(HELD, m -> {
      started(m.body());
      HELD_COMPUTATIONS.put(m.body().getString("key"), m);
    }).completion().await(10, TimeUnit.SECONDS);
  }

  private static int started(JsonObject body) {
    return COMPUTED.computeIfAbsent(body.getString("cache") + "/" + body.getString("key"), k -> new AtomicInteger())
      .incrementAndGet();
  }

  private static int computations(String cache, String key) {
    AtomicInteger n = COMPUTED.get(cache + "/" + key);
    return n == null ? 0 : n.get();
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static JsonObject request(String cache, String key, JsonObject compute) {
    return entry(cache, key).put("compute", compute);
  }

  /** {@code callers} concurrent requests, spread over the three nodes; each result or failure. */
  private static List<Future<JsonObject>> concurrently(int callers, JsonObject body) {
    List<Future<JsonObject>> all = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      all.add(Bus.ask(nodes.get(i % nodes.size()).vertx(), Addresses.Cache.GET_OR_COMPUTE, body));
    }
    Future.join(new ArrayList<>(all)).otherwiseEmpty().await();
    return all;
  }

  @Test
  void a_hundred_callers_on_three_nodes_get_one_computation() throws Exception {
    List<Future<JsonObject>> all = concurrently(100, request("computed", "k1", new JsonObject().put("address", SLOW)));
    Set<Object> values = new HashSet<>();
    for (Future<JsonObject> f : all) {
      assertThat(f.succeeded()).as("caller failed: %s", f.cause()).isTrue();
      values.add(f.result().getValue("value"));
    }
    assertThat(computations("computed", "k1")).isEqualTo(1);
    assertThat(values).containsExactly(new JsonObject().put("key", "k1").put("run", 1));
    // Stored: a later caller reads it.
    JsonObject later = call(nodes.get(2).vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("computed", "k1", new JsonObject().put("address", SLOW)));
    assertThat(later.getBoolean("computed")).isFalse();
    assertThat(computations("computed", "k1")).isEqualTo(1);
  }

  @Test
  void a_failing_computation_reaches_every_waiter_and_is_not_cached() throws Exception {
    List<Future<JsonObject>> all = concurrently(60, request("computed", "broken", new JsonObject().put("address", FAIL)));
    for (Future<JsonObject> f : all) {
      assertThat(f.failed()).isTrue();
      assertThat(((ReplyException) f.cause()).failureCode()).isEqualTo(500);
      assertThat(f.cause().getMessage()).contains("boom: the database is down");
    }
    assertThat(computations("computed", "broken")).isEqualTo(1);
    // Not cached: the next caller computes again (and this time the address answers).
    JsonObject next = call(nodes.get(0).vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("computed", "broken", new JsonObject().put("address", SLOW)));
    assertThat(next.getBoolean("computed")).isTrue();
    assertThat(computations("computed", "broken")).isEqualTo(2);
  }

  @Test
  void a_failure_is_remembered_for_the_negative_ttl() throws Exception {
    JsonObject failing = request("remembered", "broken", new JsonObject().put("address", FAIL));
    failure(nodes.get(0).vertx(), Addresses.Cache.GET_OR_COMPUTE, failing, 500, "boom");
    ReplyException again = failure(nodes.get(1).vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("remembered", "broken", new JsonObject().put("address", SLOW)), 500, "boom");
    assertThat(again.getMessage()).contains("remembered");
    assertThat(computations("remembered", "broken")).isEqualTo(1);
  }

  @Test
  void callers_whose_computation_times_out_get_408_and_the_key_stays_computable() throws Exception {
    JsonObject hanging = request("computed", "slowpoke", new JsonObject().put("address", NEVER)).put("timeoutMs", 700);
    List<Future<JsonObject>> all = concurrently(30, hanging);
    for (Future<JsonObject> f : all) {
      assertThat(f.failed()).isTrue();
      assertThat(((ReplyException) f.cause()).failureCode()).as(f.cause().getMessage()).isEqualTo(408);
    }
    assertThat(computations("computed", "slowpoke")).isEqualTo(1);
    JsonObject next = call(nodes.get(1).vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("computed", "slowpoke", new JsonObject().put("address", SLOW)));
    assertThat(next.getBoolean("computed")).isTrue();
  }

  @Test
  void a_task_computes_the_value_through_the_tasks_result_api() throws Exception {
    JsonObject echo = request("computed", "from-task", new JsonObject().put("task", "echo")
      .put("payload", new JsonObject().put("answer", 42)));
    List<Future<JsonObject>> all = concurrently(30, echo);
    for (Future<JsonObject> f : all) {
      assertThat(f.succeeded()).as("caller failed: %s", f.cause()).isTrue();
      assertThat(f.result().getValue("value")).isEqualTo(new JsonObject().put("answer", 42));
    }
    JsonObject failing = request("computed", "task-fails", new JsonObject().put("task", "fail")
      .put("payload", new JsonObject().put("message", "no such user")));
    for (Future<JsonObject> f : concurrently(30, failing)) {
      assertThat(f.failed()).isTrue();
      assertThat(((ReplyException) f.cause()).failureCode()).isEqualTo(500);
      assertThat(f.cause().getMessage()).contains("no such user");
    }
  }

  @Test
  void when_the_computing_node_leaves_a_waiting_node_takes_the_computation_over() throws Exception {
    StewardNode leaving = cluster.start(List.of("cache"), new JsonObject().put("cache", new JsonObject()
      .put("caches", new JsonObject().put("computed", new JsonObject())))).await(60, TimeUnit.SECONDS);
    // No compute consumers on the leaving node: a request the bus routes to a node that is leaving waits for
    // its timeout, which would say nothing about the takeover.
    // The leaving node claims the key (its own consumer, local) and computes forever...
    Future<JsonObject> first = Bus.askHere(leaving.vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("computed", "orphan", new JsonObject().put("address", NEVER)).put("timeoutMs", 60_000));
    Poll.until(nodes.get(0).vertx(), "the leaving node computes", 20_000,
      () -> Future.succeededFuture(computations("computed", "orphan") == 1)).await(30, TimeUnit.SECONDS);
    // ...another node waits for it...
    Future<JsonObject> waiting = Bus.askHere(nodes.get(0).vertx(), Addresses.Cache.GET_OR_COMPUTE,
      request("computed", "orphan", new JsonObject().put("address", SLOW)).put("timeoutMs", 60_000));
    Poll.until(nodes.get(0).vertx(), "the waiter joined", 20_000, () -> Bus.askHere(nodes.get(0).vertx(),
        Addresses.moduleHealth(nodes.get(0).id(), "cache"), new JsonObject()).map(h -> h.getInteger("computing") == 1))
      .await(30, TimeUnit.SECONDS);
    // ...and takes over when it leaves.
    cluster.stop(leaving).await(30, TimeUnit.SECONDS);
    JsonObject got = waiting.await(30, TimeUnit.SECONDS);
    assertThat(got.getBoolean("computed")).isTrue();
    assertThat(got.getJsonObject("value").getString("key")).isEqualTo("orphan");
    assertThat(computations("computed", "orphan")).isEqualTo(2);
    assertThat(first.failed()).isTrue();
  }

  @Test
  void concurrent_increments_from_three_nodes_are_each_counted_once() throws Exception {
    int perNode = 100;
    List<Future<JsonObject>> all = new ArrayList<>();
    for (int i = 0; i < perNode * nodes.size(); i++) {
      all.add(Bus.ask(nodes.get(i % nodes.size()).vertx(), Addresses.Cache.UPDATE,
        entry("counters", "hits").put("increment", 1)));
    }
    Future.join(new ArrayList<>(all)).await(60, TimeUnit.SECONDS);
    Set<Long> acknowledged = new HashSet<>();
    for (Future<JsonObject> f : all) {
      assertThat(f.result().getBoolean("duplicate")).isFalse();
      acknowledged.add(f.result().getLong("value"));
    }
    // Every increment saw a different count: none lost, none applied twice.
    assertThat(acknowledged).hasSize(perNode * nodes.size());
    assertThat(call(nodes.get(0).vertx(), Addresses.Cache.GET, entry("counters", "hits")).getLong("value"))
      .isEqualTo(perNode * nodes.size());
  }

  @Test
  void an_update_with_a_known_operation_id_is_applied_once() throws Exception {
    JsonObject once = entry("counters", "idem").put("increment", 5).put("opId", "order-17");
    JsonObject first = call(nodes.get(0).vertx(), Addresses.Cache.UPDATE, once);
    JsonObject retried = call(nodes.get(1).vertx(), Addresses.Cache.UPDATE, once);
    assertThat(first.getLong("value")).isEqualTo(5);
    assertThat(first.getBoolean("duplicate")).isFalse();
    assertThat(retried.getLong("value")).isEqualTo(5);
    assertThat(retried.getBoolean("duplicate")).isTrue();
    assertThat(call(nodes.get(2).vertx(), Addresses.Cache.UPDATE, entry("counters", "idem").put("increment", 1))
      .getLong("value")).isEqualTo(6);
  }

  @Test
  void an_update_retried_after_a_plain_write_of_its_key_is_recognised_as_applied() throws Exception {
    var v = nodes.get(0).vertx();
    // put, putAll and replace between an update and its retry.
    JsonObject inc = entry("counters", "after-put").put("increment", 5).put("opId", "op-put");
    assertThat(call(v, Addresses.Cache.UPDATE, inc).getLong("value")).isEqualTo(5);
    call(v, Addresses.Cache.PUT, entry("counters", "after-put").put("value", 100));
    JsonObject retried = call(nodes.get(1).vertx(), Addresses.Cache.UPDATE, inc);
    assertThat(retried.getBoolean("duplicate")).as("retry after put: %s", retried).isTrue();
    assertThat(retried.getLong("value")).isEqualTo(100);

    JsonObject inc2 = entry("counters", "after-putAll").put("increment", 5).put("opId", "op-putAll");
    call(v, Addresses.Cache.UPDATE, inc2);
    call(v, Addresses.Cache.PUT_ALL, new JsonObject().put("cache", "counters")
      .put("entries", new JsonObject().put("after-putAll", 100).put("other", 1)));
    retried = call(nodes.get(2).vertx(), Addresses.Cache.UPDATE, inc2);
    assertThat(retried.getBoolean("duplicate")).as("retry after putAll: %s", retried).isTrue();
    assertThat(retried.getLong("value")).isEqualTo(100);

    JsonObject inc3 = entry("counters", "after-replace").put("increment", 5).put("opId", "op-replace");
    call(v, Addresses.Cache.UPDATE, inc3);
    call(v, Addresses.Cache.REPLACE, entry("counters", "after-replace").put("expected", 5).put("value", 100));
    retried = call(v, Addresses.Cache.UPDATE, inc3);
    assertThat(retried.getBoolean("duplicate")).as("retry after replace: %s", retried).isTrue();
    assertThat(retried.getLong("value")).isEqualTo(100);

    // A computed value stored over an entry that an update wrote while the computation ran.
    Future<JsonObject> computing = Bus.ask(v, Addresses.Cache.GET_OR_COMPUTE,
      request("counters", "after-compute", new JsonObject().put("address", HELD)));
    Poll.until(v, "the computation of after-compute to start", 20_000,
      () -> Future.succeededFuture(HELD_COMPUTATIONS.containsKey("after-compute"))).await(25, TimeUnit.SECONDS);
    JsonObject inc4 = entry("counters", "after-compute").put("increment", 5).put("opId", "op-compute");
    call(v, Addresses.Cache.UPDATE, inc4);
    HELD_COMPUTATIONS.remove("after-compute").reply(100);
    assertThat(computing.await(30, TimeUnit.SECONDS).getLong("value")).isEqualTo(100);
    retried = call(v, Addresses.Cache.UPDATE, inc4);
    assertThat(retried.getBoolean("duplicate")).as("retry after a computed value: %s", retried).isTrue();
    assertThat(retried.getLong("value")).isEqualTo(100);
  }

  @Test
  void merge_updates_fields_and_refuses_a_value_of_the_wrong_kind() throws Exception {
    var v = nodes.get(0).vertx();
    call(v, Addresses.Cache.UPDATE, entry("counters", "user").put("merge", new JsonObject().put("name", "Ada").put("age", 36)));
    call(v, Addresses.Cache.UPDATE, entry("counters", "user").put("merge", new JsonObject()
      .put("address", new JsonObject().put("city", "London")).put("age", null)));
    JsonObject user = call(v, Addresses.Cache.GET, entry("counters", "user")).getJsonObject("value");
    assertThat(user).isEqualTo(new JsonObject().put("name", "Ada").put("address", new JsonObject().put("city", "London")));

    failure(v, Addresses.Cache.UPDATE, entry("counters", "user").put("increment", 1), 409, "not a number");
    call(v, Addresses.Cache.PUT, entry("counters", "text").put("value", "plain"));
    failure(v, Addresses.Cache.UPDATE, entry("counters", "text").put("merge", new JsonObject().put("a", 1)), 409,
      "not an object");
    failure(v, Addresses.Cache.UPDATE, entry("counters", "user").put("merge", new JsonObject().put("bio", "x".repeat(220))),
      400, "the result would be");
    call(v, Addresses.Cache.PUT, entry("counters", "max").put("value", Long.MAX_VALUE));
    failure(v, Addresses.Cache.UPDATE, entry("counters", "max").put("increment", 1), 409, "overflow");
    assertThat(call(v, Addresses.Cache.UPDATE, entry("counters", "fresh").put("increment", 2.5).put("initial", 10))
      .getDouble("value")).isEqualTo(12.5);
  }
}
