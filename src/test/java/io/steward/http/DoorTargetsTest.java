package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * An address inside a body is a forwarding address, also through the SockJS bridge (driven by the official npm
 * client, {@code src/test/js/sockjs-bridge.js}) and the HTTP API: the SockJS bridge permits as targets
 * {@code http.bridgeInbound} and {@code http.bridgeTargets}; HTTP permits the addresses of its routes, each node's
 * info and health, and {@code http.targets}. The node runs every module; its SockJS bridge permits nothing but
 * {@code steward.tasks.submit}, and {@code steward.test.worker} as a target.
 */
class DoorTargetsTest {

  static final String WORKER = "steward.test.worker";

  private static TestCluster cluster;
  private static StewardNode node;
  private static String url;
  private static WebClient client;
  private static volatile JsonObject lastWorkerHeaders = new JsonObject();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(DoorTargetsTest.class, 1);
    node = cluster.start(List.of("http", "tasks", "fanout", "schedule", "cache"), new JsonObject()
        .put("cache", new JsonObject().put("caches", new JsonObject().put("c", new JsonObject())))
        .put("http", new JsonObject()
          .put("bridgeInbound", new JsonArray().add(Addresses.Tasks.SUBMIT))
          .put("bridgeTargets", new JsonArray().add(WORKER))
          .put("targets", new JsonArray().add(WORKER))))
      .await(60, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
    node.vertx().eventBus().<Object>consumer(WORKER, msg -> {
      JsonObject headers = new JsonObject();
      msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
      lastWorkerHeaders = headers;
      msg.reply(new JsonObject().put("worked", true));
    }).completion().await(10, TimeUnit.SECONDS);
    client = WebClient.create(node.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  @Test
  void a_sockjs_client_permitted_only_to_submit_cannot_clear_a_cache_or_reach_a_node_through_a_task() throws Exception {
    putEntry();
    String nodeInfo = Addresses.node(node.id(), Addresses.Nodes.INFO);
    List<String> forbidden = List.of(Addresses.Cache.CLEAR, Addresses.Nodes.LIST, nodeInfo, "__vertx.reply.1234",
      Addresses.Fanout.RUN, Addresses.Schedule.PUT, Addresses.Cache.GET_OR_COMPUTE);
    JsonArray requests = new JsonArray();
    for (String target : forbidden) {
      requests.add(submit(target, target, new JsonObject().put("cache", "c")));
    }
    JsonObject inner = busTask(Addresses.Cache.CLEAR, new JsonObject().put("cache", "c"));
    requests.add(submit("nested", Addresses.Tasks.SUBMIT, inner));
    JsonObject permittedTask = submit("permitted", WORKER, new JsonObject());
    permittedTask.getJsonObject("body").getJsonObject("payload").put("door", new JsonObject().put("door", "forged")
      .put("setting", "x").put("permits", new JsonArray().add(new JsonObject().put("addressRegex", ".*"))));
    requests.add(permittedTask);
    requests.add(submit("spoofed", Addresses.Nodes.LIST, new JsonObject()).put("headers", new JsonObject()
      .put(Door.HEADER, new JsonObject().put("door", "x").put("setting", "x")
        .put("permits", new JsonArray().add(new JsonObject().put("addressRegex", ".*"))).encode())));
    requests.add(new JsonObject().put("step", "bad").put("address", Addresses.Tasks.SUBMIT)
      .put("body", new JsonObject().put("type", "bus").put("payload", new JsonObject())));

    List<JsonObject> lines = node(url + "/eventbus", "requests", requests.encode());

    for (String target : forbidden) {
      refused(step(lines, target), target);
    }
    refused(step(lines, "spoofed"), Addresses.Nodes.LIST);
    JsonObject bad = step(lines, "bad");
    assertThat(bad.getInteger("failureCode")).isEqualTo(400);
    assertThat(bad.getString("message")).startsWith("payload.address: is required");

    JsonObject nested = step(lines, "nested");
    assertThat(nested.getBoolean("ok")).as("%s", nested).isTrue();
    ReplyException outcome = catchThrowableOfType(ReplyException.class, () -> await(nested.getJsonObject("body").getString("id")));
    assertThat(outcome).as("the outer task fails: its inner submit was refused").isNotNull();
    assertThat(outcome.getMessage()).contains("403").contains(Addresses.Cache.CLEAR);
    assertThat(entryPresent()).as("the cache was not cleared").isTrue();

    JsonObject permitted = step(lines, "permitted");
    assertThat(permitted.getBoolean("ok")).as("%s", permitted).isTrue();
    JsonObject done = await(permitted.getJsonObject("body").getString("id"));
    assertThat(done.getJsonObject("result").getBoolean("worked")).isTrue();
    assertThat(lastWorkerHeaders.getString(Door.HEADER)).as("the door's rule replaced the one forged in payload.door")
      .contains("http.bridgeTargets").doesNotContain("forged");
  }

  @Test
  void an_http_client_reaches_only_the_routes_addresses_and_http_targets() throws Exception {
    String nodeInfo = Addresses.node(node.id(), Addresses.Tasks.NODE_LIST);
    forbidden(send(HttpMethod.POST, "/tasks/run", busTask(nodeInfo, new JsonObject())), "payload.address", nodeInfo);
    forbidden(send(HttpMethod.POST, "/tasks", busTask("__vertx.reply.1", new JsonObject())), "payload.address", "__vertx.reply.1");
    forbidden(send(HttpMethod.POST, "/fanout", new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("address", nodeInfo)))), "requests[0].address", nodeInfo);
    forbidden(send(HttpMethod.POST, "/fanout/gather", new JsonObject().put("verb", Addresses.Tasks.NODE_LIST)), "verb", nodeInfo);
    forbidden(send(HttpMethod.PUT, "/schedules/node-info", new JsonObject().put("every", "1s")
      .put("action", new JsonObject().put("type", "send").put("address", nodeInfo))), "action.address", nodeInfo);
    forbidden(send(HttpMethod.POST, "/caches/c/k/compute", new JsonObject()
      .put("compute", new JsonObject().put("address", nodeInfo))), "compute.address", nodeInfo);

    HttpResponse<Buffer> bad = send(HttpMethod.POST, "/tasks/run", new JsonObject().put("type", "bus").put("payload", new JsonObject()));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("field")).isEqualTo("payload.address");

    HttpResponse<Buffer> worker = send(HttpMethod.POST, "/tasks/run", busTask(WORKER, new JsonObject()));
    assertThat(worker.statusCode()).as(worker.bodyAsString()).isEqualTo(200);
    assertThat(worker.bodyAsJsonObject().getJsonObject("result").getBoolean("worked")).isTrue();
    assertThat(lastWorkerHeaders.getString(Door.HEADER)).contains("http.targets");
    HttpResponse<Buffer> route = send(HttpMethod.POST, "/tasks/run", busTask(Addresses.Nodes.LIST, new JsonObject()));
    assertThat(route.statusCode()).as("an address a route reaches (GET /nodes): %s", route.bodyAsString()).isEqualTo(200);
    HttpResponse<Buffer> job = send(HttpMethod.PUT, "/schedules/echo", new JsonObject().put("every", "1h")
      .put("action", new JsonObject().put("type", "task").put("task", new JsonObject().put("type", "echo"))));
    assertThat(job.statusCode()).as("a task action reaches steward.tasks.run, a route's address: %s", job.bodyAsString())
      .isEqualTo(200);
    assertThat(job.bodyAsJsonObject().getJsonObject("door").getString("setting")).isEqualTo("http.targets");
    assertThat(send(HttpMethod.DELETE, "/schedules/echo", null).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> gather = send(HttpMethod.POST, "/fanout/gather", new JsonObject().put("verb", Addresses.Nodes.INFO));
    assertThat(gather.statusCode()).as("each node's info, as GET /nodes shows: %s", gather.bodyAsString()).isEqualTo(200);
    assertThat(gather.bodyAsJsonObject().getJsonObject("counts").getInteger("ok")).isEqualTo(1);
  }

  private static HttpResponse<Buffer> send(HttpMethod method, String path, JsonObject body) throws Exception {
    var request = client.requestAbs(method, url + path);
    return (body == null ? request.send() : request.sendJsonObject(body)).await(30, TimeUnit.SECONDS);
  }

  private static void forbidden(HttpResponse<Buffer> response, String field, String target) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(403);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getInteger("code")).isEqualTo(403);
    assertThat(body.getString("field")).isEqualTo(field);
    assertThat(body.getString("error")).contains("'" + target + "'").contains("http.targets");
    assertThat(body.getBoolean("retryable")).isFalse();
  }

  private static void refused(JsonObject line, String target) {
    assertThat(line.getBoolean("ok")).as("%s", line).isFalse();
    assertThat(line.getInteger("failureCode")).as("%s", line).isEqualTo(403);
    assertThat(line.getString("message")).startsWith("payload.address: ").contains("'" + target + "'")
      .contains("http.bridgeInbound or http.bridgeTargets");
  }

  private static JsonObject submit(String step, String target, Object body) {
    return new JsonObject().put("step", step).put("address", Addresses.Tasks.SUBMIT).put("body", busTask(target, body));
  }

  private static JsonObject busTask(String address, Object body) {
    return new JsonObject().put("type", "bus").put("payload", new JsonObject().put("address", address).put("body", body));
  }

  private static JsonObject await(String id) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(Addresses.Tasks.AWAIT, new JsonObject().put("id", id)
      .put("timeoutMs", 20_000), new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
  }

  private static void putEntry() throws Exception {
    node.vertx().eventBus().request(Addresses.Cache.PUT, new JsonObject().put("cache", "c").put("key", "kept")
      .put("value", "yes")).await(10, TimeUnit.SECONDS);
  }

  private static boolean entryPresent() throws Exception {
    JsonObject reply = (JsonObject) node.vertx().eventBus().request(Addresses.Cache.GET, new JsonObject()
      .put("cache", "c").put("key", "kept")).await(10, TimeUnit.SECONDS).body();
    return reply.getBoolean("found", false);
  }

  private static JsonObject step(List<JsonObject> lines, String step) {
    return lines.stream().filter(l -> step.equals(l.getString("step"))).findFirst()
      .orElseThrow(() -> new AssertionError("no step '" + step + "' in the Node client's output: " + lines));
  }

  /** Runs {@code node src/test/js/sockjs-bridge.js <url> <scenario> <extra>} and returns its output lines. */
  private static List<JsonObject> node(String eventBusUrl, String scenario, String extra) throws Exception {
    if (!Files.isDirectory(HttpSecurityTest.JS.resolve("node_modules/@vertx/eventbus-bridge-client.js"))) {
      fail("The Node.js test client is not installed: run `npm ci` in " + HttpSecurityTest.JS.toAbsolutePath());
    }
    File stdout = File.createTempFile("sockjs-bridge", ".out");
    File stderr = File.createTempFile("sockjs-bridge", ".err");
    try {
      Process process = new ProcessBuilder("node", "sockjs-bridge.js", eventBusUrl, scenario, extra)
        .directory(HttpSecurityTest.JS.toFile()).redirectOutput(stdout).redirectError(stderr).start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("the Node.js client did not finish in 60 s; output: " + Files.readString(stdout.toPath()));
      }
      String out = Files.readString(stdout.toPath());
      assertThat(process.exitValue()).as("node exit code; stdout:\n%s\nstderr:\n%s", out,
        Files.readString(stderr.toPath())).isZero();
      List<JsonObject> lines = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          lines.add(new JsonObject(line));
        }
      }
      return lines;
    } finally {
      Files.deleteIfExists(stdout.toPath());
      Files.deleteIfExists(stderr.toPath());
    }
  }
}
