package io.steward.tasks;

import io.steward.testing.MovableClock;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Supervision on the tasks module's clock: backoff delays, restart windows and attempt timeouts of minutes and
 * hours pass when the test moves the clock, not while it waits. One node; its tasks module gets the test's clock.
 */
class SupervisionClockTest {

  private static final long T0 = 1_800_000_000_000L;
  private static final long BACKOFF_MS = 100_000;
  private static final MovableClock CLOCK = new MovableClock(T0);
  private static TestCluster cluster;
  private static StewardNode node;

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(SupervisionClockTest.class, 1);
    node = cluster.start(List.of()).await(60, TimeUnit.SECONDS);
    JsonObject tasks = new JsonObject()
      .put("supervisors", new JsonObject().put("default", new JsonObject().put("workers", 2).put("maxQueued", 20)))
      .put("backoffMs", BACKOFF_MS).put("maxBackoffMs", 8 * BACKOFF_MS).put("publishMs", 50)
      .put("finishedTtlMs", Integer.MAX_VALUE); // the clock moves by hours: keep what finished
    TasksConfig config = TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks", tasks), Map.of(),
      Map.of()).section("tasks"));
    node.vertx().deployVerticle(new TasksVerticle(config, CLOCK)).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    TestTypes.GATES.values().forEach(TestTypes.Gate::open);
    cluster.close();
  }

  private static Future<JsonObject> request(String address, JsonObject body) {
    return node.vertx().eventBus().request(address, body, new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000))
      .map(m -> (JsonObject) m.body());
  }

  private static JsonObject call(String address, JsonObject body) throws Exception {
    return request(address, body).await(70, TimeUnit.SECONDS);
  }

  private static String state(String id) throws Exception {
    return call(Addresses.Tasks.GET, new JsonObject().put("id", id)).getString("state");
  }

  /** Waits (on real time, generously) until the task is in {@code state}. */
  private static void until(String id, String state) throws Exception {
    Poll.until(node.vertx(), "task " + id + " " + state, 30_000,
      () -> request(Addresses.Tasks.GET, new JsonObject().put("id", id)).map(t -> state.equals(t.getString("state"))))
      .await(40, TimeUnit.SECONDS);
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void a_restarting_task_waits_for_its_backoff_on_the_clock_and_the_delay_doubles_with_each_restart() throws Exception {
    String key = unique("flaky");
    String id = call(Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.flaky")
      .put("payload", new JsonObject().put("key", key).put("failures", 2))
      .put("restart", "transient").put("maxRestarts", 5).put("withinMs", 3_600_000)).getString("id");

    until(id, "restarting");
    assertThat(TestTypes.runs(key)).isEqualTo(1);
    long start = CLOCK.millis();
    // The first delay is at most the first ceiling (backoffMs): real time alone would take minutes.
    CLOCK.advance(BACKOFF_MS);
    Poll.until(node.vertx(), "second attempt of " + id, 30_000, () -> Future.succeededFuture(TestTypes.runs(key) == 2))
      .await(40, TimeUnit.SECONDS);
    until(id, "restarting"); // the second restart, at start + backoffMs
    // The second delay is at least half the doubled ceiling (2 x backoffMs): one backoffMs more is not enough.
    CLOCK.advance(BACKOFF_MS - 1);
    assertThat(call(Addresses.Tasks.RUN, new JsonObject().put("type", "test.count").put("payload", new JsonObject()
      .put("key", unique("tick")))).getString("state")).as("a later task ran: the watchdog went by").isEqualTo("succeeded");
    assertThat(state(id)).isEqualTo("restarting");
    assertThat(TestTypes.runs(key)).isEqualTo(2);
    CLOCK.advance(2 * BACKOFF_MS + 1);
    JsonObject done = call(Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getInteger("attempts")).isEqualTo(3);
    JsonArray restartedAt = done.getJsonArray("restartedAt");
    assertThat(restartedAt).hasSize(2);
    // Restarts are counted at the clock's time: exactly where the test put it.
    assertThat(restartedAt.getLong(0)).isEqualTo(start);
    assertThat(restartedAt.getLong(1)).isEqualTo(start + BACKOFF_MS);
    assertThat(done.getLong("endedAt")).isEqualTo(start + 4 * BACKOFF_MS);
  }

  @Test
  void a_task_whose_backoff_has_not_passed_on_the_clock_is_not_restarted_and_a_cancel_ends_it() throws Exception {
    String key = unique("waits");
    String id = call(Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.flaky")
      .put("payload", new JsonObject().put("key", key).put("failures", 1))
      .put("restart", "transient").put("maxRestarts", 5).put("withinMs", 3_600_000)).getString("id");
    until(id, "restarting");
    CLOCK.advance(BACKOFF_MS / 2 - 1); // the delay is at least half the first ceiling
    // A later task, submitted after the clock moved, runs to its end: the watchdog has ticked meanwhile.
    String later = unique("later");
    assertThat(call(Addresses.Tasks.RUN, new JsonObject().put("type", "test.count").put("payload", new JsonObject()
      .put("key", later))).getString("state")).isEqualTo("succeeded");
    assertThat(state(id)).isEqualTo("restarting");
    assertThat(TestTypes.runs(key)).isEqualTo(1);

    JsonObject cancelled = call(Addresses.Tasks.CANCEL, new JsonObject().put("id", id));
    assertThat(cancelled.getString("state")).isEqualTo("cancelled");
    CLOCK.advance(8 * BACKOFF_MS);
    // Its backoff is over, but it was cancelled: it does not run again (a run after it shows the watchdog went by).
    assertThat(call(Addresses.Tasks.RUN, new JsonObject().put("type", "test.count").put("payload", new JsonObject()
      .put("key", later))).getString("state")).isEqualTo("succeeded");
    assertThat(state(id)).isEqualTo("cancelled");
    assertThat(TestTypes.runs(key)).isEqualTo(1);
  }

  /** Submits a transient {@code test.flaky} task that fails its first {@code failures} attempts. */
  private static String flaky(String key, int failures, int maxRestarts, long withinMs) throws Exception {
    return call(Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.flaky")
      .put("payload", new JsonObject().put("key", key).put("failures", failures))
      .put("restart", "transient").put("maxRestarts", maxRestarts).put("withinMs", withinMs)).getString("id");
  }

  /** Moves the clock past any first backoff delay and waits for attempt {@code n} to have run. */
  private static void nextAttempt(String key, int n) throws Exception {
    CLOCK.advance(2 * BACKOFF_MS);
    Poll.until(node.vertx(), "attempt " + n + " of " + key, 30_000, () -> Future.succeededFuture(TestTypes.runs(key) >= n))
      .await(40, TimeUnit.SECONDS);
  }

  @Test
  void restarts_that_left_the_window_on_the_clock_do_not_count_against_the_limit() throws Exception {
    // One restart allowed per 50 s; the clock moves 200 s between attempts, so each restart is alone in its window.
    String key = unique("window");
    String id = flaky(key, 3, 1, BACKOFF_MS / 2);
    for (int n = 2; n <= 4; n++) {
      until(id, "restarting");
      nextAttempt(key, n);
    }
    JsonObject done = call(Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 30_000));
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getInteger("attempts")).isEqualTo(4);
    assertThat(done.getJsonArray("restartedAt")).as("only the restarts still in the window are kept").hasSize(1);

    // The same task with a window of an hour: its second failure is over the limit, and it is a dead letter.
    String limited = unique("limited");
    String limitedId = flaky(limited, 3, 1, 3_600_000);
    until(limitedId, "restarting");
    nextAttempt(limited, 2);
    until(limitedId, "failed");
    JsonObject failed = call(Addresses.Tasks.GET, new JsonObject().put("id", limitedId));
    assertThat(failed.getBoolean("deadLetter")).isTrue();
    assertThat(failed.getString("error")).contains("restart limit reached (1 restarts within 3600000 ms");
    assertThat(TestTypes.runs(limited)).isEqualTo(2);
  }

  @Test
  void an_attempt_times_out_when_the_clock_passes_its_deadline() throws Exception {
    String gate = unique("slow");
    Future<JsonObject> run = request(Addresses.Tasks.RUN, new JsonObject().put("type", "test.block")
      .put("payload", new JsonObject().put("gate", gate).put("cooperative", true)).put("timeoutMs", 3_600_000));
    assertThat(TestTypes.gate(gate).awaitStarted()).isTrue();
    CLOCK.advance(3_600_000);
    ReplyException e = catchThrowableOfType(ReplyException.class, () -> run.await(30, TimeUnit.SECONDS));
    assertThat(e.failureCode()).isEqualTo(408);
    assertThat(e.getMessage()).contains("timed out after 3600000 ms");
    Poll.until(node.vertx(), "the handler was interrupted", 30_000,
      () -> Future.succeededFuture(TestTypes.gate(gate).interrupted.get())).await(40, TimeUnit.SECONDS);
  }
}
