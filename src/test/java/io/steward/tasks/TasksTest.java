package io.steward.tasks;

import io.micrometer.core.instrument.MeterRegistry;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.observe.Metrics;
import io.steward.node.StewardNode;
import io.steward.tasks.builtin.BusTask;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Supervision on a real two-node cluster (Hazelcast, clustered event bus), both nodes running tasks. Requests
 * that must be handled by one node are sent with {@code localOnly}, so which node does what is deterministic.
 */
class TasksTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static final List<JsonObject> EVENTS = new CopyOnWriteArrayList<>();
  private static final ExecutorService POLLER = Executors.newSingleThreadExecutor();

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(TasksTest.class, 3);
    JsonObject tasks = new JsonObject()
      .put("supervisors", new JsonObject()
        .put("default", new JsonObject().put("workers", 4).put("maxQueued", 100))
        .put("tiny", new JsonObject().put("workers", 1).put("maxQueued", 1))
        .put("z", new JsonObject().put("workers", 1).put("maxQueued", 5).put("maxZombies", 1))
        .put("one", new JsonObject().put("workers", 1).put("maxQueued", 5).put("dispatchAhead", 0))
        .put("keyed", new JsonObject().put("workers", 2).put("maxQueued", 2_000)))
      .put("backoffMs", 20).put("maxBackoffMs", 200).put("publishMs", 50).put("orphanSweepMs", 1_000);
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("tasks"), new JsonObject().put("tasks", tasks));
    a = nodes.get(0);
    b = nodes.get(1);
    a.vertx().eventBus().<JsonObject>consumer(Addresses.Tasks.EVENTS, m -> m.body().getJsonArray("events")
      .forEach(e -> EVENTS.add((JsonObject) e))).completion().await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    TestTypes.GATES.values().forEach(TestTypes.Gate::open);
    cluster.close();
    POLLER.shutdownNow();
  }

  // ---------------------------------------------------------------- helpers

  /** A request handled by {@code node} itself. */
  static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(address, body,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
  }

  static ReplyException failure(StewardNode node, String address, JsonObject body) {
    return catchThrowableOfType(ReplyException.class, () -> call(node, address, body));
  }

  static JsonObject task(String type, Object payload) {
    return new JsonObject().put("type", type).put("payload", payload);
  }

  static JsonObject block(String gate, boolean cooperative) {
    return task("test.block", new JsonObject().put("gate", gate).put("cooperative", cooperative));
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Waits for a condition checked on a plain thread (it may make blocking requests). */
  static void until(String what, Callable<Boolean> condition) throws Exception {
    Poll.until(a.vertx(), what, 30_000, () -> Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
      try {
        return condition.call();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, POLLER))).await(40, TimeUnit.SECONDS);
  }

  static List<JsonObject> events(String id) {
    return EVENTS.stream().filter(e -> id.equals(e.getString("id"))).toList();
  }

  static double meter(StewardNode node, String name, String... tags) {
    MeterRegistry registry = Metrics.registry(node.vertx());
    // Gauges, counters and function counters alike: the sum of their first measurement.
    return registry.find(name).tags(tags).meters().stream()
      .mapToDouble(m -> m.measure().iterator().next().getValue()).sum();
  }

  // ---------------------------------------------------------------- run, await, get

  @Test
  void run_answers_with_the_result_when_the_task_ends() throws Exception {
    JsonObject payload = new JsonObject().put("hello", "world");
    JsonObject r = call(a, Addresses.Tasks.RUN, task("echo", payload));
    assertThat(r.getString("state")).isEqualTo("succeeded");
    assertThat(r.getJsonObject("result")).isEqualTo(payload);
    assertThat(r.getInteger("attempts")).isEqualTo(1);
    assertThat(r.getString("node")).isEqualTo(a.id());
    assertThat(r.getLong("endedAt")).isGreaterThanOrEqualTo(r.getLong("startedAt"));
    assertThat(r.getString("type")).isEqualTo("echo");

    JsonObject slept = call(b, Addresses.Tasks.RUN, task("sleep", new JsonObject().put("ms", 20)));
    assertThat(slept.getJsonObject("result")).isEqualTo(new JsonObject().put("sleptMs", 20));
    assertThat(call(a, Addresses.Tasks.RUN, new JsonObject().put("type", "echo")).getValue("result")).isNull();
  }

  @Test
  void run_of_a_failing_task_answers_500_with_the_task_error() {
    ReplyException e = failure(a, Addresses.Tasks.RUN, task("fail", new JsonObject().put("message", "boom")));
    assertThat(e.failureCode()).isEqualTo(500);
    assertThat(e.getMessage()).isEqualTo("boom");
  }

  @Test
  void submit_answers_an_id_and_await_on_another_node_gets_the_result() throws Exception {
    String gate = unique("await");
    String id = call(a, Addresses.Tasks.SUBMIT, block(gate, true)).getString("id");
    assertThat(TestTypes.gate(gate).awaitStarted()).isTrue();

    ReplyException early = failure(b, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 100));
    assertThat(early.failureCode()).isEqualTo(408);
    JsonObject running = call(b, Addresses.Tasks.GET, new JsonObject().put("id", id));
    assertThat(running.getString("state")).isEqualTo("running");
    assertThat(running.getString("node")).isEqualTo(a.id());

    Future<Object> awaited = b.vertx().eventBus().request(Addresses.Tasks.AWAIT, new JsonObject().put("id", id)
      .put("timeoutMs", 20_000), new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(m -> m.body());
    TestTypes.gate(gate).open();
    JsonObject done = (JsonObject) awaited.await(30, TimeUnit.SECONDS);
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getJsonObject("result")).isEqualTo(new JsonObject().put("gate", "opened"));

    ReplyException unknown = failure(b, Addresses.Tasks.AWAIT, new JsonObject().put("id", "nope-1"));
    assertThat(unknown.failureCode()).isEqualTo(404);
  }

  // ---------------------------------------------------------------- strategies

  @Test
  void temporary_task_is_not_restarted_after_a_crash() throws Exception {
    String key = unique("temporary");
    ReplyException e = failure(a, Addresses.Tasks.RUN, task("test.flaky", new JsonObject().put("key", key).put("failures", 1)));
    assertThat(e.failureCode()).isEqualTo(500);
    assertThat(e.getMessage()).isEqualTo("flaky failure 1");
    assertThat(TestTypes.runs(key)).isEqualTo(1);
  }

  @Test
  void transient_task_is_restarted_after_a_crash_with_growing_backoff_but_not_after_a_normal_end() throws Exception {
    String key = unique("transient");
    JsonObject r = call(a, Addresses.Tasks.RUN, task("test.flaky", new JsonObject().put("key", key).put("failures", 2))
      .put("restart", "transient").put("maxRestarts", 5).put("withinMs", 60_000));
    assertThat(r.getString("state")).isEqualTo("succeeded");
    assertThat(r.getInteger("attempts")).isEqualTo(3);
    assertThat(r.getJsonObject("result").getInteger("attempt")).isEqualTo(3);
    JsonArray restarts = r.getJsonArray("restartedAt");
    assertThat(restarts).hasSize(2);
    String id = r.getString("id");
    until("two restarted events for " + id, () -> events(id).stream().filter(e -> e.getString("event").equals("restarted")).count() == 2);
    List<Long> delays = events(id).stream().filter(e -> e.getString("event").equals("restarted"))
      .map(e -> e.getLong("delayMs")).toList();
    assertThat(delays.get(0)).isBetween(10L, 20L);  // backoffMs 20: first ceiling 20, upper half random
    assertThat(delays.get(1)).isBetween(20L, 40L);  // doubled

    String once = unique("transient-ok");
    JsonObject ok = call(b, Addresses.Tasks.RUN, task("test.count", new JsonObject().put("key", once)).put("restart", "transient"));
    assertThat(ok.getInteger("attempts")).isEqualTo(1);
    assertThat(TestTypes.runs(once)).isEqualTo(1);
  }

  @Test
  void permanent_task_is_restarted_even_after_a_normal_end_until_cancelled() throws Exception {
    String key = unique("permanent");
    String id = call(a, Addresses.Tasks.SUBMIT, task("test.count", new JsonObject().put("key", key))
      .put("restart", "permanent").put("maxRestarts", 1_000).put("withinMs", 60_000)).getString("id");
    until("three runs of the permanent task", () -> TestTypes.runs(key) >= 3);
    JsonObject cancelled = call(b, Addresses.Tasks.CANCEL, new JsonObject().put("id", id));
    assertThat(cancelled.getString("state")).isEqualTo("cancelled");
    assertThat(cancelled.getInteger("attempts")).isGreaterThanOrEqualTo(3);
    // Cancelled for good: no restart is pending any more, and the record stays cancelled.
    assertThat(meter(a, "steward_tasks_restarting", "supervisor", "default")).isZero();
    ReplyException again = failure(b, Addresses.Tasks.CANCEL, new JsonObject().put("id", id));
    assertThat(again.failureCode()).isEqualTo(409);
    assertThat(call(a, Addresses.Tasks.GET, new JsonObject().put("id", id)).getString("state")).isEqualTo("cancelled");
  }

  @Test
  void a_task_over_its_restart_limit_fails_into_the_dead_letters() throws Exception {
    JsonObject spec = task("fail", new JsonObject().put("message", "always")).put("restart", "transient")
      .put("maxRestarts", 2).put("withinMs", 60_000).put("supervisor", "default");
    ReplyException e = failure(a, Addresses.Tasks.RUN, spec);
    assertThat(e.failureCode()).isEqualTo(500);
    assertThat(e.getMessage()).contains("restart limit reached (2 restarts within 60000 ms").contains("last attempt failed: always");

    JsonObject letters = call(b, Addresses.Tasks.DEADLETTERS, new JsonObject().put("type", "fail"));
    JsonObject letter = letters.getJsonArray("tasks").stream().map(t -> (JsonObject) t)
      .filter(t -> t.getString("error").contains("always")).findFirst().orElseThrow();
    assertThat(letter.getString("state")).isEqualTo("failed");
    assertThat(letter.getBoolean("deadLetter")).isTrue();
    assertThat(letter.getInteger("attempts")).isEqualTo(3);
    JsonArray times = letter.getJsonArray("restartedAt");
    assertThat(times).hasSize(2);
    assertThat(times.getLong(1) - times.getLong(0)).as("second restart waited at least half its backoff ceiling")
      .isGreaterThanOrEqualTo(10);
    assertThat(meter(a, "steward_tasks_dead_letters", "type", "fail")).isGreaterThanOrEqualTo(1);
  }

  // ---------------------------------------------------------------- timeouts

  @Test
  void timeout_interrupts_a_cooperative_handler_and_frees_its_slot() throws Exception {
    ReplyException e = failure(a, Addresses.Tasks.RUN, task("sleep", new JsonObject().put("ms", 60_000))
      .put("supervisor", "z").put("timeoutMs", 100));
    assertThat(e.failureCode()).isEqualTo(408);
    assertThat(e.getMessage()).contains("timed out after 100 ms");
    until("no zombie on z", () -> meter(a, "steward_tasks_zombies", "supervisor", "z") == 0);
    assertThat(call(a, Addresses.Tasks.RUN, task("echo", 1).put("supervisor", "z")).getInteger("result")).isEqualTo(1);
  }

  @Test
  void timeout_of_an_uncooperative_handler_counts_a_zombie_until_it_returns() throws Exception {
    String gate = unique("zombie");
    ReplyException e = failure(b, Addresses.Tasks.RUN, block(gate, false).put("supervisor", "z").put("timeoutMs", 100));
    assertThat(e.failureCode()).isEqualTo(408);
    TestTypes.Gate g = TestTypes.gate(gate);
    until("the handler was interrupted", g.interrupted::get);
    assertThat(meter(b, "steward_tasks_zombies", "supervisor", "z")).isEqualTo(1);
    JsonObject list = call(b, Addresses.Tasks.LIST, new JsonObject().put("type", "test.block").put("state", "timed-out"));
    assertThat(list.getJsonArray("tasks").stream().map(t -> (JsonObject) t).filter(t -> t.getInteger("zombies", 0) == 1)).isNotEmpty();

    // Its slot is free: z has one worker, yet the next task runs while the zombie still holds its thread.
    assertThat(call(b, Addresses.Tasks.RUN, task("echo", "next").put("supervisor", "z")).getString("result")).isEqualTo("next");
    assertThat(g.returned.getCount()).isEqualTo(1);

    g.open();
    until("the zombie returned", () -> meter(b, "steward_tasks_zombies", "supervisor", "z") == 0);
  }

  // ---------------------------------------------------------------- control from any node

  @Test
  void cancel_from_another_node_interrupts_the_running_task() throws Exception {
    String gate = unique("cancel");
    String id = call(a, Addresses.Tasks.SUBMIT, block(gate, true)).getString("id");
    TestTypes.Gate g = TestTypes.gate(gate);
    assertThat(g.awaitStarted()).isTrue();

    JsonObject cancelled = call(b, Addresses.Tasks.CANCEL, new JsonObject().put("id", id));
    assertThat(cancelled.getString("state")).isEqualTo("cancelled");
    assertThat(cancelled.getString("node")).isEqualTo(a.id());
    until("the handler was interrupted", g.interrupted::get);
    ReplyException awaited = failure(b, Addresses.Tasks.AWAIT, new JsonObject().put("id", id));
    assertThat(awaited.failureCode()).isEqualTo(409);
    until("a cancelled event", () -> events(id).stream().anyMatch(ev -> ev.getString("event").equals("cancelled")));
  }

  @Test
  void list_from_one_node_shows_the_tasks_of_every_node() throws Exception {
    String onA = call(a, Addresses.Tasks.RUN, task("echo", "list-a")).getString("id");
    String onB = call(b, Addresses.Tasks.RUN, task("echo", "list-b")).getString("id");
    JsonObject list = call(b, Addresses.Tasks.LIST, new JsonObject().put("type", "echo").put("limit", 1_000));
    assertThat(list.getInteger("nodes")).isEqualTo(2);
    assertThat(list.getJsonArray("tasks").stream().map(t -> ((JsonObject) t).getString("id"))).contains(onA, onB);
    JsonObject one = call(a, Addresses.Tasks.LIST, new JsonObject().put("type", "echo").put("limit", 1));
    assertThat(one.getJsonArray("tasks")).hasSize(1);
    assertThat(call(b, Addresses.Tasks.GET, new JsonObject().put("id", onA)).getValue("result")).isEqualTo("list-a");
  }

  // ---------------------------------------------------------------- capacity and isolation

  @Test
  void a_full_supervisor_answers_429_counts_fire_and_forget_rejections_and_does_not_slow_another() throws Exception {
    String g1 = unique("full");
    String g2 = unique("full");
    call(a, Addresses.Tasks.SUBMIT, block(g1, true).put("supervisor", "tiny"));
    call(a, Addresses.Tasks.SUBMIT, block(g2, true).put("supervisor", "tiny"));
    try {
      ReplyException full = failure(a, Addresses.Tasks.SUBMIT, task("echo", 1).put("supervisor", "tiny"));
      assertThat(full.failureCode()).isEqualTo(429);
      assertThat(full.getMessage()).contains("supervisor 'tiny' is full");

      double before = meter(a, "steward_bus_rejected", "address", Addresses.Tasks.SUBMIT, "code", "429");
      a.vertx().eventBus().send(Addresses.Tasks.SUBMIT, task("echo", 2).put("supervisor", "tiny"),
        new DeliveryOptions().setLocalOnly(true));
      until("the fire-and-forget rejection is counted",
        () -> meter(a, "steward_bus_rejected", "address", Addresses.Tasks.SUBMIT, "code", "429") == before + 1);
      assertThat(meter(a, "steward_tasks_rejected", "supervisor", "tiny")).isGreaterThanOrEqualTo(2);
      until("a rejected event", () -> EVENTS.stream().anyMatch(e -> e.getString("event").equals("rejected")
        && "tiny".equals(e.getString("supervisor")) && e.getInteger("code") == 429));

      // Isolation: the other supervisors of the same node are not affected.
      assertThat(call(a, Addresses.Tasks.RUN, task("echo", "free")).getString("result")).isEqualTo("free");
      assertThat(call(a, Addresses.Tasks.RUN, task("echo", "z").put("supervisor", "z")).getString("result")).isEqualTo("z");
    } finally {
      TestTypes.gate(g1).open();
      TestTypes.gate(g2).open();
    }
    until("tiny has room again", () -> meter(a, "steward_tasks_running", "supervisor", "tiny") == 0
      && meter(a, "steward_tasks_queued", "supervisor", "tiny") == 0);
    assertThat(call(a, Addresses.Tasks.RUN, task("echo", 3).put("supervisor", "tiny")).getInteger("result")).isEqualTo(3);
  }

  // ---------------------------------------------------------------- idempotency

  @Test
  void a_key_returns_the_existing_task_while_it_is_pending_or_running() throws Exception {
    String key = unique("key");
    String gate = unique("key");
    JsonObject first = call(a, Addresses.Tasks.SUBMIT, block(gate, true).put("key", key));
    assertThat(first.containsKey("existing")).isFalse();
    JsonObject again = call(a, Addresses.Tasks.SUBMIT, block(gate, true).put("key", key));
    JsonObject elsewhere = call(b, Addresses.Tasks.SUBMIT, block(gate, true).put("key", key));
    assertThat(again.getString("id")).isEqualTo(first.getString("id"));
    assertThat(elsewhere.getString("id")).isEqualTo(first.getString("id"));
    assertThat(elsewhere.getBoolean("existing")).isTrue();

    // run with the same key waits for the existing task.
    Future<Object> run = b.vertx().eventBus().request(Addresses.Tasks.RUN, block(gate, true).put("key", key),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(m -> m.body());
    until("the run waits on the existing task", () -> call(a, Addresses.Tasks.GET, new JsonObject().put("id",
      first.getString("id"))).getInteger("waiters", 0) == 1);
    TestTypes.gate(gate).open();
    assertThat(((JsonObject) run.await(30, TimeUnit.SECONDS)).getString("id")).isEqualTo(first.getString("id"));

    until("the key is free once the task ended", () -> {
      JsonObject next = call(b, Addresses.Tasks.SUBMIT, task("echo", 1).put("key", key));
      return !next.getString("id").equals(first.getString("id"));
    });
  }

  @Test
  void a_key_with_uniqueForMs_answers_the_finished_task_so_a_retried_submit_does_not_run_it_again() throws Exception {
    String key = unique("retried");
    // A client that never got the answer to its first submit (a 408 during a restart) sends it again after the
    // task ended, on another node: within the window it learns the first task's id and outcome, nothing runs twice.
    JsonObject first = call(a, Addresses.Tasks.RUN, task("echo", "once").put("key", key).put("uniqueForMs", 600_000));
    assertThat(first.getString("state")).isEqualTo("succeeded");
    JsonObject retried = call(b, Addresses.Tasks.SUBMIT, task("echo", "again").put("key", key).put("uniqueForMs", 600_000));
    assertThat(retried.getString("id")).isEqualTo(first.getString("id"));
    assertThat(retried.getBoolean("existing")).isTrue();
    JsonObject rerun = call(b, Addresses.Tasks.RUN, task("echo", "again").put("key", key).put("uniqueForMs", 600_000));
    assertThat(rerun.getString("id")).isEqualTo(first.getString("id"));
    assertThat(rerun.getString("result")).isEqualTo("once");

    // Without the window (the default), the key of a finished task moves to a new task.
    JsonObject fresh = call(b, Addresses.Tasks.RUN, task("echo", "new").put("key", key));
    assertThat(fresh.getString("id")).isNotEqualTo(first.getString("id"));
    assertThat(fresh.getString("result")).isEqualTo("new");

    ReplyException noKey = failure(a, Addresses.Tasks.SUBMIT, task("echo", 1).put("uniqueForMs", 1_000));
    assertThat(noKey.failureCode()).isEqualTo(400);
    assertThat(noKey.getMessage()).startsWith("uniqueForMs: needs a key");
  }

  @Test
  void concurrent_submits_of_one_key_on_both_nodes_all_answer_the_same_task() throws Exception {
    // Four submits of each key at once, two on each node and its two submit event loops: a key bound to a task
    // that is not registered yet must not move to a second task.
    String gate = unique("same-key");
    int keys = 200;
    List<Future<Object>> replies = new java.util.ArrayList<>();
    for (int k = 0; k < keys; k++) {
      String key = unique("same-key-" + k);
      for (StewardNode node : List.of(a, b, a, b)) {
        replies.add(submitRetrying(node, block(gate, true).put("key", key).put("supervisor", "keyed"), 20));
      }
    }
    try {
      Future.all(replies).await(60, TimeUnit.SECONDS);
      java.util.Map<Integer, java.util.Set<String>> idsByKey = new java.util.TreeMap<>();
      for (int i = 0; i < replies.size(); i++) {
        idsByKey.computeIfAbsent(i / 4, k -> new java.util.TreeSet<>())
          .add(((JsonObject) replies.get(i).result()).getString("id"));
      }
      assertThat(idsByKey.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Object::toString).toList())
        .as("keys answered with more than one task id").isEmpty();
      assertThat(meter(a, "steward_tasks_submitted", "supervisor", "keyed")
        + meter(b, "steward_tasks_submitted", "supervisor", "keyed")).as("tasks accepted").isEqualTo(keys);
    } finally {
      TestTypes.gate(gate).open();
    }
  }

  /**
   * A submit as a client following the failure contract makes it: a 503 (retryable, nothing applied) is retried.
   * A loaded machine can make a key's holder answer 503 while its task is still being accepted; what must never
   * happen is a second task for the key.
   */
  private static Future<Object> submitRetrying(StewardNode node, JsonObject body, int attempts) {
    return node.vertx().eventBus().request(Addresses.Tasks.SUBMIT, body,
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000))
      .map(m -> m.body())
      .recover(err -> attempts > 1 && err instanceof ReplyException re && re.failureCode() == 503
        ? node.vertx().timer(100, TimeUnit.MILLISECONDS).compose(t -> submitRetrying(node, body, attempts - 1))
        : Future.failedFuture(err));
  }

  @Test
  void a_key_held_by_uniqueForMs_stays_bound_after_the_finished_task_s_record_is_forgotten() throws Exception {
    // The binding notes when its task ended: the window does not depend on how long the final record is kept
    // (tasks.maxFinished, tasks.finishedTtlMs). Here the task is one no node remembers any more.
    String key = unique("held");
    String gone = "0123456789ab-" + Math.floorMod(UUID.randomUUID().getMostSignificantBits(), 1_000_000L);
    Cluster.hazelcast(a.vertx()).<String, String>getMap(TaskStore.KEYS)
      .set(key, gone + " " + (System.currentTimeMillis() - 1_000), 600, TimeUnit.SECONDS);
    JsonObject retried = call(b, Addresses.Tasks.SUBMIT, task("echo", "again").put("key", key).put("uniqueForMs", 600_000));
    assertThat(retried.getString("id")).isEqualTo(gone);
    assertThat(retried.getBoolean("existing")).isTrue();
    // Past the submit's own window (or with none), the key moves to a new task.
    JsonObject fresh = call(a, Addresses.Tasks.RUN, task("echo", "new").put("key", key).put("uniqueForMs", 500));
    assertThat(fresh.getString("id")).isNotEqualTo(gone);
    assertThat(fresh.getString("result")).isEqualTo("new");
  }

  // ---------------------------------------------------------------- bus type and durable records

  @Test
  void bus_task_requests_a_consumer_on_another_clustered_instance() throws Exception {
    String address = unique("test.bus.target");
    b.vertx().eventBus().<JsonObject>consumer(address, m -> m.reply(new JsonObject().put("got", m.body())
      .put("node", Cluster.nodeId(b.vertx())).put("task", m.headers().get(BusTask.TASK_ID_HEADER))
      .put("attempt", m.headers().get(BusTask.ATTEMPT_HEADER)))).completion().await(10, TimeUnit.SECONDS);
    JsonObject r = call(a, Addresses.Tasks.RUN, task("bus", new JsonObject().put("address", address)
      .put("body", new JsonObject().put("n", 7))));
    assertThat(r.getString("node")).isEqualTo(a.id());
    // The consumer learns which task (and attempt) it serves: its key to recognise a repeat of the same task.
    assertThat(r.getJsonObject("result")).isEqualTo(new JsonObject().put("got", new JsonObject().put("n", 7)).put("node", b.id())
      .put("task", r.getString("id")).put("attempt", "1"));

    ReplyException nobody = failure(a, Addresses.Tasks.RUN, task("bus", new JsonObject().put("address", unique("nobody"))));
    assertThat(nobody.failureCode()).isEqualTo(500);
    assertThat(nobody.getMessage()).contains("failed with 503");
  }

  @Test
  void a_durable_task_is_recorded_in_the_cluster_with_its_owner_before_it_is_accepted() throws Exception {
    String gate = unique("durable");
    String id = call(a, Addresses.Tasks.SUBMIT, block(gate, true).put("restart", "transient")).getString("id");
    var records = Cluster.hazelcast(b.vertx()).<String, String>getMap(TaskStore.RECORDS);
    JsonObject rec = new JsonObject(records.get(id));
    assertThat(rec.getString("node")).isEqualTo(a.id());
    assertThat(rec.getString("type")).isEqualTo("test.block");
    assertThat(rec.getJsonObject("payload").getString("gate")).isEqualTo(gate);
    assertThat(TestTypes.gate(gate).awaitStarted()).isTrue();
    assertThat(new JsonObject(records.get(id)).getString("state")).isEqualTo("running");

    TestTypes.gate(gate).open();
    JsonObject done = call(b, Addresses.Tasks.AWAIT, new JsonObject().put("id", id));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    until("the final record replaces the live one", () -> "succeeded".equals(new JsonObject(records.get(id)).getString("state")));
    assertThat(records.getEntryView(id).getTtl()).as("final records expire").isPositive();
  }

  /**
   * A burst of durable submits: batches of record writes follow one another while tasks start and end, so a batch
   * of new records goes out right after one of updates. Every submit is acknowledged and ends. (The first fix of
   * campaign seed 107 drained the next batch on the Hazelcast thread that completed the last record set, where
   * Hazelcast refuses remote calls: KillDuringTasksIT saw 577-857 of 2 000 healthy submits refused with 503.)
   */
  @Test
  void a_burst_of_durable_submits_is_acknowledged_in_full_and_every_task_ends() throws Exception {
    int n = 200;
    List<Future<Object>> answers = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, task("echo", new JsonObject().put("n", i))
          .put("supervisor", "keyed").put("restart", "transient"),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(m -> m.body()));
    }
    Future.join(answers).otherwiseEmpty().await(60, TimeUnit.SECONDS);
    List<String> refused = answers.stream().filter(Future::failed).map(f -> f.cause().getMessage()).toList();
    assertThat(refused).as("durable submits refused in a burst on a healthy cluster").isEmpty();
    List<Future<Object>> ends = answers.stream().map(answer -> b.vertx().eventBus().request(Addresses.Tasks.AWAIT,
        new JsonObject().put("id", ((JsonObject) answer.result()).getString("id")).put("timeoutMs", 30_000),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(40_000)).map(m -> m.body())).toList();
    Future.join(ends).otherwiseEmpty().await(60, TimeUnit.SECONDS);
    assertThat(ends).as("every acknowledged task ends").allSatisfy(end -> {
      assertThat(end.succeeded()).as("await: %s", end.cause()).isTrue();
      assertThat(((JsonObject) end.result()).getString("state")).isEqualTo("succeeded");
    });
  }

  @Test
  void a_durable_task_is_not_recorded_as_running_before_the_end_of_the_one_it_waited_for_is_written() throws Exception {
    // One worker, no dispatch ahead: at most one durable task of this supervisor may be recorded as running, which
    // is what bounds the possible duplicates a survivor reports if this node dies.
    String first = unique("first");
    String second = unique("second");
    String firstId = call(a, Addresses.Tasks.SUBMIT, block(first, true).put("supervisor", "one").put("restart", "transient"))
      .getString("id");
    assertThat(TestTypes.gate(first).awaitStarted()).isTrue();
    String secondId = call(a, Addresses.Tasks.SUBMIT, block(second, true).put("supervisor", "one").put("restart", "transient"))
      .getString("id");
    var records = Cluster.hazelcast(b.vertx()).<String, String>getMap(TaskStore.RECORDS);
    // Hold the first task's final record back for a while (a lock from another member; writes of the key wait).
    records.lock(firstId, 1_500, TimeUnit.MILLISECONDS);
    TestTypes.gate(first).open();
    assertThat(TestTypes.gate(second).awaitStarted()).isTrue();
    assertThat(new JsonObject(records.get(firstId)).getString("state"))
      .as("the second task started only once the first one's end was recorded").isEqualTo("succeeded");
    TestTypes.gate(second).open();
    assertThat(call(b, Addresses.Tasks.AWAIT, new JsonObject().put("id", secondId)).getString("state")).isEqualTo("succeeded");
  }

  @Test
  void a_durable_task_claimed_by_a_node_that_never_heard_the_answer_is_run_by_that_node() throws Exception {
    // A survivor's claim was applied (the record names it) but its answer was lost (a second member loss under
    // Hazelcast's retry, or a timeout): nothing else will ever run the task, so the claimer must.
    String id = "0123456789ab-" + Math.floorMod(UUID.randomUUID().getMostSignificantBits(), 1_000_000L);
    JsonObject rec = new JsonObject().put("id", id).put("type", "echo").put("payload", "adopted")
      .put("supervisor", "default").put("restart", "transient").put("maxRestarts", 3).put("withinMs", 5_000)
      .put("submittedAt", System.currentTimeMillis()).put("attempts", 1).put("state", "running")
      .put("node", b.id()).put("takeovers", 1).put("lostNode", "gone-" + id).put("lostState", "running")
      .put("claimId", "claim-" + id);
    Cluster.hazelcast(a.vertx()).<String, String>getMap(TaskStore.RECORDS).set(id, rec.encode());
    JsonObject done = call(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 20_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getString("result")).isEqualTo("adopted");
    assertThat(done.getString("node")).isEqualTo(b.id());
    assertThat(done.getBoolean("possibleDuplicate")).isTrue();
  }

  @Test
  void a_durable_task_taken_over_while_its_node_was_cut_off_does_not_run_again_there_and_the_takeover_stands() throws Exception {
    // Fault campaign, seeds 100, 101, 112: node a is cut off (a partition; with cluster.minimumSize its writes are
    // refused), the others declare it dead and b takes over its running task: attempt 2 runs on b, reported as a
    // possible duplicate. Then a's attempt 1 ends (here it fails, so a restarts it); once a reaches the cluster again
    // it must neither run the task again nor overwrite b's record (which says takeovers 1, possibleDuplicate).
    String gate = unique("cutoff");
    String id = call(a, Addresses.Tasks.SUBMIT, task("test.attempts", new JsonObject().put("gate", gate)
      .put("fail", new JsonArray().add(1))).put("restart", "transient").put("maxRestarts", 5)).getString("id");
    assertThat(TestTypes.gate(gate + "-1").awaitStarted()).isTrue();
    var records = Cluster.hazelcast(b.vertx()).<String, String>getMap(TaskStore.RECORDS);
    // What b's takeover does when a is declared dead: claim the record (b's next sweep runs the claim it holds).
    assertThat(records.submitToKey(id, new Processors.Claim(a.id(), b.id(), "claim-" + id)).toCompletableFuture()
      .get(30, TimeUnit.SECONDS)).isNotNull();
    assertThat(TestTypes.gate(gate + "-2").awaitStarted()).as("b runs the task again").isTrue();
    TestTypes.gate(gate + "-2").open();
    until("b recorded the end of the task", () -> "succeeded".equals(new JsonObject(records.get(id)).getString("state")));

    Future<JsonObject> awaited = a.vertx().eventBus().<JsonObject>request(Addresses.Tasks.AWAIT,
      new JsonObject().put("id", id).put("timeoutMs", 20_000), new DeliveryOptions().setLocalOnly(true)
        .setSendTimeout(30_000)).map(m -> m.body());
    TestTypes.gate(gate + "-1").open(); // a's attempt 1 ends, failed: a would restart it
    JsonObject done = awaited.await(40, TimeUnit.SECONDS);

    assertThat(TestTypes.runs(gate + "-2")).as("attempt 2 ran once, on b").isEqualTo(1);
    assertThat(done.getString("node")).as("await on a follows the task to b's record").isEqualTo(b.id());
    JsonObject rec = new JsonObject(records.get(id));
    assertThat(rec.getString("node")).isEqualTo(b.id());
    assertThat(rec.getString("state")).isEqualTo("succeeded");
    assertThat(rec.getInteger("takeovers")).isEqualTo(1);
    assertThat(rec.getBoolean("possibleDuplicate")).isTrue();
  }

  @Test
  void a_node_cut_off_while_its_attempt_ran_does_not_overwrite_the_final_record_of_the_node_that_took_the_task_over() throws Exception {
    // Same cut, but a's attempt 1 succeeds after b has finished the task: a's final record must not replace b's.
    String gate = unique("cutoff-final");
    String id = call(a, Addresses.Tasks.SUBMIT, task("test.attempts", new JsonObject().put("gate", gate))
      .put("restart", "transient")).getString("id");
    assertThat(TestTypes.gate(gate + "-1").awaitStarted()).isTrue();
    var records = Cluster.hazelcast(b.vertx()).<String, String>getMap(TaskStore.RECORDS);
    assertThat(records.submitToKey(id, new Processors.Claim(a.id(), b.id(), "claim-" + id)).toCompletableFuture()
      .get(30, TimeUnit.SECONDS)).isNotNull();
    assertThat(TestTypes.gate(gate + "-2").awaitStarted()).isTrue();
    TestTypes.gate(gate + "-2").open();
    until("b recorded the end of the task", () -> "succeeded".equals(new JsonObject(records.get(id)).getString("state")));

    Future<JsonObject> awaited = a.vertx().eventBus().<JsonObject>request(Addresses.Tasks.AWAIT,
      new JsonObject().put("id", id).put("timeoutMs", 20_000), new DeliveryOptions().setLocalOnly(true)
        .setSendTimeout(30_000)).map(m -> m.body());
    TestTypes.gate(gate + "-1").open();
    JsonObject done = awaited.await(40, TimeUnit.SECONDS);

    assertThat(done.getString("node")).isEqualTo(b.id());
    JsonObject rec = new JsonObject(records.get(id));
    assertThat(rec.getString("node")).as("b's final record stands").isEqualTo(b.id());
    assertThat(rec.getInteger("takeovers")).isEqualTo(1);
    assertThat(rec.getBoolean("possibleDuplicate")).isTrue();
  }

  @Test
  void lifecycle_events_are_published_in_batches() throws Exception {
    String id = call(b, Addresses.Tasks.RUN, task("echo", "events")).getString("id");
    until("submitted, started and succeeded events", () -> events(id).stream().map(e -> e.getString("event")).toList()
      .containsAll(List.of("submitted", "started", "succeeded")));
    JsonObject started = events(id).stream().filter(e -> e.getString("event").equals("started")).findFirst().orElseThrow();
    assertThat(started.getString("type")).isEqualTo("echo");
    assertThat(started.getString("supervisor")).isEqualTo("default");
    assertThat(started.getInteger("attempt")).isEqualTo(1);
  }
}
