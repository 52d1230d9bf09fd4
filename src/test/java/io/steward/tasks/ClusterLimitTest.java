package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.MovableClock;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Cluster-wide limits on two real members in one JVM (docs/tasks.md, "Cluster-wide limits"): the task bodies count
 * themselves, so what they measure is what ran at once across the cluster. All nodes share one moved clock (the rate
 * window); the last case kills a member (its Hazelcast terminated, no goodbye) while it holds slots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterLimitTest {

  private static final MovableClock CLOCK = new MovableClock(1_800_000_000_000L);
  private static final long PERIOD_MS = 600_000;
  /** Running bodies now, and the most seen at once, by group. */
  private static final Map<String, AtomicInteger> NOW = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> MAX = new ConcurrentHashMap<>();
  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    TaskTypes.register(TaskType.of("test.limits.count", ctx -> {
      JsonObject p = (JsonObject) ctx.payload();
      String group = p.getString("group");
      int now = NOW.computeIfAbsent(group, g -> new AtomicInteger()).incrementAndGet();
      MAX.computeIfAbsent(group, g -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      try {
        Thread.sleep(p.getLong("ms")); // the work the limit bounds
      } finally {
        NOW.get(group).decrementAndGet();
      }
      return now;
    }));
    cluster = TestCluster.create(ClusterLimitTest.class, 2);
    JsonObject tasks = new JsonObject().put("finishedTtlMs", Integer.MAX_VALUE).put("supervisors", new JsonObject()
      .put("limited", new JsonObject().put("workers", 8).put("maxQueued", 1_000).put("clusterLimit", 3))
      .put("percustomer", new JsonObject().put("workers", 4).put("clusterLimit", 1).put("partitionBy", "customer"))
      .put("rated", new JsonObject().put("workers", 4).put("ratePerPeriod", 2).put("periodMs", PERIOD_MS))
      .put("held", new JsonObject().put("workers", 4).put("clusterLimit", 2)));
    TasksConfig config = TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks", tasks), Map.of(),
      Map.of()).section("tasks"));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of(), null);
    for (StewardNode n : nodes) {
      n.vertx().deployVerticle(new TasksVerticle(config, CLOCK)).await(30, TimeUnit.SECONDS);
    }
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    TestTypes.GATES.values().forEach(TestTypes.Gate::open);
    cluster.close();
  }

  private static Future<JsonObject> request(StewardNode on, String address, JsonObject body, boolean localOnly) {
    return on.vertx().eventBus().request(address, body, new DeliveryOptions().setLocalOnly(localOnly).setSendTimeout(60_000))
      .map(m -> (JsonObject) m.body());
  }

  /** Submits on {@code on} itself (the node that accepts a task runs it); answers the id. */
  private static String submitOn(StewardNode on, String supervisor, String type, JsonObject payload) throws Exception {
    return request(on, Addresses.Tasks.SUBMIT, new JsonObject().put("type", type).put("supervisor", supervisor)
      .put("payload", payload), true).await(70, TimeUnit.SECONDS).getString("id");
  }

  private static Future<JsonObject> limitStatsOf(StewardNode n, String supervisor) {
    return request(n, Addresses.moduleHealth(n.id(), "tasks"), new JsonObject(), true)
      .map(health -> health.getJsonObject("supervisors").getJsonObject(supervisor).getJsonObject("limit"));
  }

  private static JsonObject limitStats(StewardNode n, String supervisor) throws Exception {
    return limitStatsOf(n, supervisor).await(30, TimeUnit.SECONDS);
  }

  private static Future<Long> sumOf(List<StewardNode> nodes, String supervisor, String stat) {
    List<Future<JsonObject>> all = new ArrayList<>();
    nodes.forEach(n -> all.add(limitStatsOf(n, supervisor)));
    return Future.all(all).map(v -> all.stream().mapToLong(f -> f.result().getLong(stat)).sum());
  }

  private static long sum(List<StewardNode> nodes, String supervisor, String stat) throws Exception {
    return sumOf(nodes, supervisor, stat).await(30, TimeUnit.SECONDS);
  }

  /** Waits until the nodes' {@code stat} of the supervisor's limit adds up to at least {@code atLeast}. */
  private static void untilStat(List<StewardNode> nodes, String supervisor, String stat, long atLeast) throws Exception {
    Poll.until(a.vertx(), supervisor + " " + stat + " >= " + atLeast, 30_000,
      () -> sumOf(nodes, supervisor, stat).map(n -> n >= atLeast)).await(40, TimeUnit.SECONDS);
  }

  private static String state(String id) throws Exception {
    return request(a, Addresses.Tasks.GET, new JsonObject().put("id", id), false).await(30, TimeUnit.SECONDS).getString("state");
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @Order(1)
  void a_burst_on_two_members_never_runs_more_than_the_cluster_limit_at_once_and_every_task_runs() throws Exception {
    String group = unique("burst");
    List<Future<JsonObject>> runs = new ArrayList<>();
    List<StewardNode> nodes = List.of(a, b);
    for (int i = 0; i < 24; i++) {
      runs.add(request(nodes.get(i % 2), Addresses.Tasks.RUN, new JsonObject().put("type", "test.limits.count")
        .put("supervisor", "limited").put("payload", new JsonObject().put("group", group).put("ms", 30)), true));
    }
    for (Future<JsonObject> run : runs) {
      assertThat(run.await(90, TimeUnit.SECONDS).getString("state")).isEqualTo("succeeded");
    }
    // 16 workers on two nodes, 24 tasks at once: without the limit, far more than 3 would run together.
    assertThat(MAX.get(group).get()).as("most bodies running at once across the cluster").isBetween(2, 3);
    assertThat(sum(nodes, "limited", "waiting")).isZero();
  }

  @Test
  @Order(2)
  void a_task_over_the_limit_waits_and_starts_when_a_slot_frees_on_another_node() throws Exception {
    String g = unique("slot");
    submitOn(a, "limited", "test.block", new JsonObject().put("gate", g + "-1"));
    submitOn(b, "limited", "test.block", new JsonObject().put("gate", g + "-2"));
    submitOn(a, "limited", "test.block", new JsonObject().put("gate", g + "-3"));
    for (int i = 1; i <= 3; i++) {
      assertThat(TestTypes.gate(g + "-" + i).awaitStarted()).isTrue();
    }
    long deniedBefore = sum(List.of(b), "limited", "denied");
    String fourth = submitOn(b, "limited", "test.block", new JsonObject().put("gate", g + "-4"));
    untilStat(List.of(b), "limited", "denied", deniedBefore + 1); // it asked, and was told to wait
    assertThat(state(fourth)).as("accepted, not refused: it waits").isEqualTo("pending");
    assertThat(TestTypes.gate(g + "-4").started.getCount()).as("it did not start").isEqualTo(1);
    assertThat(limitStats(b, "limited").getInteger("waiting")).isEqualTo(1);

    TestTypes.gate(g + "-1").open(); // a slot frees on node a: b's waiting task is woken by the map's event
    assertThat(TestTypes.gate(g + "-4").awaitStarted()).isTrue();
    for (int i = 1; i <= 4; i++) {
      TestTypes.gate(g + "-" + i).open();
    }
  }

  @Test
  @Order(3)
  void partition_by_limits_each_customer_on_its_own() throws Exception {
    String g = unique("cust");
    submitOn(a, "percustomer", "test.block", new JsonObject().put("gate", g + "-c1a").put("customer", "c1"));
    submitOn(b, "percustomer", "test.block", new JsonObject().put("gate", g + "-c2a").put("customer", "c2"));
    // c2's task runs beside c1's: the limit of 1 is per customer
    assertThat(TestTypes.gate(g + "-c1a").awaitStarted()).isTrue();
    assertThat(TestTypes.gate(g + "-c2a").awaitStarted()).isTrue();
    long deniedBefore = sum(List.of(b), "percustomer", "denied");
    String second = submitOn(b, "percustomer", "test.block", new JsonObject().put("gate", g + "-c1b").put("customer", "c1"));
    untilStat(List.of(b), "percustomer", "denied", deniedBefore + 1);
    assertThat(state(second)).isEqualTo("pending");
    TestTypes.gate(g + "-c2a").open(); // another customer's slot: changes nothing for c1
    TestTypes.gate(g + "-c1a").open();
    assertThat(TestTypes.gate(g + "-c1b").awaitStarted()).isTrue();
    TestTypes.gate(g + "-c1b").open();
  }

  @Test
  @Order(4)
  void a_task_without_its_partition_field_is_refused_with_400_naming_the_field() {
    ReplyException e = catchThrowableOfType(ReplyException.class, () -> request(a, Addresses.Tasks.SUBMIT,
      new JsonObject().put("type", "echo").put("supervisor", "percustomer").put("payload", new JsonObject()
        .put("customer", new JsonObject())), false).await(30, TimeUnit.SECONDS));
    assertThat(e.failureCode()).isEqualTo(400);
    assertThat(e.getMessage()).startsWith("payload.customer: is required").contains("partitionBy");
  }

  @Test
  @Order(5)
  void the_rate_window_lets_a_third_start_only_after_the_period_has_passed_on_the_clock() throws Exception {
    String key = unique("rate");
    List<String> ids = new ArrayList<>();
    for (StewardNode n : List.of(a, b)) {
      ids.add(submitOn(n, "rated", "test.count", new JsonObject().put("key", key)));
    }
    for (String id : ids) {
      assertThat(request(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id), false).await(30, TimeUnit.SECONDS)
        .getString("state")).isEqualTo("succeeded");
    }
    long deniedBefore = sum(List.of(b), "rated", "denied");
    String third = submitOn(b, "rated", "test.count", new JsonObject().put("key", key));
    untilStat(List.of(b), "rated", "denied", deniedBefore + 2); // asked twice (the safety timer): still no room
    assertThat(state(third)).isEqualTo("pending");
    assertThat(TestTypes.runs(key)).isEqualTo(2);
    CLOCK.advance(PERIOD_MS - 1_000); // not yet
    untilStat(List.of(b), "rated", "denied", deniedBefore + 3);
    assertThat(TestTypes.runs(key)).isEqualTo(2);
    CLOCK.advance(2_000); // past the window, with room for the few ms the cluster clock's offset may vary
    assertThat(request(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", third), false).await(30, TimeUnit.SECONDS)
      .getString("state")).isEqualTo("succeeded");
    assertThat(TestTypes.runs(key)).isEqualTo(3);
  }

  @Test
  @Order(6)
  void a_killed_member_s_slots_come_back_and_a_survivor_s_waiting_task_starts() throws Exception {
    String g = unique("kill");
    submitOn(b, "held", "test.block", new JsonObject().put("gate", g + "-1"));
    submitOn(b, "held", "test.block", new JsonObject().put("gate", g + "-2"));
    assertThat(TestTypes.gate(g + "-1").awaitStarted()).isTrue();
    assertThat(TestTypes.gate(g + "-2").awaitStarted()).isTrue();
    long deniedBefore = sum(List.of(a), "held", "denied");
    String waiting = submitOn(a, "held", "test.block", new JsonObject().put("gate", g + "-3"));
    untilStat(List.of(a), "held", "denied", deniedBefore + 1);
    assertThat(state(waiting)).isEqualTo("pending");

    Cluster.hazelcast(b.vertx()).getLifecycleService().terminate(); // no goodbye; its attempts hold their slots
    assertThat(TestTypes.gate(g + "-3").awaitStarted()).as("the survivor's task started").isTrue();
    untilStat(List.of(a), "held", "reclaimed", 2);
    assertThat(sum(List.of(a), "held", "reclaimed")).as("each slot freed once").isEqualTo(2);
    TestTypes.gate(g + "-1").open();
    TestTypes.gate(g + "-2").open();
    TestTypes.gate(g + "-3").open();
    cluster.stop(b); // out of the cluster's list; its Hazelcast is gone, so its stop cannot finish cleanly
    b.vertx().close();
  }
}
