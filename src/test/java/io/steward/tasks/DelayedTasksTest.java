package io.steward.tasks;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.observe.Metrics;
import io.steward.spi.Cluster;
import io.steward.testing.MovableClock;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delayed and scheduled one-off tasks ({@code delayMs}, {@code runAt}) on the tasks module's clock: a task waits in
 * state {@code scheduled} until the test moves the clock to its time, then runs like any task; cancel and keys work
 * while it waits; a durable one of a node that left (or one reloaded from a store after a full restart) keeps its due
 * time on the survivor. Real Hazelcast members in one JVM, every tasks module on the same moved clock.
 */
class DelayedTasksTest {

  private static final long T0 = 1_900_000_000_000L;
  private static final long BACKOFF_MS = 100_000;
  private static final MovableClock CLOCK = new MovableClock(T0);
  private static TestCluster cluster;
  private static StewardNode a;

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(DelayedTasksTest.class, 2);
    a = cluster.start(List.of()).await(60, TimeUnit.SECONDS);
    deployTasks(a);
  }

  /** Deploys a tasks module on the test's clock; the answer is its deployment id. */
  private static String deployTasks(StewardNode node) throws Exception {
    JsonObject tasks = new JsonObject()
      .put("supervisors", new JsonObject().put("default", new JsonObject().put("workers", 2).put("maxQueued", 500)))
      .put("backoffMs", BACKOFF_MS).put("maxBackoffMs", 2 * BACKOFF_MS).put("publishMs", 50).put("orphanSweepMs", 200)
      .put("finishedTtlMs", Integer.MAX_VALUE); // the clock moves by hours: keep what finished
    TasksConfig config = TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks", tasks), Map.of(),
      Map.of()).section("tasks"));
    return node.vertx().deployVerticle(new TasksVerticle(config, CLOCK)).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    TestTypes.GATES.values().forEach(TestTypes.Gate::open);
    cluster.close();
  }

  private static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return node.vertx().eventBus().request(address, body, new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000))
      .map(m -> (JsonObject) m.body()).await(70, TimeUnit.SECONDS);
  }

  private static JsonObject get(String id) throws Exception {
    return call(a, Addresses.Tasks.GET, new JsonObject().put("id", id));
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject count(String key) {
    return new JsonObject().put("type", "test.count").put("payload", new JsonObject().put("key", key));
  }

  /** A task run to its end after the clock moved: the watchdog (which also fires due tasks) has ticked meanwhile. */
  private static void watchdogWentBy() throws Exception {
    assertThat(call(a, Addresses.Tasks.RUN, count(unique("tick"))).getString("state")).isEqualTo("succeeded");
    assertThat(call(a, Addresses.Tasks.RUN, count(unique("tick"))).getString("state")).isEqualTo("succeeded");
  }

  private static void untilRuns(String key, int n) throws Exception {
    Poll.until(a.vertx(), key + " ran " + n + " time(s)", 30_000, () -> Future.succeededFuture(TestTypes.runs(key) >= n))
      .await(40, TimeUnit.SECONDS);
  }

  @Test
  void a_delayed_task_is_scheduled_until_the_clock_reaches_its_time_then_runs_once() throws Exception {
    String key = unique("delayed");
    long submittedAt = CLOCK.millis();
    String id = call(a, Addresses.Tasks.SUBMIT, count(key).put("delayMs", 3_600_000)).getString("id");
    JsonObject waiting = get(id);
    assertThat(waiting.getString("state")).isEqualTo("scheduled");
    assertThat(waiting.getLong("runAt")).isEqualTo(submittedAt + 3_600_000);
    assertThat(call(a, Addresses.Tasks.LIST, new JsonObject().put("state", "scheduled")).encode()).contains(id);
    Gauge gauge = Metrics.registry(a.vertx()).find("steward_tasks_scheduled").gauge();
    assertThat(gauge.value()).isGreaterThanOrEqualTo(1);

    CLOCK.advance(3_600_000 - 1);
    watchdogWentBy();
    assertThat(get(id).getString("state")).as("one millisecond before its time").isEqualTo("scheduled");
    assertThat(TestTypes.runs(key)).isZero();

    CLOCK.advance(1);
    JsonObject done = call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getLong("startedAt")).isEqualTo(submittedAt + 3_600_000);
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(TestTypes.runs(key)).isEqualTo(1);
    Timer lateness = Metrics.registry(a.vertx()).find("steward_tasks_schedule_lateness").timer();
    assertThat(lateness.count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void delayed_tasks_submitted_on_every_submit_event_loop_all_wait_and_all_run() throws Exception {
    // Submits are taken on tasks.submitInstances (2) event loops; the scheduled tasks' heap lives on one of them.
    // Found by DelayedBench: 100 000 submits, some never fired (a heap written from two threads at once).
    String key = unique("many");
    List<Future<Object>> submits = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      submits.add(a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, count(key).put("delayMs", 60_000 + i),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000)).map(m -> m.body()));
    }
    Future.all(submits).await(60, TimeUnit.SECONDS);
    // A submit is answered before its task reaches the heap on the tasks verticle's loop (one hop): wait for all 200.
    Gauge gauge = Metrics.registry(a.vertx()).find("steward_tasks_scheduled").gauge();
    Poll.until(a.vertx(), "the 200 tasks waiting in the heap", 30_000, () -> Future.succeededFuture(gauge.value() >= 200))
      .await(40, TimeUnit.SECONDS);
    CLOCK.advance(60_200);
    untilRuns(key, 200);
    watchdogWentBy();
    assertThat(TestTypes.runs(key)).isEqualTo(200);
  }

  @Test
  void a_task_with_runAt_as_an_ISO_instant_waits_for_that_instant_and_then_follows_its_restart_policy() throws Exception {
    String key = unique("iso");
    long at = CLOCK.millis() + 7_200_000;
    String id = call(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.flaky")
      .put("payload", new JsonObject().put("key", key).put("failures", 1)).put("restart", "transient")
      .put("runAt", Instant.ofEpochMilli(at).toString())).getString("id");
    assertThat(get(id).getLong("runAt")).isEqualTo(at);
    CLOCK.advance(7_200_000);
    untilRuns(key, 1);
    Poll.until(a.vertx(), id + " restarting", 30_000, () -> field(id, "state").map("restarting"::equals))
      .await(40, TimeUnit.SECONDS);
    CLOCK.advance(2 * BACKOFF_MS); // the restart waits its backoff, not the task's runAt again
    JsonObject done = call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getInteger("attempts")).isEqualTo(2);
  }

  /** The task's {@code name} field, asked without blocking (for {@link Poll}, which runs on an event loop). */
  private static Future<String> field(String id, String name) {
    return a.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", id),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000)).map(m -> ((JsonObject) m.body()).getString(name));
  }

  @Test
  void a_scheduled_durable_task_cancelled_before_its_time_never_runs_and_its_key_is_bound_while_it_waits() throws Exception {
    String key = unique("cancelled");
    String taskKey = unique("key");
    JsonObject submit = count(key).put("delayMs", 600_000).put("restart", "transient").put("key", taskKey);
    String id = call(a, Addresses.Tasks.SUBMIT, submit).getString("id");
    JsonObject again = call(a, Addresses.Tasks.SUBMIT, submit);
    assertThat(again.getString("id")).as("the key is bound while the task waits").isEqualTo(id);
    assertThat(again.getBoolean("existing")).isTrue();
    var records = Cluster.hazelcast(a.vertx()).<String, String>getMap(TaskStore.RECORDS);
    JsonObject rec = new JsonObject(records.get(id));
    assertThat(rec.getString("state")).as("recorded before it was acknowledged").isEqualTo("scheduled");
    assertThat(rec.getLong("runAt")).isEqualTo(CLOCK.millis() + 600_000);

    assertThat(call(a, Addresses.Tasks.CANCEL, new JsonObject().put("id", id)).getString("state")).isEqualTo("cancelled");
    CLOCK.advance(600_000);
    watchdogWentBy();
    assertThat(get(id).getString("state")).isEqualTo("cancelled");
    assertThat(TestTypes.runs(key)).isZero();
    Poll.until(a.vertx(), "the cancelled record", 30_000, () -> Future.succeededFuture(
      "cancelled".equals(new JsonObject(records.get(id)).getString("state")))).await(40, TimeUnit.SECONDS);
    String next = call(a, Addresses.Tasks.SUBMIT, submit).getString("id");
    assertThat(next).as("the key was freed by the cancel").isNotEqualTo(id);
    call(a, Addresses.Tasks.CANCEL, new JsonObject().put("id", next));
  }

  @Test
  void a_durable_scheduled_task_of_a_node_that_left_fires_on_the_survivor_at_its_time_not_before() throws Exception {
    StewardNode b = cluster.start(List.of()).await(60, TimeUnit.SECONDS);
    String tasksOfB = deployTasks(b);
    String key = unique("moved");
    long at = CLOCK.millis() + 1_800_000;
    String id = call(b, Addresses.Tasks.SUBMIT, count(key).put("runAt", at).put("restart", "transient")).getString("id");
    assertThat(call(b, Addresses.Tasks.GET, new JsonObject().put("id", id)).getString("node")).isEqualTo(b.id());
    // As on SIGTERM: its tasks module stops (and leaves its durable tasks to the survivors), then the node goes.
    b.vertx().undeploy(tasksOfB).await(30, TimeUnit.SECONDS);
    cluster.stop(b).await(60, TimeUnit.SECONDS);

    Poll.until(a.vertx(), id + " taken over by " + a.id(), 30_000, () -> field(id, "node").map(a.id()::equals)).await(40, TimeUnit.SECONDS);
    JsonObject adopted = get(id);
    assertThat(adopted.getString("state")).as("it waits on the survivor too").isEqualTo("scheduled");
    assertThat(adopted.getLong("runAt")).isEqualTo(at);
    watchdogWentBy();
    assertThat(TestTypes.runs(key)).isZero();

    CLOCK.advance(1_800_000);
    JsonObject done = call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getLong("startedAt")).isEqualTo(at);
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.containsKey("possibleDuplicate")).as("it never ran on the node that left").isFalse();
    assertThat(TestTypes.runs(key)).isEqualTo(1);
  }

  @Test
  void a_scheduled_record_reloaded_after_a_full_restart_keeps_its_due_time_and_one_past_due_runs_at_once() throws Exception {
    // After a full stop with a store, the records come back naming nodes that no longer exist: the same as a departed node's.
    var records = Cluster.hazelcast(a.vertx()).<String, String>getMap(TaskStore.RECORDS);
    String later = unique("reloaded-later");
    String overdue = unique("reloaded-overdue");
    String laterId = record(records, later, CLOCK.millis() + 900_000);
    String overdueId = record(records, overdue, CLOCK.millis() - 900_000);

    JsonObject done = call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", overdueId).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).as("due while no node ran it: it runs once taken over").isEqualTo("succeeded");
    // Any live tasks node may take it (the one here, or one a failed test left behind): not the departed one.
    Poll.until(a.vertx(), laterId + " taken over", 30_000, () -> field(laterId, "node").map(n -> !n.startsWith("gone-")))
      .await(40, TimeUnit.SECONDS);
    assertThat(get(laterId).getString("state")).isEqualTo("scheduled");
    watchdogWentBy();
    assertThat(TestTypes.runs(later)).isZero();
    CLOCK.advance(900_000);
    assertThat(call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", laterId).put("timeoutMs", 30_000))
      .getString("state")).isEqualTo("succeeded");
    assertThat(TestTypes.runs(later)).isEqualTo(1);
    assertThat(TestTypes.runs(overdue)).isEqualTo(1);
  }

  private static String record(com.hazelcast.map.IMap<String, String> records, String key, long runAt) {
    String id = "0123456789ab-" + Math.floorMod(UUID.randomUUID().getMostSignificantBits(), 1_000_000L);
    records.set(id, new JsonObject().put("id", id).put("type", "test.count").put("payload", new JsonObject().put("key", key))
      .put("supervisor", "default").put("restart", "transient").put("maxRestarts", 3).put("withinMs", 5_000)
      .put("submittedAt", T0).put("attempts", 0).put("state", "scheduled").put("runAt", runAt)
      .put("node", "gone-" + id).encode());
    return id;
  }
}
