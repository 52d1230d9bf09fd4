package io.steward.http;

import io.steward.edge.BridgeMeters;
import io.steward.node.StewardNode;
import io.steward.testing.Certificates;
import io.steward.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Tokens on the HTTP API and the SockJS bridge's permissions, on real nodes. The bridge is driven by the
 * official npm client ({@code @vertx/eventbus-bridge-client.js} over {@code sockjs-client}) in a Node.js
 * process: {@code src/test/js/sockjs-bridge.js}. Node {@code guarded} has tokens and permissions; node
 * {@code open} has neither (the defaults) and serves HTTPS.
 */
class HttpSecurityTest {

  static final String TOKEN = "http-test-token-0123456789abcdef";
  static final String OTHER_TOKEN = "http-test-token-second-012345678";
  static final Path JS = Path.of("src/test/js");

  private static TestCluster cluster;
  private static StewardNode guarded;
  private static StewardNode open;
  private static String guardedUrl;
  private static String openUrl;
  private static WebClient client;
  private static Certificates certificate;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(HttpSecurityTest.class, 2);
    JsonObject http = new JsonObject()
      .put("tokens", new JsonArray().add(TOKEN).add(OTHER_TOKEN))
      .put("bridgeInbound", new JsonArray().add("steward.test.echo").add(new JsonObject().put("addressRegex", "steward\\.test\\.trig.*")))
      .put("bridgeOutbound", new JsonArray().add(new JsonObject().put("address", "steward.test.news")));
    guarded = cluster.start(List.of("http"), new JsonObject().put("http", http)).await(60, TimeUnit.SECONDS);
    certificate = Certificates.create(Files.createTempDirectory("steward-https"), "open");
    open = cluster.start(List.of("http"), new JsonObject().put("http", new JsonObject()
      .put("keyStore", certificate.keyStore()).put("keyStorePassword", Certificates.PASSWORD))).await(60, TimeUnit.SECONDS);
    guardedUrl = TestCluster.httpUrl(guarded).await(10, TimeUnit.SECONDS);
    openUrl = TestCluster.httpUrl(open).await(10, TimeUnit.SECONDS);
    Vertx vertx = guarded.vertx();
    vertx.eventBus().consumer("steward.test.echo", msg -> {
      JsonObject headers = new JsonObject();
      msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
      msg.reply(new JsonObject().put("body", msg.body()).put("headers", headers));
    }).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().consumer("steward.test.trigger", msg -> {
      // The secret goes first: were its registration let through, it would reach the client before the news.
      vertx.eventBus().publish("steward.test.secret", new JsonObject().put("secret", true));
      vertx.eventBus().publish("steward.test.news", new JsonObject().put("news", "hello"));
    }).completion().await(10, TimeUnit.SECONDS);
    client = WebClient.create(vertx, new WebClientOptions()
      .setTrustOptions(new PfxOptions().setPath(certificate.trustStore()).setPassword(Certificates.PASSWORD)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static HttpResponse<Buffer> get(String url, String token) throws Exception {
    var request = client.getAbs(url);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return request.send().await(20, TimeUnit.SECONDS);
  }

  @Test
  void http_routes_need_a_valid_token_except_health() throws Exception {
    HttpResponse<Buffer> none = get(guardedUrl + "/nodes", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.getHeader("WWW-Authenticate")).startsWith("Bearer");
    assertThat(none.bodyAsJsonObject().getInteger("code")).isEqualTo(401);
    assertThat(none.bodyAsJsonObject().getString("error")).startsWith("no token");

    HttpResponse<Buffer> wrong = get(guardedUrl + "/nodes", TOKEN.substring(1));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.bodyAsJsonObject().getString("error")).startsWith("an invalid token");
    assertThat(get(guardedUrl + "/nodes?token=" + TOKEN, null).statusCode())
      .as("a query token is for the bridge only").isEqualTo(401);

    assertThat(get(guardedUrl + "/nodes", TOKEN).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/openapi.json", OTHER_TOKEN).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/no/such/route", TOKEN).statusCode()).isEqualTo(404);
    assertThat(get(guardedUrl + "/no/such/route", null).statusCode()).as("no route map for strangers").isEqualTo(401);
    assertThat(get(guardedUrl + "/health", null).statusCode()).isEqualTo(200);

    assertThat(get(guardedUrl + "/eventbus/info", null).statusCode()).isEqualTo(401);
    assertThat(get(guardedUrl + "/eventbus/info?token=" + TOKEN, null).statusCode()).isEqualTo(200);

    assertThat(openUrl).startsWith("https://");
    assertThat(get(openUrl + "/nodes", null).statusCode()).as("no tokens configured: open").isEqualTo(200);

    String metrics = get(guardedUrl + "/metrics", TOKEN).bodyAsString();
    assertThat(metrics).contains("steward_http_unauthorized_total").contains("steward_bridge_connections{bridge=\"sockjs\"");
  }

  @Test
  void the_dashboard_files_need_no_token_but_the_api_behind_them_does() throws Exception {
    HttpResponse<Buffer> page = get(guardedUrl + "/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.getHeader("content-type")).startsWith("text/html");
    assertThat(page.bodyAsString()).contains("<title>Steward</title>").contains("/dashboard/app.js");
    assertThat(page.getHeader("Content-Security-Policy")).contains("default-src 'self'").contains("frame-ancestors 'none'");
    assertThat(page.getHeader("Cache-Control")).isEqualTo("no-cache");
    assertThat(page.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(get(guardedUrl + "/dashboard/app.js", null).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/dashboard/vendor/sockjs.min.js", null).bodyAsString()).contains("sockjs-client v1.6.1");
    assertThat(get(guardedUrl + "/dashboard/vendor/LICENSE-sockjs-client.txt", null).bodyAsString()).contains("MIT License");
    JsonObject settings = get(guardedUrl + "/dashboard/settings.json", null).bodyAsJsonObject();
    assertThat(settings.getBoolean("tokenRequired")).isTrue();
    assertThat(settings.getString("bridge")).isEqualTo("/eventbus");
    assertThat(get(openUrl + "/dashboard/settings.json", null).bodyAsJsonObject().getBoolean("tokenRequired")).isFalse();
    // Nothing else under /dashboard/ is open: no directory listing, no other route.
    assertThat(get(guardedUrl + "/dashboard/", null).statusCode()).isEqualTo(401);
    assertThat(get(guardedUrl + "/dashboard/nothing-here", null).statusCode()).isEqualTo(401);
    assertThat(get(guardedUrl + "/dashboard/nothing-here", TOKEN).statusCode()).isEqualTo(404);
    assertThat(get(guardedUrl + "/nodes", null).statusCode()).isEqualTo(401);
    // The charts' files are open; their data (this node's samples) and the dead letters need the token.
    assertThat(get(guardedUrl + "/dashboard/charts.js", null).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/dashboard/vendor/uPlot.iife.min.js", null).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/dashboard/vendor/LICENSE-uplot.txt", null).bodyAsString()).contains("MIT License");
    assertThat(get(guardedUrl + "/metrics/series", null).statusCode()).isEqualTo(401);
    assertThat(get(guardedUrl + "/metrics/series", TOKEN).statusCode()).isEqualTo(200);
    assertThat(get(guardedUrl + "/tasks/deadletters", null).statusCode()).isEqualTo(401);
  }

  @Test
  void the_sockjs_bridge_needs_the_token() throws Exception {
    double before = BridgeMeters.of(guarded.vertx(), "sockjs").refusals(BridgeMeters.TOKEN);
    assertThat(node(guardedUrl + "/eventbus", "connect")).first().satisfies(l -> assertThat(l.getString("event")).isEqualTo("closed"));
    assertThat(node(guardedUrl + "/eventbus?token=nope-nope-nope-nope", "connect")).first()
      .satisfies(l -> assertThat(l.getString("event")).isEqualTo("closed"));
    JsonObject opened = node(guardedUrl + "/eventbus?token=" + OTHER_TOKEN, "connect").get(0);
    assertThat(opened.getString("event")).isEqualTo("open");
    assertThat(opened.getString("transport")).as("the WebSocket upgrade carried the token too").isEqualTo("websocket");
    assertThat(BridgeMeters.of(guarded.vertx(), "sockjs").refusals(BridgeMeters.TOKEN)).isGreaterThanOrEqualTo(before + 2);
  }

  @Test
  void the_sockjs_bridge_lets_permitted_addresses_through_and_refuses_the_rest() throws Exception {
    BridgeMeters meters = BridgeMeters.of(guarded.vertx(), "sockjs");
    double inboundBefore = meters.refusals(BridgeMeters.INBOUND);
    double outboundBefore = meters.refusals(BridgeMeters.OUTBOUND);
    double malformedBefore = meters.refusals(BridgeMeters.MALFORMED_FRAME);
    List<JsonObject> lines = node(guardedUrl + "/eventbus?token=" + TOKEN, "permissions");

    JsonObject permitted = step(lines, "send-permitted");
    assertThat(permitted.getBoolean("ok")).isTrue();
    assertThat(permitted.getJsonObject("body").getJsonObject("body").getInteger("n")).isEqualTo(1);
    JsonObject headers = permitted.getJsonObject("body").getJsonObject("headers");
    assertThat(headers.getString("trace")).isEqualTo("t1");
    assertThat(headers.containsKey("token")).as("a token never travels on the bus").isFalse();

    JsonObject forbidden = step(lines, "send-forbidden");
    assertThat(forbidden.getBoolean("ok")).isFalse();
    assertThat(forbidden.getInteger("failureCode")).isEqualTo(403);
    assertThat(forbidden.getString("message")).contains("steward.test.forbidden").contains("http.bridgeInbound");

    assertThat(step(lines, "news-received").getJsonObject("body").getString("news")).isEqualTo("hello");
    assertThat(lines).noneMatch(l -> "secret-received".equals(l.getString("step")));
    JsonObject refused = step(lines, "secret-refused");
    assertThat(refused.getInteger("failureCode")).as("the handler of a refused registration hears why").isEqualTo(403);
    assertThat(refused.getString("message")).contains("steward.test.secret").contains("http.bridgeOutbound");
    assertThat(step(lines, "send-permitted-again").getBoolean("ok")).isTrue();

    // The library's answer to each refused frame: the forbidden send, the forbidden publish, the malformed
    // frame, the forbidden register.
    JsonArray errors = step(lines, "errors").getJsonArray("errors");
    assertThat(errors).hasSize(4);
    errors.forEach(e -> assertThat(((JsonObject) e).getString("body")).isEqualTo("rejected"));

    assertThat(meters.refusals(BridgeMeters.INBOUND)).isEqualTo(inboundBefore + 2);
    assertThat(meters.refusals(BridgeMeters.OUTBOUND)).isEqualTo(outboundBefore + 1);
    assertThat(meters.refusals(BridgeMeters.MALFORMED_FRAME)).isEqualTo(malformedBefore + 1);
  }

  @Test
  void with_empty_permission_lists_the_sockjs_bridge_lets_nothing_through_also_over_https() throws Exception {
    List<JsonObject> lines = node(openUrl + "/eventbus", "empty");
    JsonObject send = step(lines, "send");
    assertThat(send.getBoolean("ok")).isFalse();
    assertThat(send.getInteger("failureCode")).isEqualTo(403);
    assertThat(step(lines, "errors").getJsonArray("errors")).hasSize(3);
    assertThat(lines).noneMatch(l -> "received-unexpectedly".equals(l.getString("step")));
    assertThat(step(lines, "register-refused").getInteger("failureCode")).isEqualTo(403);
    BridgeMeters meters = BridgeMeters.of(open.vertx(), "sockjs");
    assertThat(meters.refusals(BridgeMeters.INBOUND)).isGreaterThanOrEqualTo(2);
    assertThat(meters.refusals(BridgeMeters.OUTBOUND)).isGreaterThanOrEqualTo(1);
  }

  private static JsonObject step(List<JsonObject> lines, String step) {
    return lines.stream().filter(l -> step.equals(l.getString("step"))).findFirst()
      .orElseThrow(() -> new AssertionError("no step '" + step + "' in the Node client's output: " + lines));
  }

  /** Runs {@code node src/test/js/sockjs-bridge.js <url> <scenario>} and returns its output lines. */
  static List<JsonObject> node(String url, String scenario) throws Exception {
    if (!Files.isDirectory(JS.resolve("node_modules/@vertx/eventbus-bridge-client.js"))) {
      fail("The Node.js test client is not installed: run `npm ci` in " + JS.toAbsolutePath()
        + " (.ci/run does it before `mvn -B verify`)");
    }
    File stdout = File.createTempFile("sockjs-bridge", ".out");
    File stderr = File.createTempFile("sockjs-bridge", ".err");
    try {
      ProcessBuilder builder = new ProcessBuilder("node", "sockjs-bridge.js", url, scenario)
        .directory(JS.toFile()).redirectOutput(stdout).redirectError(stderr);
      // Node trusts the HTTPS node's self-signed certificate, and nothing more.
      builder.environment().put("NODE_EXTRA_CA_CERTS", certificate.pem());
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("the Node.js client did not finish in 60 s; output: " + Files.readString(stdout.toPath())
          + " errors: " + Files.readString(stderr.toPath()));
      }
      String out = Files.readString(stdout.toPath());
      String err = Files.readString(stderr.toPath());
      assertThat(process.exitValue()).as("node exit code; stdout:\n%s\nstderr:\n%s", out, err).isZero();
      List<JsonObject> lines = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          lines.add(new JsonObject(line));
        }
      }
      assertThat(lines).as("stderr:\n%s", err).noneMatch(l -> l.containsKey("event") && !"open".equals(l.getString("event"))
        && !"closed".equals(l.getString("event")));
      return lines;
    } finally {
      Files.deleteIfExists(stdout.toPath());
      Files.deleteIfExists(stderr.toPath());
    }
  }
}
