package io.steward.http;

import io.steward.bus.Endpoint;
import io.steward.bus.StewardException;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import java.net.URI;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocket;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP module on a real clustered node and a real HTTP server. */
class HttpApiTest {

  private static TestCluster cluster;
  private static StewardNode node;
  private static WebClient client;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(HttpApiTest.class, 1);
    node = cluster.start(List.of("http"), new JsonObject().put("http", new JsonObject().put("bodyLimitBytes", 2048)))
      .await(60, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
    client = WebClient.create(node.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    cluster.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String body) throws Exception {
    var req = client.requestAbs(method, url + path).putHeader("content-type", "application/json");
    return (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body))).await(20, TimeUnit.SECONDS);
  }

  @Test
  void a_sockjs_message_over_the_body_limit_is_answered_with_an_error_and_the_connection_closed() throws Exception {
    URI u = URI.create(url);
    // Frames under the limit, a message over it: the library's aggregator fails, not the frame decoder.
    WebSocketClient wsClient = node.vertx().createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1024));
    WebSocket ws = wsClient.connect(u.getPort(), u.getHost(), "/eventbus/websocket").await(10, TimeUnit.SECONDS);
    Promise<String> answer = Promise.promise();
    Promise<Void> closed = Promise.promise();
    ws.handler(b -> answer.tryComplete(b.toString()));
    ws.closeHandler(v -> closed.tryComplete());
    ws.writeTextMessage("{\"type\":\"send\",\"address\":\"steward.nodes.list\",\"body\":\"" + "x".repeat(4_000) + "\"}");
    JsonObject err = new JsonObject(answer.future().await(10, TimeUnit.SECONDS));
    assertThat(err.getString("type")).isEqualTo("err");
    assertThat(err.getString("message")).contains("max message size");
    closed.future().await(10, TimeUnit.SECONDS);
    wsClient.close();
  }

  @Test
  void health_is_up_with_the_cluster_and_node_checks() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/health", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("UP");
    assertThat(body.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id"))).contains("cluster", "node");
  }

  @Test
  void nodes_lists_this_node() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/nodes", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("nodes").getJsonObject(0).getString("id")).isEqualTo(node.id());
  }

  @Test
  void unknown_routes_and_methods_get_json_errors() throws Exception {
    HttpResponse<Buffer> missing = call(HttpMethod.GET, "/no/such/thing", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.bodyAsJsonObject().getString("error")).contains("no such route: GET /no/such/thing");
    HttpResponse<Buffer> method = call(HttpMethod.DELETE, "/nodes", null);
    assertThat(method.statusCode()).isEqualTo(405);
    assertThat(method.bodyAsJsonObject().getInteger("code")).isEqualTo(405);
  }

  @Test
  void a_body_over_the_limit_gets_413_json() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/nodes", "{\"x\":\"" + "a".repeat(4096) + "\"}");
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.bodyAsJsonObject().getString("error")).contains("http.bodyLimitBytes");
  }

  @Test
  void metrics_are_served_in_prometheus_text() throws Exception {
    call(HttpMethod.GET, "/nodes", null);
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsString()).contains("vertx_http_server_requests_total").contains("jvm_memory_used_bytes");
  }

  @Test
  void the_dashboard_series_answer_json_and_refuse_bad_query_parameters_with_400_json() throws Exception {
    HttpResponse<Buffer> ok = call(HttpMethod.GET, "/metrics/series?since=0", null);
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonObject body = ok.bodyAsJsonObject();
    assertThat(body.getString("node")).isEqualTo(node.id());
    assertThat(body.getLong("intervalMs")).isEqualTo(Series.INTERVAL_MS);
    assertThat(body.getLong("windowMs")).isEqualTo(Series.WINDOW_MS);
    assertThat(body.getJsonArray("samples")).isNotNull();
    assertThat(call(HttpMethod.GET, "/metrics/series", null).statusCode()).isEqualTo(200);

    for (String[] bad : new String[][] {
      {"since=yesterday", "since", "must be an integer"},
      {"since=-5", "since", "0 or more"},
      {"from=0", "from", "unknown query parameter"}}) {
      HttpResponse<Buffer> r = call(HttpMethod.GET, "/metrics/series?" + bad[0], null);
      assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
      assertThat(r.getHeader("content-type")).as(bad[0]).startsWith("application/json");
      assertThat(r.bodyAsJsonObject().getString("field")).as(bad[0]).isEqualTo(bad[1]);
      assertThat(r.bodyAsJsonObject().getString("error")).as(bad[0]).contains(bad[2]);
    }
  }

  @Test
  void the_dead_letters_route_refuses_bad_query_parameters_with_400_json() throws Exception {
    HttpResponse<Buffer> unknown = call(HttpMethod.GET, "/tasks/deadletters?state=failed", null);
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.bodyAsJsonObject().getString("field")).isEqualTo("state");
    HttpResponse<Buffer> limit = call(HttpMethod.GET, "/tasks/deadletters?limit=many", null);
    assertThat(limit.statusCode()).isEqualTo(400);
    assertThat(limit.bodyAsJsonObject().getString("field")).isEqualTo("limit");
    // A good query goes to the tasks module, which this node does not run: not taken for a task id.
    HttpResponse<Buffer> good = call(HttpMethod.GET, "/tasks/deadletters?limit=5", null);
    assertThat(good.statusCode()).isEqualTo(503);
    assertThat(good.bodyAsJsonObject().getString("error")).contains("steward.tasks.deadletters");
  }

  @Test
  void bus_failures_map_to_statuses_with_the_field_named() throws Exception {
    Vertx vertx = node.vertx();
    Endpoint.consumer(vertx, "steward.test.http", msg -> {
      throw StewardException.badRequest("items[3].address", "must be a string");
    }).completion().await(10, TimeUnit.SECONDS);
    Router router = Router.router(vertx);
    router.route().handler(io.vertx.ext.web.handler.BodyHandler.create());
    Forward forward = new Forward(vertx, 2_000);
    router.post("/bad").handler(forward.body("steward.test.http", 200));
    router.get("/nobody").handler(forward.params("steward.test.nobody"));
    // Sent here first (Forward#preferHere): with no consumer here, then to any node's, as for every route.
    router.get("/nobody-here").handler(forward.params(forward.preferHere("steward.test.nobody.here")));
    Endpoint.consumer(vertx, "steward.test.http.here", msg -> new JsonObject().put("here", true)).completion()
      .await(10, TimeUnit.SECONDS);
    router.get("/here").handler(forward.params(forward.preferHere("steward.test.http.here")));
    router.route().failureHandler(HttpErrors::handle);
    var server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    try {
      String base = "http://127.0.0.1:" + server.actualPort();
      HttpResponse<Buffer> bad = client.postAbs(base + "/bad").sendJsonObject(new JsonObject()).await(10, TimeUnit.SECONDS);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.bodyAsJsonObject().getString("field")).isEqualTo("items[3].address");
      assertThat(bad.bodyAsJsonObject().getBoolean("retryable")).isFalse();

      HttpResponse<Buffer> notJson = client.postAbs(base + "/bad").sendBuffer(Buffer.buffer("not json")).await(10, TimeUnit.SECONDS);
      assertThat(notJson.statusCode()).isEqualTo(400);
      assertThat(notJson.bodyAsJsonObject().getString("field")).isEqualTo("body");

      HttpResponse<Buffer> nobody = client.getAbs(base + "/nobody").send().await(10, TimeUnit.SECONDS);
      assertThat(nobody.statusCode()).isEqualTo(503);
      assertThat(nobody.bodyAsJsonObject().getString("error")).contains("no node in the cluster runs the module");
      assertThat(nobody.bodyAsJsonObject().getBoolean("retryable")).isTrue();

      HttpResponse<Buffer> nobodyHere = client.getAbs(base + "/nobody-here").send().await(10, TimeUnit.SECONDS);
      assertThat(nobodyHere.statusCode()).isEqualTo(503);
      assertThat(nobodyHere.bodyAsJsonObject().getString("error")).contains("no node in the cluster runs the module");
      HttpResponse<Buffer> here = client.getAbs(base + "/here").send().await(10, TimeUnit.SECONDS);
      assertThat(here.statusCode()).isEqualTo(200);
      assertThat(here.bodyAsJsonObject().getBoolean("here")).isTrue();
    } finally {
      server.close();
    }
  }

  @Test
  void the_openapi_document_lists_exactly_the_routes_of_the_router() throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/openapi.json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject doc = r.bodyAsJsonObject();
    assertThat(doc.getString("openapi")).startsWith("3.");
    Set<String> documented = new TreeSet<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).fieldNames()
      .forEach(m -> documented.add(m.toUpperCase() + " " + p.getKey())));

    HttpVerticle verticle = new HttpVerticle(HttpConfig.from(node.config().section("http")),
      new Series(new Sampler(io.steward.observe.Metrics.registry(node.vertx())), java.time.Clock.systemUTC()));
    verticle.init(node.vertx(), node.vertx().getOrCreateContext());
    Set<String> routed = new TreeSet<>();
    for (Route route : verticle.router(node.id()).getRoutes()) {
      if (route.getPath() == null || route.methods() == null) {
        continue; // body handler, failure handler
      }
      String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      route.methods().forEach(m -> routed.add(m.name() + " " + path));
    }
    assertThat(routed).isEqualTo(documented);

    // Every $ref points at something the document defines.
    String text = doc.encode();
    var refs = java.util.regex.Pattern.compile("\"\\$ref\":\"#/components/(\\w+)/(\\w+)\"").matcher(text);
    while (refs.find()) {
      assertThat(doc.getJsonObject("components").getJsonObject(refs.group(1)).containsKey(refs.group(2)))
        .as("$ref %s/%s", refs.group(1), refs.group(2)).isTrue();
    }
  }
}
