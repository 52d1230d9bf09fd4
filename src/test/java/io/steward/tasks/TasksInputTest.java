package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.steward.bus.Addresses;
import io.steward.observe.Metrics;
import io.steward.spi.ConfigException;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Bad input on every tasks address and route gets a clear failure with a documented code (400 naming the
 * field, 404, 409, 429), never a crash or a hang; and the REST routes work end to end over real HTTP.
 */
class TasksInputTest {

  private static TestCluster cluster;
  private static StewardNode node;
  private static WebClient http;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(TasksInputTest.class, 1);
    node = cluster.start(List.of("http", "tasks"), new JsonObject().put("tasks", new JsonObject().put("supervisors",
      new JsonObject().put("tiny", new JsonObject().put("workers", 1).put("maxQueued", 0))
        .put("percustomer", new JsonObject().put("workers", 1).put("clusterLimit", 1).put("partitionBy", "customer")))))
      .await(60, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
    http = WebClient.create(node.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    cluster.close();
  }

  private static ReplyException fails(String address, Object body) {
    ReplyException e = catchThrowableOfType(ReplyException.class, () -> node.vertx().eventBus()
      .request(address, body, new DeliveryOptions().setSendTimeout(10_000)).await(20, TimeUnit.SECONDS));
    assertThat(e).as("%s with %s must fail", address, body).isNotNull();
    return e;
  }

  private static void bad(String address, Object body, int code, String message) {
    ReplyException e = fails(address, body);
    assertThat(e.failureCode()).as("%s with %s: %s", address, body, e.getMessage()).isEqualTo(code);
    assertThat(e.getMessage()).as("%s with %s", address, body).startsWith(message);
  }

  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  @Test
  void submit_and_run_refuse_bad_bodies_naming_the_field() {
    for (String address : List.of(Addresses.Tasks.SUBMIT, Addresses.Tasks.RUN)) {
      bad(address, "not json", 400, "body: a JSON object is required");
      bad(address, 42, 400, "body: a JSON object is required, got a number");
      bad(address, new JsonObject(), 400, "type: is required");
      bad(address, json("{\"type\": 5}"), 400, "type: must be a string");
      bad(address, json("{\"type\": \"echo\", \"tpye\": 1}"), 400, "tpye: unknown field");
      bad(address, json("{\"type\": \"echo\", \"restart\": \"sometimes\"}"), 400, "restart: must be one of temporary, transient, permanent");
      bad(address, json("{\"type\": \"echo\", \"maxRestarts\": -1}"), 400, "maxRestarts: must be between 0 and 1000, got -1");
      bad(address, json("{\"type\": \"echo\", \"withinMs\": 0}"), 400, "withinMs: must be between 1");
      bad(address, json("{\"type\": \"echo\", \"timeoutMs\": 0}"), 400, "timeoutMs: must be between 1");
      bad(address, json("{\"type\": \"echo\", \"timeoutMs\": \"soon\"}"), 400, "timeoutMs: must be an integer, got a string");
      bad(address, json("{\"type\": \"echo\", \"timeoutMs\": 1.5}"), 400, "timeoutMs: must be an integer");
      bad(address, json("{\"type\": \"echo\", \"key\": \"" + "k".repeat(201) + "\"}"), 400, "key: must be at most 200 characters");
      bad(address, json("{\"type\": \"echo\", \"supervisor\": \"\"}"), 400, "supervisor: must not be blank");
      bad(address, json("{\"type\": \"echo\", \"version\": 2}"), 400, "version: unsupported message version 2");
      bad(address, json("{\"type\": \"nope\"}"), 404, "type: no task type 'nope' on this node (known: ");
      bad(address, json("{\"type\": \"echo\", \"supervisor\": \"nobody\"}"), 404, "supervisor: no supervisor 'nobody'");
      bad(address, json("{\"type\": \"sleep\"}"), 400, "payload: is required");
      bad(address, json("{\"type\": \"sleep\", \"payload\": 5}"), 400, "payload: must be a JSON object, got a number");
      bad(address, json("{\"type\": \"sleep\", \"payload\": {}}"), 400, "payload.ms: is required");
      bad(address, json("{\"type\": \"sleep\", \"payload\": {\"ms\": -1}}"), 400, "payload.ms: must be between 0");
      bad(address, json("{\"type\": \"sleep\", \"payload\": {\"ms\": 1, \"x\": 1}}"), 400, "payload.x: unknown field");
      bad(address, json("{\"type\": \"fail\", \"payload\": {\"message\": 3}}"), 400, "payload.message: must be a string");
      bad(address, json("{\"type\": \"bus\", \"payload\": {}}"), 400, "payload.address: is required");
      bad(address, json("{\"type\": \"bus\", \"payload\": {\"address\": \"a\", \"timeoutMs\": 0}}"), 400, "payload.timeoutMs: must be between 1");
    }
  }

  @Test
  void a_delayed_submit_with_a_bad_delay_or_runAt_is_refused_naming_the_field() {
    long now = System.currentTimeMillis();
    for (String address : List.of(Addresses.Tasks.SUBMIT, Addresses.Tasks.RUN)) {
      bad(address, json("{\"type\": \"echo\", \"delayMs\": -1}"), 400, "delayMs: must be between 0 and 31622400000, got -1");
      bad(address, json("{\"type\": \"echo\", \"delayMs\": \"soon\"}"), 400, "delayMs: must be an integer, got a string");
      bad(address, json("{\"type\": \"echo\", \"delayMs\": 1.5}"), 400, "delayMs: must be an integer");
      bad(address, json("{\"type\": \"echo\", \"delayMs\": 31622400001}"), 400, "delayMs: must be between 0 and 31622400000");
      bad(address, new JsonObject().put("type", "echo").put("delayMs", 1_000).put("runAt", now + 1_000), 400,
        "runAt: give delayMs or runAt, not both");
      bad(address, new JsonObject().put("type", "echo").put("runAt", now - 3_600_000), 400, "runAt: is ");
      assertThat(fails(address, new JsonObject().put("type", "echo").put("runAt", now - 3_600_000)).getMessage())
        .contains("ms in the past (at most 60000 ms is accepted");
      bad(address, new JsonObject().put("type", "echo").put("runAt", now + TaskSpec.MAX_DELAY_MS + 3_600_000), 400,
        "runAt: is more than 31622400000 ms (366 days) ahead");
      bad(address, json("{\"type\": \"echo\", \"runAt\": \"tomorrow\"}"), 400, "runAt: must be epoch milliseconds or an ISO-8601 instant");
      bad(address, json("{\"type\": \"echo\", \"runAt\": \"2030-01-01T08:00:00\"}"), 400, "runAt: must be epoch milliseconds or an ISO-8601 instant with a zone");
      bad(address, json("{\"type\": \"echo\", \"runAt\": true}"), 400, "runAt: must be epoch milliseconds or an ISO-8601 instant, got a boolean");
      bad(address, json("{\"type\": \"echo\", \"runAt\": 0}"), 400, "runAt: must be a positive epoch-milliseconds date");
      bad(address, json("{\"type\": \"nope\", \"delayMs\": 1000}"), 404, "type: no task type 'nope'");
    }
  }

  @Test
  void a_runAt_a_little_in_the_past_runs_at_once() throws Exception {
    JsonObject done = (JsonObject) node.vertx().eventBus().request(Addresses.Tasks.RUN, new JsonObject().put("type", "echo")
      .put("payload", "late").put("runAt", System.currentTimeMillis() - 5_000), new DeliveryOptions().setSendTimeout(10_000))
      .await(20, TimeUnit.SECONDS).body();
    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.containsKey("runAt")).as("no wait: it was never scheduled").isFalse();
  }

  @Test
  void a_refused_fire_and_forget_submit_is_counted_not_silent() throws Exception {
    Counter rejected = Metrics.registry(node.vertx()).find("steward_bus_rejected")
      .tags("address", Addresses.Tasks.SUBMIT, "code", "404").counter();
    double before = rejected == null ? 0 : rejected.count();
    node.vertx().eventBus().send(Addresses.Tasks.SUBMIT, json("{\"type\": \"no-such-type\"}"));
    // Nobody is told about a refused send: wait until it is counted.
    Poll.until(node.vertx(), "the refused send counted", 20_000, () -> {
      Counter c = Metrics.registry(node.vertx()).find("steward_bus_rejected")
        .tags("address", Addresses.Tasks.SUBMIT, "code", "404").counter();
      return io.vertx.core.Future.succeededFuture(c != null && c.count() > before);
    }).await(30, TimeUnit.SECONDS);
    double now = Metrics.registry(node.vertx()).find("steward_bus_rejected")
      .tags("address", Addresses.Tasks.SUBMIT, "code", "404").counter().count();
    assertThat(now).isEqualTo(before + 1);
  }

  @Test
  void the_other_addresses_refuse_bad_bodies_naming_the_field() {
    String nodeGet = Addresses.node(node.id(), Addresses.Tasks.NODE_GET);
    String nodeCancel = Addresses.node(node.id(), Addresses.Tasks.NODE_CANCEL);
    String nodeAwait = Addresses.node(node.id(), Addresses.Tasks.NODE_AWAIT);
    String nodeList = Addresses.node(node.id(), Addresses.Tasks.NODE_LIST);
    for (String address : List.of(Addresses.Tasks.GET, Addresses.Tasks.CANCEL, Addresses.Tasks.AWAIT, nodeGet, nodeCancel, nodeAwait)) {
      bad(address, "[1]", 400, "body: a JSON object is required");
      bad(address, new JsonObject(), 400, "id: is required");
      bad(address, json("{\"id\": 7}"), 400, "id: must be a string, got a number");
      bad(address, json("{\"id\": \"x\", \"extra\": true}"), 400, "extra: unknown field");
      bad(address, json("{\"id\": \"no-such-task\"}"), 404, "id: no task 'no-such-task'");
    }
    for (String address : List.of(Addresses.Tasks.AWAIT, nodeAwait)) {
      bad(address, json("{\"id\": \"x\", \"timeoutMs\": 0}"), 400, "timeoutMs: must be between 1");
      bad(address, json("{\"id\": \"x\", \"timeoutMs\": true}"), 400, "timeoutMs: must be an integer, got a boolean");
    }
    for (String address : List.of(Addresses.Tasks.LIST, nodeList)) {
      bad(address, "{oops", 400, "body: malformed JSON");
      bad(address, json("{\"state\": \"sleeping\"}"), 400, "state: must be one of pending, running, restarting, scheduled, succeeded, failed, timed-out, cancelled, lost");
      bad(address, json("{\"limit\": 0}"), 400, "limit: must be between 1 and 1000, got 0");
      bad(address, json("{\"limit\": 1001}"), 400, "limit: must be between 1 and 1000, got 1001");
      bad(address, json("{\"type\": []}"), 400, "type: must be a string, got an array");
      bad(address, json("{\"sort\": \"id\"}"), 400, "sort: unknown field");
    }
    bad(Addresses.Tasks.DEADLETTERS, json("{\"limit\": -3}"), 400, "limit: must be between 1 and 1000");
    bad(Addresses.Tasks.DEADLETTERS, json("{\"supervisor\": 1}"), 400, "supervisor: must be a string");
    bad(Addresses.Tasks.DEADLETTERS, json("{\"id\": \"x\"}"), 400, "id: unknown field");
  }

  // ---------------------------------------------------------------- HTTP

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String body) throws Exception {
    var req = http.requestAbs(method, url + path).putHeader("content-type", "application/json");
    return (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body))).await(30, TimeUnit.SECONDS);
  }

  private static void status(HttpResponse<Buffer> r, int code, String field) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(code);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("code")).isEqualTo(code);
    if (field != null) {
      assertThat(body.getString("field")).isEqualTo(field);
    }
  }

  @Test
  void the_routes_work_and_refuse_bad_input_with_json_errors() throws Exception {
    HttpResponse<Buffer> accepted = call(HttpMethod.POST, "/tasks", "{\"type\": \"echo\", \"payload\": [1, 2]}");
    assertThat(accepted.statusCode()).isEqualTo(202);
    String id = accepted.bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> got = call(HttpMethod.GET, "/tasks/" + id, null);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.bodyAsJsonObject().getString("id")).isEqualTo(id);

    HttpResponse<Buffer> delayed = call(HttpMethod.POST, "/tasks", "{\"type\": \"echo\", \"delayMs\": 600000}");
    assertThat(delayed.statusCode()).isEqualTo(202);
    String delayedId = delayed.bodyAsJsonObject().getString("id");
    assertThat(call(HttpMethod.GET, "/tasks/" + delayedId, null).bodyAsJsonObject().getString("state")).isEqualTo("scheduled");
    assertThat(call(HttpMethod.GET, "/tasks?state=scheduled", null).bodyAsJsonObject().encode()).contains(delayedId);
    assertThat(call(HttpMethod.DELETE, "/tasks/" + delayedId, null).bodyAsJsonObject().getString("state")).isEqualTo("cancelled");
    status(call(HttpMethod.POST, "/tasks", "{\"type\": \"echo\", \"delayMs\": -5}"), 400, "delayMs");
    status(call(HttpMethod.POST, "/tasks", "{\"type\": \"echo\", \"runAt\": 1000}"), 400, "runAt");

    HttpResponse<Buffer> run = call(HttpMethod.POST, "/tasks/run", "{\"type\": \"echo\", \"payload\": \"hi\"}");
    assertThat(run.statusCode()).isEqualTo(200);
    assertThat(run.bodyAsJsonObject().getString("result")).isEqualTo("hi");
    status(call(HttpMethod.POST, "/tasks/run", "{\"type\": \"fail\", \"payload\": {\"message\": \"nope\"}}"), 500, null);
    HttpResponse<Buffer> timedOut = call(HttpMethod.POST, "/tasks/run", "{\"type\": \"sleep\", \"payload\": {\"ms\": 10000}, \"timeoutMs\": 50}");
    status(timedOut, 408, null);
    assertThat(timedOut.bodyAsJsonObject().getBoolean("retryable")).isTrue();

    HttpResponse<Buffer> list = call(HttpMethod.GET, "/tasks?type=echo&limit=5", null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.bodyAsJsonObject().getJsonArray("tasks").size()).isBetween(1, 5);

    for (String path : List.of("/tasks", "/tasks/run")) {
      status(call(HttpMethod.POST, path, "not json"), 400, "body");
      status(call(HttpMethod.POST, path, ""), 400, "body");
      status(call(HttpMethod.POST, path, "{}"), 400, "type");
      status(call(HttpMethod.POST, path, "{\"type\": \"echo\", \"restart\": 1}"), 400, "restart");
      status(call(HttpMethod.POST, path, "{\"type\": \"sleep\", \"payload\": {}}"), 400, "payload.ms");
      status(call(HttpMethod.POST, path, "{\"type\": \"unknown\"}"), 404, null);
    }
    status(call(HttpMethod.GET, "/tasks?state=sleeping", null), 400, "state");
    status(call(HttpMethod.GET, "/tasks?limit=lots", null), 400, "limit");
    status(call(HttpMethod.GET, "/tasks?limit=0", null), 400, "limit");
    status(call(HttpMethod.GET, "/tasks?colour=red", null), 400, "colour");
    status(call(HttpMethod.GET, "/tasks/no-such-task", null), 404, null);
    status(call(HttpMethod.DELETE, "/tasks/no-such-task", null), 404, null);
    status(call(HttpMethod.PUT, "/tasks", "{}"), 405, null);
  }

  /**
   * Issue 20's bad input over HTTP as over the bus: a runAt in the far past (epoch or ISO-8601) is a 400 naming runAt
   * on both submit routes, and a task of a partitioned limit without its partition field is a 400 naming that field.
   */
  @Test
  void a_runAt_in_the_far_past_and_a_missing_partition_field_are_400s_over_http_naming_the_field() throws Exception {
    long hourAgo = System.currentTimeMillis() - 3_600_000;
    for (String path : List.of("/tasks", "/tasks/run")) {
      for (String runAt : List.of(String.valueOf(hourAgo), "\"1999-12-31T23:59:59Z\"")) {
        HttpResponse<Buffer> r = call(HttpMethod.POST, path, "{\"type\": \"echo\", \"runAt\": " + runAt + "}");
        status(r, 400, "runAt");
        assertThat(r.bodyAsJsonObject().getString("error")).as(path + " " + runAt).startsWith("runAt: is ")
          .contains("ms in the past (at most 60000 ms is accepted");
      }
      HttpResponse<Buffer> noCustomer = call(HttpMethod.POST, path,
        "{\"type\": \"echo\", \"supervisor\": \"percustomer\", \"payload\": {\"order\": 1}}");
      status(noCustomer, 400, "payload.customer");
      assertThat(noCustomer.bodyAsJsonObject().getString("error")).startsWith("payload.customer: is required").contains("partitionBy");
    }
    for (String address : List.of(Addresses.Tasks.SUBMIT, Addresses.Tasks.RUN)) {
      bad(address, json("{\"type\": \"echo\", \"supervisor\": \"percustomer\", \"payload\": {\"order\": 1}}"), 400,
        "payload.customer: is required");
      bad(address, json("{\"type\": \"echo\", \"runAt\": \"1999-12-31T23:59:59Z\"}"), 400, "runAt: is ");
    }
  }

  /** A cluster-wide limit is configuration, not a request: one of 0 stops the node at start-up, naming the key (exit 2). */
  @Test
  void a_cluster_limit_or_rate_of_0_stops_a_node_from_starting_naming_the_key() {
    for (String key : List.of("clusterLimit", "ratePerPeriod")) {
      JsonObject sup = new JsonObject().put("workers", 1).put(key, 0);
      if (key.equals("ratePerPeriod")) {
        sup.put("periodMs", 1_000);
      }
      Throwable refused = catchThrowable(() -> cluster.start(List.of("tasks"), new JsonObject().put("tasks",
        new JsonObject().put("supervisors", new JsonObject().put("zero", sup)))).await(60, TimeUnit.SECONDS));
      assertThat(refused).as(key).isInstanceOf(ConfigException.class)
        .hasMessageContaining("tasks.supervisors.zero." + key + ": must be between 1 and 1000000, got 0");
      assertThat(((ConfigException) refused).key()).isEqualTo("tasks.supervisors.zero." + key);
    }
  }

  @Test
  void the_routes_cancel_and_answer_429_when_a_supervisor_is_full() throws Exception {
    HttpResponse<Buffer> first = call(HttpMethod.POST, "/tasks", "{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"supervisor\": \"tiny\"}");
    assertThat(first.statusCode()).isEqualTo(202);
    String id = first.bodyAsJsonObject().getString("id");
    HttpResponse<Buffer> full = call(HttpMethod.POST, "/tasks", "{\"type\": \"echo\", \"supervisor\": \"tiny\"}");
    status(full, 429, null);
    assertThat(full.bodyAsJsonObject().getBoolean("retryable")).isTrue();
    assertThat(full.bodyAsJsonObject().getBoolean("mayHaveApplied")).isFalse();

    HttpResponse<Buffer> cancelled = call(HttpMethod.DELETE, "/tasks/" + id, null);
    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(cancelled.bodyAsJsonObject().getString("state")).isEqualTo("cancelled");
    status(call(HttpMethod.DELETE, "/tasks/" + id, null), 409, null);
    HttpResponse<Buffer> after = call(HttpMethod.POST, "/tasks/run", "{\"type\": \"echo\", \"payload\": 1, \"supervisor\": \"tiny\"}");
    assertThat(after.statusCode()).as("a cancel frees the slot").isEqualTo(200);
  }
}
