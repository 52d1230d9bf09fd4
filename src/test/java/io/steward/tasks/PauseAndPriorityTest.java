package io.steward.tasks;

import io.micrometer.core.instrument.Gauge;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.observe.Metrics;
import io.steward.testing.MovableClock;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Pausing supervisors cluster-wide and task priorities, on real Hazelcast members in one JVM. Every node's tasks
 * module runs on the test's clock, which the aging test moves. Each test has supervisors of its own (one worker
 * each), since a pause is cluster-wide.
 */
class PauseAndPriorityTest {

  private static final long T0 = 1_800_000_000_000L;
  private static final long AGING_MS = 1_000;
  private static final MovableClock CLOCK = new MovableClock(T0);
  /** Tags of the {@code test.order} tasks, by run (a list per test), in the order their attempts started. */
  private static final Map<String, List<String>> STARTS = new ConcurrentHashMap<>();
  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static WebClient http;
  private static String url;

  private static TasksConfig config() {
    JsonObject sups = new JsonObject();
    for (String s : List.of("p1", "p2", "p3", "p4", "prio", "aging", "web")) {
      sups.put(s, new JsonObject().put("workers", 1).put("maxQueued", 10));
    }
    sups.put("full", new JsonObject().put("workers", 1).put("maxQueued", 1));
    JsonObject tasks = new JsonObject().put("supervisors", sups).put("backoffMs", 0).put("maxBackoffMs", 0)
      .put("publishMs", 50).put("priorityAgingMs", AGING_MS).put("finishedTtlMs", Integer.MAX_VALUE);
    return TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks", tasks), Map.of(), Map.of())
      .section("tasks"));
  }

  /** The deployment of each node's tasks module. */
  private static final Map<StewardNode, String> TASKS = new ConcurrentHashMap<>();

  private static StewardNode startNode(List<String> modules) throws Exception {
    StewardNode node = cluster.start(modules).await(60, TimeUnit.SECONDS);
    TASKS.put(node, node.vertx().deployVerticle(new TasksVerticle(config(), CLOCK, CLOCK)).await(30, TimeUnit.SECONDS));
    return node;
  }

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    TaskTypes.register(TaskType.of("test.order", ctx -> {
      JsonObject p = (JsonObject) ctx.payload();
      STARTS.computeIfAbsent(p.getString("run"), k -> new CopyOnWriteArrayList<>()).add(p.getString("tag"));
      return p.getString("tag");
    }));
    cluster = TestCluster.create(PauseAndPriorityTest.class, 3);
    a = startNode(List.of("http"));
    b = startNode(List.of());
    url = TestCluster.httpUrl(a).await(10, TimeUnit.SECONDS);
    http = WebClient.create(a.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    TestTypes.GATES.values().forEach(TestTypes.Gate::open);
    if (http != null) {
      http.close();
    }
    cluster.close();
  }

  // ---------------------------------------------------------------- helpers

  /** A request handled by {@code node} itself. */
  private static Future<JsonObject> request(StewardNode node, String address, JsonObject body) {
    return node.vertx().eventBus().request(address, body, new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000))
      .map(m -> (JsonObject) m.body());
  }

  private static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return request(node, address, body).await(40, TimeUnit.SECONDS);
  }

  private static ReplyException failure(StewardNode node, String address, JsonObject body) {
    ReplyException e = catchThrowableOfType(ReplyException.class, () -> call(node, address, body));
    assertThat(e).as("%s with %s must fail", address, body).isNotNull();
    return e;
  }

  private static JsonObject pause(StewardNode node, String supervisor) throws Exception {
    return call(node, Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", supervisor));
  }

  private static JsonObject resume(StewardNode node, String supervisor) throws Exception {
    return call(node, Addresses.Tasks.RESUME, new JsonObject().put("supervisor", supervisor));
  }

  /** This node's view of one supervisor. */
  private static JsonObject supervisor(StewardNode node, String name) throws Exception {
    return call(node, Addresses.Tasks.SUPERVISORS, new JsonObject().put("supervisor", name))
      .getJsonObject("supervisors").getJsonObject(name);
  }

  /** Submits a {@code test.order} task that records {@code tag} under {@code run} when it starts; its id. */
  private static String order(StewardNode node, String supervisor, String run, String tag, int priority, String restart)
    throws Exception {
    return call(node, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.order").put("supervisor", supervisor)
      .put("priority", priority).put("restart", restart)
      .put("payload", new JsonObject().put("run", run).put("tag", tag))).getString("id");
  }

  /** Submits a {@code test.block} task on its gate and waits until it runs: the supervisor's one worker is busy. */
  private static String block(StewardNode node, String supervisor, String gate) throws Exception {
    String id = call(node, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.block").put("supervisor", supervisor)
      .put("payload", new JsonObject().put("gate", gate))).getString("id");
    assertThat(TestTypes.gate(gate).awaitStarted()).as("blocker %s started", gate).isTrue();
    return id;
  }

  private static JsonObject await(StewardNode node, String id) throws Exception {
    return call(node, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
  }

  private static String state(StewardNode node, String id) throws Exception {
    return call(node, Addresses.Tasks.GET, new JsonObject().put("id", id)).getString("state");
  }

  /** Waits until {@code supervisor}'s queue holds {@code n} tasks. */
  private static void awaitQueued(String supervisor, int n) throws Exception {
    Poll.until(a.vertx(), n + " task(s) queued in " + supervisor, 30_000, () -> request(a, Addresses.Tasks.SUPERVISORS,
      new JsonObject().put("supervisor", supervisor)).map(s -> s.getJsonObject("supervisors").getJsonObject(supervisor)
      .getInteger("queued") == n)).await(40, TimeUnit.SECONDS);
  }

  private static List<String> starts(String run) {
    return STARTS.getOrDefault(run, List.of());
  }

  private static double pausedGauge(StewardNode node, String supervisor) {
    Gauge g = Metrics.registry(node.vertx()).find("steward_tasks_paused").tag("supervisor", supervisor).gauge();
    assertThat(g).as("gauge steward_tasks_paused{supervisor=%s}", supervisor).isNotNull();
    return g.value();
  }

  // ---------------------------------------------------------------- pausing

  @Test
  void a_pause_on_one_node_stops_starts_on_another_and_resume_starts_the_queue_in_priority_order() throws Exception {
    JsonObject paused = pause(a, "p1");
    assertThat(paused.getBoolean("paused")).isTrue();
    assertThat(paused.getBoolean("changed")).isTrue();
    assertThat(paused.getInteger("nodes")).as("both tasks nodes know it when the pause answers").isEqualTo(2);
    assertThat(supervisor(b, "p1").getBoolean("paused")).isTrue();
    assertThat(pausedGauge(b, "p1")).isEqualTo(1.0);

    // Submits on the other node are accepted while paused, and wait.
    List<String> ids = new ArrayList<>();
    ids.add(order(b, "p1", "p1", "zero", 0, "temporary"));
    ids.add(order(b, "p1", "p1", "five", 5, "temporary"));
    ids.add(order(b, "p1", "p1", "minus3", -3, "temporary"));
    ids.add(order(b, "p1", "p1", "durable7", 7, "transient"));
    for (String id : ids) {
      assertThat(state(a, id)).as("task %s while paused", id).isEqualTo("pending");
    }
    assertThat(supervisor(b, "p1").getInteger("queued")).isEqualTo(4);
    assertThat(pause(b, "p1").getBoolean("changed")).as("a second pause changes nothing").isFalse();

    JsonObject resumed = resume(a, "p1");
    assertThat(resumed.getBoolean("paused")).isFalse();
    assertThat(resumed.getBoolean("changed")).isTrue();
    for (String id : ids) {
      assertThat(await(b, id).getString("state")).isEqualTo("succeeded");
    }
    // Had any started while paused, the first would have run in submit order. (A durable task joins the workers' queue
    // once its running record is written, so right after a resume it may come after temporary ones: docs/tasks.md.)
    assertThat(starts("p1")).filteredOn(t -> !t.equals("durable7")).containsExactly("five", "zero", "minus3");
    assertThat(starts("p1")).contains("durable7");
    assertThat(pausedGauge(b, "p1")).isEqualTo(0.0);
    assertThat(resume(b, "p1").getBoolean("changed")).as("a second resume changes nothing").isFalse();
  }

  @Test
  void a_running_attempt_finishes_while_paused_and_its_restart_waits_for_the_resume() throws Exception {
    String gate = "p2-attempts";
    String id = call(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.attempts").put("supervisor", "p2")
      .put("restart", "transient").put("maxRestarts", 5).put("withinMs", 3_600_000)
      .put("payload", new JsonObject().put("gate", gate).put("fail", new io.vertx.core.json.JsonArray().add(1))))
      .getString("id");
    assertThat(TestTypes.gate(gate + "-1").awaitStarted()).isTrue();
    pause(b, "p2");
    assertThat(pausedGauge(a, "p2")).isEqualTo(1.0);

    TestTypes.gate(gate + "-1").open(); // the running attempt ends (it fails: a restart is due at once, backoff 0)
    assertThat(TestTypes.gate(gate + "-1").returned.await(30, TimeUnit.SECONDS)).isTrue();
    Poll.until(a.vertx(), "task " + id + " waiting to restart", 30_000, () -> request(a, Addresses.Tasks.GET,
      new JsonObject().put("id", id)).map(t -> "pending".equals(t.getString("state")) && t.getInteger("attempts") == 1))
      .await(40, TimeUnit.SECONDS);
    // A later task of another supervisor ran to its end: the node went on working meanwhile.
    assertThat(call(a, Addresses.Tasks.RUN, new JsonObject().put("type", "echo")).getString("state")).isEqualTo("succeeded");
    assertThat(TestTypes.runs(gate + "-2")).as("the restart did not start while paused").isZero();
    assertThat(state(a, id)).isEqualTo("pending");

    resume(b, "p2");
    assertThat(TestTypes.gate(gate + "-2").awaitStarted()).isTrue();
    TestTypes.gate(gate + "-2").open();
    JsonObject done = await(a, id);
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getInteger("attempts")).isEqualTo(2);
  }

  @Test
  void a_node_that_joins_while_a_supervisor_is_paused_starts_nothing_of_it() throws Exception {
    pause(a, "p3");
    StewardNode c = startNode(List.of());
    try {
      assertThat(supervisor(c, "p3").getBoolean("paused")).as("the new node read the pause as it started").isTrue();
      assertThat(supervisor(c, "p4").getBoolean("paused")).isFalse();
      String id = order(c, "p3", "p3", "late", 0, "temporary");
      String other = order(c, "p4", "p4", "other", 0, "temporary");
      assertThat(await(c, other).getString("state")).as("another supervisor runs").isEqualTo("succeeded");
      assertThat(state(c, id)).isEqualTo("pending");
      assertThat(starts("p3")).isEmpty();
      JsonObject resumed = resume(b, "p3");
      assertThat(resumed.getInteger("nodes")).isEqualTo(3);
      assertThat(await(c, id).getString("state")).isEqualTo("succeeded");
      assertThat(starts("p3")).containsExactly("late");

      // A node whose tasks module stops while a supervisor is paused does not wait for its queue, which cannot start.
      pause(a, "p4");
      String held = order(c, "p4", "p4", "held", 0, "temporary");
      assertThat(state(c, held)).isEqualTo("pending");
      c.vertx().undeploy(TASKS.get(c)).await(20, TimeUnit.SECONDS);
      assertThat(starts("p4")).containsExactly("other");
      resume(a, "p4");
    } finally {
      cluster.stop(c).await(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_full_paused_supervisor_refuses_submits_with_429_and_bad_requests_get_clear_codes() throws Exception {
    pause(a, "full");
    try {
      order(a, "full", "full", "one", 0, "temporary");
      order(a, "full", "full", "two", 0, "temporary");
      ReplyException full = failure(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "echo").put("supervisor", "full"));
      assertThat(full.failureCode()).as(full.getMessage()).isEqualTo(429);
    } finally {
      resume(a, "full");
    }
    ReplyException unknown = failure(a, Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", "nope"));
    assertThat(unknown.failureCode()).isEqualTo(404);
    assertThat(unknown.getMessage()).startsWith("supervisor: no supervisor 'nope'");
    assertThat(failure(a, Addresses.Tasks.RESUME, new JsonObject().put("supervisor", "nope")).failureCode()).isEqualTo(404);
    assertThat(failure(a, Addresses.Tasks.PAUSE, new JsonObject()).failureCode()).isEqualTo(400);
    assertThat(failure(a, Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", 3)).failureCode()).isEqualTo(400);
    assertThat(failure(a, Addresses.Tasks.SUPERVISORS, new JsonObject().put("supervisor", "nope")).failureCode()).isEqualTo(404);
    for (Object bad : List.of(11, -11, "high", 1.5, Long.MAX_VALUE)) {
      ReplyException e = failure(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "echo").put("priority", bad));
      assertThat(e.failureCode()).as("priority %s: %s", bad, e.getMessage()).isEqualTo(400);
      assertThat(e.getMessage()).startsWith("priority:");
    }
  }

  @Test
  void the_http_routes_pause_resume_and_list_supervisors() throws Exception {
    HttpResponse<Buffer> paused = httpCall(HttpMethod.POST, "/tasks/supervisors/web/pause");
    assertThat(paused.statusCode()).as(paused.bodyAsString()).isEqualTo(200);
    assertThat(paused.bodyAsJsonObject().getBoolean("paused")).isTrue();
    HttpResponse<Buffer> list = httpCall(HttpMethod.GET, "/tasks/supervisors");
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.bodyAsJsonObject().getJsonObject("supervisors").getJsonObject("web").getBoolean("paused")).isTrue();
    HttpResponse<Buffer> resumed = httpCall(HttpMethod.POST, "/tasks/supervisors/web/resume");
    assertThat(resumed.statusCode()).isEqualTo(200);
    assertThat(resumed.bodyAsJsonObject().getBoolean("paused")).isFalse();
    assertThat(httpCall(HttpMethod.POST, "/tasks/supervisors/nope/pause").statusCode()).isEqualTo(404);
    assertThat(httpCall(HttpMethod.GET, "/tasks/supervisors?colour=red").statusCode()).isEqualTo(400);
    HttpResponse<Buffer> bad = http.requestAbs(HttpMethod.POST, url + "/tasks").putHeader("content-type", "application/json")
      .sendBuffer(Buffer.buffer("{\"type\": \"echo\", \"priority\": \"high\"}")).await(30, TimeUnit.SECONDS);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("field")).isEqualTo("priority");
  }

  private static HttpResponse<Buffer> httpCall(HttpMethod method, String path) throws Exception {
    return http.requestAbs(method, url + path).send().await(30, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- priorities

  @Test
  void higher_priorities_start_first_when_the_pool_is_full_and_equal_ones_in_submit_order() throws Exception {
    String gate = "prio-blocker";
    String blocker = block(a, "prio", gate);
    List<String> ids = new ArrayList<>();
    ids.add(order(a, "prio", "prio", "zero-a", 0, "temporary"));
    ids.add(order(a, "prio", "prio", "minus5", -5, "temporary"));
    ids.add(order(a, "prio", "prio", "ten", 10, "temporary"));
    ids.add(order(a, "prio", "prio", "durable7", 7, "transient"));
    ids.add(order(a, "prio", "prio", "three", 3, "temporary"));
    ids.add(order(a, "prio", "prio", "zero-b", 0, "temporary"));
    // The durable one is queued once its running record is written.
    Poll.until(a.vertx(), "six tasks queued", 30_000, () -> request(a, Addresses.Tasks.SUPERVISORS,
      new JsonObject().put("supervisor", "prio")).map(s -> s.getJsonObject("supervisors").getJsonObject("prio")
      .getInteger("queued") == 6)).await(40, TimeUnit.SECONDS);
    TestTypes.gate(gate).open();
    assertThat(await(a, blocker).getString("state")).isEqualTo("succeeded");
    for (String id : ids) {
      assertThat(await(a, id).getString("state")).isEqualTo("succeeded");
    }
    assertThat(starts("prio")).containsExactly("ten", "durable7", "three", "zero-a", "zero-b", "minus5");
    assertThat(call(a, Addresses.Tasks.GET, new JsonObject().put("id", ids.get(3))).getInteger("priority")).isEqualTo(7);
  }

  @Test
  void a_lowest_priority_task_is_passed_only_by_tasks_queued_within_its_aging_bound() throws Exception {
    String gate = "aging-blocker";
    String blocker = block(a, "aging", gate);
    // A task takes its place in the queue (from the clock) a moment after its submit is answered: each is awaited in
    // the queue before the clock moves.
    String low = order(a, "aging", "aging", "low", -10, "temporary");
    awaitQueued("aging", 1);
    // The bound: (10 - (-10)) steps of priorityAgingMs. One queued just inside it still goes first ...
    CLOCK.advance(20 * AGING_MS - 1);
    String inside = order(a, "aging", "aging", "high-inside", 10, "temporary");
    awaitQueued("aging", 2);
    // ... one queued just after it does not.
    CLOCK.advance(2);
    String after = order(a, "aging", "aging", "high-after", 10, "temporary");
    awaitQueued("aging", 3);
    TestTypes.gate(gate).open();
    await(a, blocker);
    for (String id : List.of(low, inside, after)) {
      assertThat(await(a, id).getString("state")).isEqualTo("succeeded");
    }
    assertThat(starts("aging")).containsExactly("high-inside", "low", "high-after");
  }
}
