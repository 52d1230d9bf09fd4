package io.steward.fanout;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@code steward.fanout.run} and {@code POST /fanout} on a real clustered node, against consumers on the
 * same node that answer, fail, hold or count as each test needs.
 */
class FanoutTest {

  /** Task-type items need the tasks module, written on another branch; the test runs once both are merged. */

  static final String SCRIPT = "test.fanout.script";
  static final String FLAKY = "test.fanout.flaky";
  static final String WINDOW = "test.fanout.window";
  static final String REVERSE = "test.fanout.reverse";

  private static TestCluster cluster;
  private static StewardNode node;
  private static Vertx vertx;
  private static WebClient client;
  private static String url;
  /** Messages each run's key received at the script consumer. */
  private static final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  /** Messages the script consumer holds without answering, by key. */
  private static final Map<String, List<Message<Object>>> held = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(FanoutTest.class, 1);
    List<String> modules = List.of("http", "fanout", "tasks");
    node = cluster.start(modules, new JsonObject().put("fanout", new JsonObject()
        .put("maxItems", 1_000).put("maxBodyBytes", 65_536).put("maxRuns", 8))
      .put("http", new JsonObject().put("targets", new JsonArray().add(new JsonObject().put("addressRegex", "test\\.fanout\\..*")))))
      .await(60, TimeUnit.SECONDS);
    vertx = node.vertx();
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
    vertx.eventBus().consumer(SCRIPT, FanoutTest::script).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().consumer(FLAKY, FanoutTest::flaky).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().consumer(WINDOW, new Window()).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().consumer(REVERSE, new Reverse()).completion().await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    cluster.close();
  }

  // ---- targets --------------------------------------------------------------------------------------

  /** {@code {key, do: ok|fail|hold, v?, code?}}: answers v, fails with code, or holds the message. */
  private static void script(Message<Object> m) {
    JsonObject b = (JsonObject) m.body();
    String key = b.getString("key");
    received.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    switch (b.getString("do")) {
      case "ok" -> m.reply(b.getValue("v"));
      case "fail" -> m.fail(b.getInteger("code", 500), "item " + b.getValue("v") + " failed");
      case "header" -> m.reply(m.headers().get("x-test"));
      case "hold" -> held.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
      default -> m.fail(400, "unknown script");
    }
  }

  /** {@code {key, failures, code}}: fails the first {@code failures} attempts with {@code code}, then answers the attempt. */
  private static void flaky(Message<Object> m) {
    JsonObject b = (JsonObject) m.body();
    int attempt = attempts.computeIfAbsent(b.getString("key"), k -> new AtomicInteger()).incrementAndGet();
    if (attempt <= b.getInteger("failures")) {
      m.fail(b.getInteger("code"), "attempt " + attempt + " failed");
    } else {
      m.reply(attempt);
    }
  }

  /**
   * Counts requests in flight at the target: holds each one, and answers the oldest only once it holds as
   * many as the fan-out may have in flight ({@code min(concurrency, not yet answered)}), so a fan-out that
   * sends more than its concurrency shows up as {@code over}, and one that sends fewer never finishes.
   */
  static final class Window implements io.vertx.core.Handler<Message<Object>> {
    static final Map<String, int[]> STATS = new ConcurrentHashMap<>(); // key -> {maxHeld, over, answered}
    private final Map<String, List<Message<Object>>> holding = new ConcurrentHashMap<>();

    @Override
    public void handle(Message<Object> m) {
      JsonObject b = (JsonObject) m.body();
      String key = b.getString("key");
      int conc = b.getInteger("conc");
      int total = b.getInteger("total");
      List<Message<Object>> list = holding.computeIfAbsent(key, k -> new ArrayList<>());
      int[] stats = STATS.computeIfAbsent(key, k -> new int[3]);
      list.add(m);
      stats[0] = Math.max(stats[0], list.size());
      if (list.size() > conc) {
        stats[1]++;
      }
      while (!list.isEmpty() && list.size() >= Math.min(conc, total - stats[2])) {
        Message<Object> oldest = list.remove(0);
        stats[2]++;
        oldest.reply(oldest.body());
      }
    }
  }

  /** Holds {@code {key, n}} messages until it has n, then answers them last first. */
  static final class Reverse implements io.vertx.core.Handler<Message<Object>> {
    private final Map<String, List<Message<Object>>> holding = new ConcurrentHashMap<>();

    @Override
    public void handle(Message<Object> m) {
      JsonObject b = (JsonObject) m.body();
      List<Message<Object>> list = holding.computeIfAbsent(b.getString("key"), k -> new ArrayList<>());
      list.add(m);
      if (list.size() == b.getInteger("n")) {
        for (int i = list.size() - 1; i >= 0; i--) {
          list.get(i).reply(((JsonObject) list.get(i).body()).getValue("v"));
        }
      }
    }
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private static String key() {
    return UUID.randomUUID().toString();
  }

  private static JsonObject ok(String key, Object v) {
    return new JsonObject().put("key", key).put("do", "ok").put("v", v);
  }

  private static JsonObject failing(String key, Object v, int code) {
    return new JsonObject().put("key", key).put("do", "fail").put("v", v).put("code", code);
  }

  private static JsonObject hold(String key) {
    return new JsonObject().put("key", key).put("do", "hold");
  }

  private static JsonObject script(JsonObject... items) {
    JsonArray list = new JsonArray();
    for (JsonObject i : items) {
      list.add(i);
    }
    return new JsonObject().put("address", SCRIPT).put("items", list);
  }

  static JsonObject run(Vertx from, JsonObject request) throws Exception {
    return (JsonObject) from.eventBus().request(Addresses.Fanout.RUN, request, new DeliveryOptions().setSendTimeout(60_000))
      .await(70, TimeUnit.SECONDS).body();
  }

  private static JsonObject run(JsonObject request) throws Exception {
    return run(vertx, request);
  }

  private static ReplyException refused(String address, Object body) {
    try {
      vertx.eventBus().request(address, body, new DeliveryOptions().setSendTimeout(20_000)).await(30, TimeUnit.SECONDS);
    } catch (ReplyException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return fail("expected a refusal of " + body);
  }

  static List<String> statuses(JsonObject reply) {
    List<String> out = new ArrayList<>();
    reply.getJsonArray("results").forEach(e -> out.add(((JsonObject) e).getString("status")));
    return out;
  }

  static List<Integer> indexes(JsonObject reply) {
    List<Integer> out = new ArrayList<>();
    reply.getJsonArray("results").forEach(e -> out.add(((JsonObject) e).getInteger("index")));
    return out;
  }

  private static JsonObject entry(JsonObject reply, int i) {
    return reply.getJsonArray("results").getJsonObject(i);
  }

  private static HttpResponse<Buffer> post(String path, String body) throws Exception {
    return client.postAbs(url + path).putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(body))
      .await(30, TimeUnit.SECONDS);
  }

  // ---- modes ----------------------------------------------------------------------------------------

  @Test
  void all_mode_is_satisfied_when_every_item_succeeds_and_values_come_back_by_index() throws Exception {
    String k = key();
    JsonObject reply = run(script(ok(k, "a"), ok(k, 2), ok(k, new JsonObject().put("x", true))).put("concurrency", 2));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(reply.getString("mode")).isEqualTo("all");
    assertThat(statuses(reply)).containsExactly("ok", "ok", "ok");
    assertThat(entry(reply, 0).getValue("value")).isEqualTo("a");
    assertThat(entry(reply, 1).getValue("value")).isEqualTo(2);
    assertThat(entry(reply, 2).getJsonObject("value").getBoolean("x")).isTrue();
    assertThat(reply.getJsonObject("counts")).isEqualTo(new JsonObject().put("total", 3).put("ok", 3).put("failed", 0)
      .put("timedOut", 0).put("notSent", 0).put("abandoned", 0));
    assertThat(reply.getLong("elapsedMs")).isNotNegative();
  }

  @Test
  void all_mode_stops_at_the_first_failure_and_never_sends_the_rest() throws Exception {
    String k = key();
    JsonObject reply = run(script(ok(k, 0), ok(k, 1), failing(k, 2, 500), ok(k, 3), ok(k, 4)).put("concurrency", 1));
    assertThat(reply.getString("outcome")).isEqualTo("failed");
    assertThat(statuses(reply)).containsExactly("ok", "ok", "failed", "not-sent", "not-sent");
    assertThat(entry(reply, 2).getJsonObject("error")).isEqualTo(new JsonObject().put("code", 500).put("message", "item 2 failed"));
    assertThat(received.get(k).get()).as("items after the failure never reached the target").isEqualTo(3);
  }

  @Test
  void settled_mode_waits_for_every_item_and_shows_which_index_failed_and_why() throws Exception {
    String k = key();
    JsonObject reply = run(script(ok(k, "a"), failing(k, "b", 422), ok(k, "c"), failing(k, "d", 409), ok(k, "e"))
      .put("mode", "settled").put("concurrency", 5));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(statuses(reply)).containsExactly("ok", "failed", "ok", "failed", "ok");
    assertThat(entry(reply, 1).getJsonObject("error")).isEqualTo(new JsonObject().put("code", 422).put("message", "item b failed"));
    assertThat(entry(reply, 3).getJsonObject("error")).isEqualTo(new JsonObject().put("code", 409).put("message", "item d failed"));
    assertThat(entry(reply, 4).getValue("value")).isEqualTo("e");
    assertThat(entry(reply, 1).containsKey("value")).isFalse();
    assertThat(reply.getJsonObject("counts").getInteger("ok")).isEqualTo(3);
    assertThat(reply.getJsonObject("counts").getInteger("failed")).isEqualTo(2);
  }

  @Test
  void any_mode_answers_at_the_first_success_and_abandons_what_is_in_flight() throws Exception {
    String k = key();
    JsonObject reply = run(script(failing(k, 0, 500), hold(k), ok(k, "first"), hold(k), ok(k, "late"))
      .put("mode", "any").put("concurrency", 5));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(statuses(reply)).containsExactly("failed", "abandoned", "ok", "abandoned", "abandoned");
    assertThat(entry(reply, 2).getValue("value")).isEqualTo("first");
    assertThat(reply.getJsonObject("counts").getInteger("abandoned")).isEqualTo(3);
    assertThat(received.get(k).get()).as("abandoned items were sent: the target has them").isEqualTo(5);
  }

  @Test
  void any_mode_fails_when_every_item_fails() throws Exception {
    String k = key();
    JsonObject reply = run(script(failing(k, 0, 500), failing(k, 1, 503)).put("mode", "any"));
    assertThat(reply.getString("outcome")).isEqualTo("failed");
    assertThat(statuses(reply)).containsExactly("failed", "failed");
  }

  @Test
  void quorum_mode_answers_at_n_successes() throws Exception {
    String k = key();
    // 0..3 go out; the answers to 0 and 1 send 4 and 5; the answer to 3 is the second success.
    JsonObject reply = run(script(ok(k, 0), failing(k, 1, 500), hold(k), ok(k, 3), ok(k, 4), ok(k, 5), ok(k, 6), ok(k, 7))
      .put("mode", "quorum").put("n", 2).put("concurrency", 4));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(reply.getInteger("n")).isEqualTo(2);
    assertThat(statuses(reply)).containsExactly("ok", "failed", "abandoned", "ok", "abandoned", "abandoned", "not-sent", "not-sent");
  }

  @Test
  void quorum_mode_fails_as_soon_as_n_successes_are_out_of_reach() throws Exception {
    String k = key();
    // 3 of 4 needed: the second failure decides it, before item 3 is sent.
    JsonObject reply = run(script(failing(k, 0, 500), hold(k), failing(k, 2, 500), ok(k, 3))
      .put("mode", "quorum").put("n", 3).put("concurrency", 2));
    assertThat(reply.getString("outcome")).isEqualTo("failed");
    assertThat(statuses(reply)).containsExactly("failed", "abandoned", "failed", "not-sent");
  }

  // ---- time -----------------------------------------------------------------------------------------

  @Test
  void an_item_without_an_answer_times_out_on_its_own_while_the_others_succeed() throws Exception {
    String k = key();
    JsonObject reply = run(script(hold(k), ok(k, 1), ok(k, 2)).put("mode", "settled").put("timeoutMs", 300)
      .put("deadlineMs", 20_000));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(statuses(reply)).containsExactly("timed-out", "ok", "ok");
    JsonObject error = entry(reply, 0).getJsonObject("error");
    assertThat(error.getInteger("code")).isEqualTo(408);
    assertThat(error.getString("message")).contains("no reply from " + SCRIPT + " within 300 ms");
    assertThat(reply.getLong("elapsedMs")).as("the per-item timeout ended it, not the deadline").isLessThan(20_000);
  }

  @Test
  void the_deadline_ends_the_fan_out_abandoning_items_in_flight_and_not_sending_the_rest() throws Exception {
    String k = key();
    JsonObject reply = run(script(hold(k), hold(k), ok(k, 2), ok(k, 3)).put("mode", "settled").put("concurrency", 2)
      .put("timeoutMs", 30_000).put("deadlineMs", 300));
    assertThat(reply.getString("outcome")).isEqualTo("deadline");
    assertThat(statuses(reply)).containsExactly("abandoned", "abandoned", "not-sent", "not-sent");
    assertThat(reply.getLong("elapsedMs")).isBetween(300L, 29_999L);
    assertThat(received.get(k).get()).isEqualTo(2);
  }

  // ---- order and concurrency ------------------------------------------------------------------------

  @Test
  void results_come_by_index_when_ordered_and_as_they_complete_when_not() throws Exception {
    for (boolean ordered : new boolean[] {true, false}) {
      String k = key();
      JsonArray items = new JsonArray();
      for (int i = 0; i < 4; i++) {
        items.add(new JsonObject().put("key", k).put("n", 4).put("v", "v" + i));
      }
      JsonObject reply = run(new JsonObject().put("address", REVERSE).put("items", items).put("concurrency", 4)
        .put("ordered", ordered));
      assertThat(reply.getBoolean("ordered")).isEqualTo(ordered);
      if (ordered) {
        assertThat(indexes(reply)).containsExactly(0, 1, 2, 3);
        assertThat(entry(reply, 0).getValue("value")).isEqualTo("v0");
      } else {
        assertThat(indexes(reply)).as("the target answered last first").containsExactly(3, 2, 1, 0);
        assertThat(entry(reply, 0).getValue("value")).isEqualTo("v3");
      }
    }
  }

  @Test
  void completion_order_puts_items_that_never_finished_last() throws Exception {
    String k = key();
    // 0..2 go out; the answer to 1 sends 3; the failure of 2 decides it.
    JsonObject reply = run(script(hold(k), ok(k, 1), failing(k, 2, 500), ok(k, 3), ok(k, 4)).put("mode", "all")
      .put("concurrency", 3).put("ordered", false));
    assertThat(indexes(reply)).containsExactly(1, 2, 0, 3, 4);
    assertThat(statuses(reply)).containsExactly("ok", "failed", "abandoned", "abandoned", "not-sent");
  }

  @Test
  void no_more_than_the_concurrency_are_ever_in_flight_at_the_target() throws Exception {
    for (int conc : new int[] {1, 7}) {
      String k = key();
      int total = 60;
      JsonArray items = new JsonArray();
      for (int i = 0; i < total; i++) {
        items.add(new JsonObject().put("key", k).put("conc", conc).put("total", total).put("i", i));
      }
      JsonObject reply = run(new JsonObject().put("address", WINDOW).put("items", items).put("concurrency", conc));
      assertThat(reply.getString("outcome")).isEqualTo("satisfied");
      int[] stats = Window.STATS.get(k);
      assertThat(stats[1]).as("times the target held more than %d", conc).isZero();
      assertThat(stats[0]).as("the window was used fully").isEqualTo(conc);
      assertThat(stats[2]).isEqualTo(total);
    }
  }

  // ---- retries, missing handlers, explicit requests ---------------------------------------------------

  @Test
  void retries_repeat_failed_items_with_backoff_only_for_the_listed_codes() throws Exception {
    String k = key();
    JsonArray items = new JsonArray()
      .add(new JsonObject().put("key", k + "a").put("failures", 2).put("code", 503))
      .add(new JsonObject().put("key", k + "b").put("failures", 0).put("code", 503))
      .add(new JsonObject().put("key", k + "c").put("failures", 9).put("code", 500))
      .add(new JsonObject().put("key", k + "d").put("failures", 1).put("code", 400));
    JsonObject reply = run(new JsonObject().put("address", FLAKY).put("items", items).put("mode", "settled")
      .put("retry", new JsonObject().put("count", 3).put("backoffMs", 5)));
    assertThat(statuses(reply)).containsExactly("ok", "ok", "failed", "failed");
    assertThat(entry(reply, 0).getInteger("value")).isEqualTo(3);
    assertThat(entry(reply, 0).getInteger("attempts")).isEqualTo(3);
    assertThat(entry(reply, 1).getInteger("attempts")).isEqualTo(1);
    assertThat(entry(reply, 2).getInteger("attempts")).isEqualTo(4);
    assertThat(entry(reply, 2).getJsonObject("error").getString("message")).isEqualTo("attempt 4 failed");
    assertThat(entry(reply, 3).getInteger("attempts")).as("400 is not worth another try").isEqualTo(1);
    assertThat(attempts.get(k + "a").get()).isEqualTo(3);
    assertThat(attempts.get(k + "c").get()).isEqualTo(4);
    assertThat(attempts.get(k + "d").get()).isEqualTo(1);
  }

  @Test
  void items_for_an_address_nobody_handles_fail_with_503() throws Exception {
    String nobody = "test.fanout.nobody." + key();
    JsonObject reply = run(new JsonObject().put("address", nobody).put("items", new JsonArray().add(1).add(2).add(3))
      .put("mode", "settled").put("concurrency", 2));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(statuses(reply)).containsExactly("failed", "failed", "failed");
    assertThat(entry(reply, 1).getJsonObject("error")).isEqualTo(new JsonObject().put("code", 503)
      .put("message", "no handler for " + nobody + " on any node"));
  }

  @Test
  void explicit_requests_go_to_their_own_addresses_with_their_headers() throws Exception {
    String k = key();
    JsonArray requests = new JsonArray()
      .add(new JsonObject().put("address", SCRIPT).put("body", ok(k, "one")))
      .add(new JsonObject().put("address", "test.fanout.nobody." + k).put("body", 2))
      .add(new JsonObject().put("address", SCRIPT).put("body", new JsonObject().put("key", k).put("do", "header"))
        .put("headers", new JsonObject().put("x-test", "own")))
      .add(new JsonObject().put("address", SCRIPT).put("body", new JsonObject().put("key", k).put("do", "header")));
    JsonObject reply = run(new JsonObject().put("requests", requests).put("mode", "settled")
      .put("headers", new JsonObject().put("x-test", "shared")));
    assertThat(statuses(reply)).containsExactly("ok", "failed", "ok", "ok");
    assertThat(entry(reply, 0).getValue("value")).isEqualTo("one");
    assertThat(entry(reply, 1).getJsonObject("error").getInteger("code")).isEqualTo(503);
    assertThat(entry(reply, 2).getValue("value")).isEqualTo("own");
    assertThat(entry(reply, 3).getValue("value")).isEqualTo("shared");
  }

  @Test
  void task_type_items_run_as_tasks_and_their_results_are_the_values() throws Exception {
    JsonObject reply = run(new JsonObject().put("type", "echo").put("mode", "settled").put("timeoutMs", 10_000)
      .put("items", new JsonArray().add(new JsonObject().put("n", 1)).add("two").add(3)));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(statuses(reply)).containsExactly("ok", "ok", "ok");
    assertThat(entry(reply, 0).getJsonObject("value")).isEqualTo(new JsonObject().put("n", 1));
    assertThat(entry(reply, 1).getValue("value")).isEqualTo("two");
    assertThat(entry(reply, 2).getString("taskId")).isNotBlank();

    JsonObject failed = run(new JsonObject().put("type", "fail").put("mode", "settled")
      .put("items", new JsonArray().add(new JsonObject().put("message", "boom"))));
    assertThat(statuses(failed)).containsExactly("failed");
    assertThat(entry(failed, 0).getJsonObject("error").getInteger("code")).isEqualTo(500);
    assertThat(entry(failed, 0).getJsonObject("error").getString("message")).contains("boom");

    JsonObject unknown = run(new JsonObject().put("type", "no-such-type-" + key()).put("items", new JsonArray().add(1)));
    assertThat(entry(unknown, 0).getJsonObject("error").getInteger("code")).isEqualTo(404);
  }

  // ---- limits and bad input ---------------------------------------------------------------------------

  @Test
  void more_runs_than_the_node_allows_are_refused_with_429_until_one_ends() throws Exception {
    String k = key();
    JsonObject holding = script(hold(k)).put("timeoutMs", 60_000).put("deadlineMs", 60_000);
    List<io.vertx.core.Future<Message<Object>>> running = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      running.add(vertx.eventBus().request(Addresses.Fanout.RUN, holding.copy(), new DeliveryOptions().setSendTimeout(60_000)));
    }
    io.steward.testing.Poll.until(vertx, "8 runs holding at the target", 20_000,
      () -> io.vertx.core.Future.succeededFuture(held.getOrDefault(k, List.of()).size() == 8)).await(30, TimeUnit.SECONDS);
    ReplyException refusedRun = refused(Addresses.Fanout.RUN, script(ok(k, 1)));
    assertThat(refusedRun.failureCode()).isEqualTo(429);
    assertThat(refusedRun.getMessage()).contains("fanout.maxRuns");
    ReplyException refusedGather = refused(Addresses.Fanout.GATHER, new JsonObject().put("verb", "info"));
    assertThat(refusedGather.failureCode()).isEqualTo(429);

    for (Message<Object> m : held.get(k)) {
      m.reply("released");
    }
    for (var f : running) {
      assertThat(statuses((JsonObject) f.await(30, TimeUnit.SECONDS).body())).containsExactly("ok");
    }
    assertThat(run(script(ok(k, 1))).getString("outcome")).isEqualTo("satisfied");
  }

  static final Map<String, Object> BAD_RUNS = badRuns();

  private static Map<String, Object> badRuns() {
    Map<String, Object> bad = new java.util.LinkedHashMap<>();
    JsonArray two = new JsonArray().add(1).add(2);
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 1_001; i++) {
      tooMany.add(i);
    }
    bad.put("body: ", "[1, 2]");
    bad.put("requests: must not be empty", new JsonObject().put("requests", new JsonArray()));
    bad.put("items: must not be empty", new JsonObject().put("address", "a").put("items", new JsonArray()));
    bad.put("concurrency: must be at least 1, got 0", new JsonObject().put("address", "a").put("items", two).put("concurrency", 0));
    bad.put("mode: must be one of all, settled, any, quorum, got 'most'",
      new JsonObject().put("address", "a").put("items", two).put("mode", "most"));
    bad.put("n: a quorum of 3 is larger than the 2 items",
      new JsonObject().put("address", "a").put("items", two).put("mode", "quorum").put("n", 3));
    bad.put("items: 1001 items is over the limit of 1000 (fanout.maxItems)", new JsonObject().put("address", "a").put("items", tooMany));
    bad.put("items: the items total more than 65536 bytes of JSON (the limit fanout.maxBodyBytes)",
      new JsonObject().put("address", "a").put("items", new JsonArray().add("x".repeat(40_000)).add("y".repeat(40_000))));
    bad.put("requests[1].address: is required", new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("address", "a")).add(new JsonObject().put("body", 1))));
    return bad;
  }

  @Test
  void bad_input_on_the_address_is_a_400_naming_the_field() {
    BAD_RUNS.forEach((message, body) -> {
      ReplyException e = refused(Addresses.Fanout.RUN, body);
      assertThat(e.failureCode()).as("code for %s", message).isEqualTo(400);
      assertThat(e.getMessage()).startsWith(message);
    });
    ReplyException notJson = refused(Addresses.Fanout.RUN, "this is not json");
    assertThat(notJson.failureCode()).isEqualTo(400);
    assertThat(notJson.getMessage()).startsWith("body: a JSON object is required");
    ReplyException noVerb = refused(Addresses.Fanout.GATHER, new JsonObject().put("timeoutMs", 10));
    assertThat(noVerb.failureCode()).isEqualTo(400);
    assertThat(noVerb.getMessage()).startsWith("verb: is required");
    assertThat(refused(Addresses.Fanout.GATHER, new JsonObject().put("verb", "info").put("timeoutMs", 0)).getMessage())
      .startsWith("timeoutMs: must be between 1 and");
  }

  @Test
  void bad_input_on_the_route_is_a_400_json_error_naming_the_field() throws Exception {
    for (Map.Entry<String, Object> bad : BAD_RUNS.entrySet()) {
      String body = bad.getValue() instanceof JsonObject o ? o.encode() : (String) bad.getValue();
      HttpResponse<Buffer> r = post("/fanout", body);
      assertThat(r.statusCode()).as("status for %s", bad.getKey()).isEqualTo(400);
      JsonObject error = r.bodyAsJsonObject();
      assertThat(error.getString("error")).startsWith(bad.getKey());
      assertThat(error.getString("field")).isEqualTo(bad.getKey().substring(0, bad.getKey().indexOf(':')));
      assertThat(error.getBoolean("retryable")).isFalse();
    }
    HttpResponse<Buffer> notJson = post("/fanout", "not json at all");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.bodyAsJsonObject().getString("field")).isEqualTo("body");
    HttpResponse<Buffer> gather = post("/fanout/gather", "{\"verb\": \"no spaces allowed\"}");
    assertThat(gather.statusCode()).isEqualTo(400);
    assertThat(gather.bodyAsJsonObject().getString("field")).isEqualTo("verb");
  }

  @Test
  void the_route_runs_a_fan_out_and_a_gather() throws Exception {
    String k = key();
    HttpResponse<Buffer> r = post("/fanout", script(ok(k, "x"), failing(k, "y", 422)).put("mode", "settled").encode());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject reply = r.bodyAsJsonObject();
    assertThat(statuses(reply)).containsExactly("ok", "failed");
    assertThat(entry(reply, 1).getJsonObject("error").getInteger("code")).isEqualTo(422);

    HttpResponse<Buffer> g = post("/fanout/gather", new JsonObject().put("verb", "info").put("module", "fanout").encode());
    assertThat(g.statusCode()).isEqualTo(200);
    JsonObject gathered = g.bodyAsJsonObject();
    assertThat(gathered.getJsonObject("counts").getInteger("ok")).isEqualTo(1);
    JsonObject only = gathered.getJsonArray("nodes").getJsonObject(0);
    assertThat(only.getString("node")).isEqualTo(node.id());
    assertThat(only.getJsonObject("value").getString("id")).isEqualTo(node.id());
  }

  @Test
  void a_gather_for_a_module_no_node_runs_is_empty() throws Exception {
    JsonObject reply = (JsonObject) vertx.eventBus().request(Addresses.Fanout.GATHER,
      new JsonObject().put("verb", "info").put("module", "schedule")).await(30, TimeUnit.SECONDS).body();
    assertThat(reply.getJsonObject("counts").getInteger("total")).isZero();
    assertThat(reply.getJsonArray("nodes")).isEmpty();
  }

  @Test
  void a_run_that_ended_is_counted_in_the_metrics() throws Exception {
    String k = key();
    run(script(ok(k, 1), failing(k, 2, 500)).put("mode", "settled"));
    var registry = io.steward.observe.Metrics.registry(vertx);
    assertThat(registry.get("steward_fanout_runs").tag("kind", "run").tag("outcome", "satisfied").counter().count())
      .isPositive();
    assertThat(registry.get("steward_fanout_items").tag("kind", "run").tag("status", "failed").counter().count())
      .isPositive();
  }
}
