package io.steward.bridge;

import ch.qos.logback.classic.Level;
import io.steward.bus.Addresses;
import io.steward.edge.BridgeMeters;
import io.steward.node.StewardNode;
import io.steward.testing.Certificates;
import io.steward.testing.FramedClient;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TCP event-bus bridge on real nodes, driven by a client speaking the framed JSON protocol over a real
 * socket. Node {@code guarded} has tokens and permissions; node {@code gateway} runs nothing but the bridge,
 * with the default (empty) permissions, over TLS.
 */
class TcpBridgeTest {

  static final String TOKEN = "tcp-test-token-0123456789abcdef";
  static final String OTHER_TOKEN = "tcp-test-token-second-0123456789";
  static final int MAX_FRAME = 65_536;
  static final int MAX_CONNECTIONS = 6;

  private static TestCluster cluster;
  private static StewardNode guarded;
  private static StewardNode gateway;
  private static String guardedUrl;
  private static String gatewayUrl;
  private static Certificates certificate;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(TcpBridgeTest.class, 2);
    JsonObject bridge = new JsonObject()
      .put("port", 0)
      .put("tokens", new JsonArray().add(TOKEN).add(OTHER_TOKEN))
      .put("inbound", new JsonArray().add("steward.test.echo").add(new JsonObject().put("addressRegex", "steward\\.test\\.trig.*")))
      .put("outbound", new JsonArray().add(new JsonObject().put("address", "steward.test.news")))
      .put("maxFrameBytes", MAX_FRAME)
      .put("maxConnections", MAX_CONNECTIONS);
    guarded = cluster.start(List.of("bridge"), new JsonObject().put("bridge", bridge)).await(60, TimeUnit.SECONDS);
    certificate = Certificates.create(Files.createTempDirectory("steward-bridge-tls"), "gateway");
    gateway = cluster.start(List.of("bridge"), new JsonObject().put("bridge", new JsonObject().put("port", 0)
        .put("keyStore", certificate.keyStore()).put("keyStorePassword", Certificates.PASSWORD)))
      .await(60, TimeUnit.SECONDS);
    Vertx vertx = guarded.vertx();
    vertx.eventBus().<Object>consumer("steward.test.echo", msg -> {
      JsonObject headers = new JsonObject();
      msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
      msg.reply(new JsonObject().put("body", msg.body()).put("headers", headers));
    }).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().consumer("steward.test.trigger", msg -> {
      // The secret goes first: were its registration let through, it would reach the client before the news.
      vertx.eventBus().publish("steward.test.secret", new JsonObject().put("secret", true));
      vertx.eventBus().publish("steward.test.news", new JsonObject().put("news", "hello"));
    }).completion().await(10, TimeUnit.SECONDS);
    guardedUrl = url(guarded);
    gatewayUrl = url(gateway);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  static String url(StewardNode node) throws Exception {
    return node.vertx().eventBus().request(Addresses.moduleHealth(node.id(), "bridge"), new JsonObject(),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000))
      .map(r -> ((JsonObject) r.body()).getString("url")).await(10, TimeUnit.SECONDS);
  }

  static double refusals(StewardNode node, String reason) {
    return BridgeMeters.of(node.vertx(), "tcp").refusals(reason);
  }

  @Test
  void a_client_that_resets_its_connection_after_its_reply_makes_no_error_line() throws Exception {
    BridgeMeters meters = BridgeMeters.of(guarded.vertx(), "tcp");
    try (LogCapture log = LogCapture.open()) {
      int open = meters.connections();
      FramedClient c = new FramedClient(guardedUrl);
      assertThat(c.send(FramedClient.request("steward.test.echo", 1, TOKEN, "r1")).read().getString("type"))
        .isEqualTo("message");
      c.reset();
      Poll.until(guarded.vertx(), "the bridge to close the reset connection", 20_000,
        () -> Future.succeededFuture(meters.connections() <= open)).await(30, TimeUnit.SECONDS);
      assertThat(log.atLeast(Level.ERROR)).as("ERROR lines: %s", log.messages()).isEmpty();
      assertThat(log.messages()).noneMatch(m -> m.contains("Exception") && m.startsWith("ERROR"));
    }
    // The one line it may cause is a WARN (rate-limited, no stack trace): see logback.xml, spi/LibraryLogs.
    assertThat(new String(TcpBridgeTest.class.getResourceAsStream("/logback.xml").readAllBytes()))
      .contains("io.steward.spi.LibraryLogs");
  }

  @Test
  void an_address_with_control_characters_is_logged_on_one_line_with_escapes() throws Exception {
    String address = "steward.test.forbidden\n2026-01-01T00:00:00Z ERROR [main] i.s.Forged - fake\r\u001b[31m";
    try (LogCapture log = LogCapture.open(); FramedClient c = new FramedClient(guardedUrl)) {
      // Refusals are logged once per 10 s per reason: ask until this address's refusal is the one logged.
      long deadline = System.currentTimeMillis() + 30_000;
      boolean logged = false;
      while (!logged && System.currentTimeMillis() < deadline) {
        assertThat(c.send(FramedClient.request(address, 1, TOKEN, "r1")).read().getInteger("failureCode")).isEqualTo(403);
        c.read(); // "blocked by bridgeEvent handler"
        logged = log.await(m -> m.contains("i.s.Forged"), 1_000);
      }
      assertThat(logged).as("a refusal of the forged address logged within 30 s").isTrue();
      String line = log.messages().stream().filter(m -> m.contains("i.s.Forged")).findFirst().orElseThrow();
      assertThat(line).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u001b")
        .contains("forbidden\\n2026-01-01T00:00:00Z ERROR").contains("fake\\r\\u001b[31m");
    }
  }

  @Test
  void a_permitted_request_is_answered_and_a_forbidden_one_is_refused_at_once() throws Exception {
    double before = refusals(guarded, BridgeMeters.INBOUND);
    try (FramedClient c = new FramedClient(guardedUrl)) {
      JsonObject reply = c.send(FramedClient.request("steward.test.echo", new JsonObject().put("n", 1), TOKEN, "r1")).read();
      assertThat(reply.getString("type")).isEqualTo("message");
      assertThat(reply.getString("address")).isEqualTo("r1");
      assertThat(reply.getJsonObject("body").getJsonObject("body").getInteger("n")).isEqualTo(1);
      assertThat(reply.getJsonObject("body").getJsonObject("headers").containsKey("token"))
        .as("the token never travels on the bus").isFalse();

      c.send(FramedClient.request("steward.test.forbidden", new JsonObject(), TOKEN, "r2"));
      JsonObject refused = c.read();
      assertThat(refused.getString("type")).isEqualTo("err");
      assertThat(refused.getString("address")).isEqualTo("r2");
      assertThat(refused.getInteger("failureCode")).isEqualTo(403);
      assertThat(refused.getString("message")).contains("steward.test.forbidden").contains("bridge.inbound");
      assertThat(c.read().getString("message")).isEqualTo("blocked by bridgeEvent handler");

      c.send(FramedClient.frame("publish", "steward.test.forbidden", TOKEN).put("body", "x"));
      assertThat(c.read().getString("type")).isEqualTo("err");
      // The regex rule lets the trigger through (it answers nothing), and the connection still works.
      c.send(FramedClient.frame("publish", "steward.test.trigger", TOKEN).put("body", "x"));
      assertThat(c.send(FramedClient.request("steward.test.echo", 2, TOKEN, "r3")).read().getString("address")).isEqualTo("r3");
    }
    assertThat(refusals(guarded, BridgeMeters.INBOUND)).isEqualTo(before + 2);
  }

  @Test
  void a_client_receives_from_a_permitted_address_and_cannot_register_a_forbidden_one() throws Exception {
    double before = refusals(guarded, BridgeMeters.OUTBOUND);
    try (FramedClient c = new FramedClient(guardedUrl)) {
      c.send(FramedClient.frame("register", "steward.test.secret", TOKEN));
      assertThat(c.read().getString("message")).isEqualTo("blocked by bridgeEvent handler");
      c.send(FramedClient.frame("register", "steward.test.news", TOKEN));
      // Registration completes asynchronously: trigger (pacing with ping round trips) until the news arrives.
      JsonObject received = null;
      long deadline = System.currentTimeMillis() + 15_000;
      while (received == null && System.currentTimeMillis() < deadline) {
        c.send(FramedClient.frame("publish", "steward.test.trigger", TOKEN).put("body", 1));
        c.send(new JsonObject().put("type", "ping"));
        for (JsonObject f = c.read(); !"pong".equals(f.getString("type")); f = c.read()) {
          assertThat(f.getString("type")).as("frame %s", f).isEqualTo("message");
          if (received == null) {
            received = f;
          }
        }
      }
      assertThat(received).as("a published message on the permitted address").isNotNull();
      assertThat(received.getString("address")).isEqualTo("steward.test.news");
      assertThat(received.getJsonObject("body").getString("news")).isEqualTo("hello");
    }
    assertThat(refusals(guarded, BridgeMeters.OUTBOUND)).isEqualTo(before + 1);
  }

  @Test
  void frames_without_a_valid_token_are_refused_and_either_token_works() throws Exception {
    double before = refusals(guarded, BridgeMeters.TOKEN);
    try (FramedClient c = new FramedClient(guardedUrl)) {
      JsonObject none = c.send(FramedClient.request("steward.test.echo", 1, null, "a")).read();
      assertThat(none.getInteger("failureCode")).isEqualTo(401);
      assertThat(none.getString("message")).startsWith("no token");
      assertThat(c.read().getString("type")).isEqualTo("err");

      JsonObject wrong = c.send(FramedClient.request("steward.test.echo", 1, TOKEN + "x", "b")).read();
      assertThat(wrong.getInteger("failureCode")).isEqualTo(401);
      assertThat(wrong.getString("message")).startsWith("an invalid token");
      assertThat(c.read().getString("type")).isEqualTo("err");

      c.send(FramedClient.frame("register", "steward.test.news", null));
      assertThat(c.read().getString("message")).isEqualTo("blocked by bridgeEvent handler");

      assertThat(c.send(FramedClient.request("steward.test.echo", 1, OTHER_TOKEN, "c")).read().getString("type")).isEqualTo("message");
    }
    assertThat(refusals(guarded, BridgeMeters.TOKEN)).isEqualTo(before + 3);
  }

  @Test
  void with_empty_permission_lists_nothing_passes_also_over_tls() throws Exception {
    assertThat(gatewayUrl).startsWith("tls://");
    try (FramedClient c = new FramedClient(gatewayUrl, certificate.clientContext())) {
      JsonObject refused = c.send(FramedClient.request("steward.test.echo", 1, null, "x")).read();
      assertThat(refused.getInteger("failureCode")).isEqualTo(403);
      assertThat(c.read().getString("message")).isEqualTo("blocked by bridgeEvent handler");
      for (String type : List.of("publish", "send", "register", "unregister")) {
        c.send(FramedClient.frame(type, "steward.test.echo", null).put("body", 1));
        assertThat(c.read().getString("message")).as(type).isEqualTo("blocked by bridgeEvent handler");
      }
      assertThat(c.send(new JsonObject().put("type", "ping")).read().getString("type")).isEqualTo("pong");
    }
    assertThat(refusals(gateway, BridgeMeters.INBOUND)).isGreaterThanOrEqualTo(3);
    assertThat(refusals(gateway, BridgeMeters.OUTBOUND)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void a_frame_announcing_two_gigabytes_is_refused_at_once_and_the_node_stays_healthy() throws Exception {
    double before = refusals(guarded, BridgeMeters.FRAME_TOO_LARGE);
    try (FramedClient c = new FramedClient(guardedUrl)) {
      JsonObject err = c.sendHeader(0x8000_0000L).read();
      assertThat(err.getString("type")).isEqualTo("err");
      assertThat(err.getString("message")).startsWith("frame of 2147483648 bytes exceeds bridge.maxFrameBytes " + MAX_FRAME);
      assertThat(c.closedByServer()).isTrue();
    }
    try (FramedClient c = new FramedClient(guardedUrl)) {
      assertThat(c.sendHeader(MAX_FRAME + 1).read().getString("message"))
        .startsWith("frame of " + (MAX_FRAME + 1) + " bytes exceeds");
      assertThat(c.closedByServer()).isTrue();
    }
    // A frame of exactly the limit passes.
    try (FramedClient c = new FramedClient(guardedUrl)) {
      JsonObject frame = FramedClient.request("steward.test.echo", new JsonObject().put("pad", ""), TOKEN, "big");
      int pad = MAX_FRAME - frame.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      frame.getJsonObject("body").put("pad", "x".repeat(pad));
      assertThat(frame.encode().length()).isEqualTo(MAX_FRAME);
      JsonObject reply = c.send(frame).read();
      assertThat(reply.getString("address")).isEqualTo("big");
      assertThat(reply.getJsonObject("body").getJsonObject("body").getString("pad")).hasSize(pad);
    }
    assertThat(refusals(guarded, BridgeMeters.FRAME_TOO_LARGE)).isEqualTo(before + 2);
    JsonObject health = (JsonObject) guarded.vertx().eventBus()
      .request(Addresses.node(guarded.id(), Addresses.Nodes.HEALTH), new JsonObject()).await(10, TimeUnit.SECONDS).body();
    assertThat(health.getString("status")).isEqualTo("UP");
    assertThat(health.getJsonObject("modules").getJsonObject("bridge").getString("status")).isEqualTo("UP");
  }

  @Test
  void malformed_frames_are_answered_with_an_err_frame_and_skipped() throws Exception {
    double before = refusals(guarded, BridgeMeters.MALFORMED_FRAME);
    List<String> bad = List.of(
      "this is not json",
      "[1,2,3]",
      "{\"address\":\"steward.test.echo\"}",
      "{\"type\":\"message\",\"address\":\"steward.test.echo\"}",
      "{\"type\":\"send\",\"body\":1}",
      "{\"type\":\"send\",\"address\":\"steward.test.echo\",\"headers\":{\"x\":1}}",
      "{\"type\":\"send\",\"address\":\"steward.test.echo\",\"headers\":{\"codecName\":\"x\"}}",
      "");
    List<String> messages = new ArrayList<>();
    try (FramedClient c = new FramedClient(guardedUrl)) {
      for (String text : bad) {
        JsonObject err = c.sendText(text).read();
        assertThat(err.getString("type")).as(text).isEqualTo("err");
        messages.add(err.getString("message"));
      }
      assertThat(c.send(FramedClient.request("steward.test.echo", 1, TOKEN, "after")).read().getString("address"))
        .as("the connection is still usable").isEqualTo("after");
    }
    assertThat(messages.get(0)).startsWith("frame is not valid JSON");
    assertThat(messages.get(1)).isEqualTo("frame must be a JSON object, got JsonArray");
    assertThat(messages.get(2)).startsWith("frame has no type");
    assertThat(messages.get(3)).startsWith("type: unknown frame type 'message'");
    assertThat(messages.get(4)).startsWith("address: a send frame needs");
    assertThat(messages.get(5)).isEqualTo("headers.x: must be a string");
    assertThat(messages.get(6)).startsWith("headers.codecName: not allowed");
    assertThat(messages.get(7)).startsWith("frame is not valid JSON");
    assertThat(refusals(guarded, BridgeMeters.MALFORMED_FRAME)).isEqualTo(before + bad.size());
  }

  @Test
  void connections_are_counted_and_capped() throws Exception {
    BridgeMeters meters = BridgeMeters.of(guarded.vertx(), "tcp");
    Poll.until(guarded.vertx(), "earlier connections closed", 10_000, () -> Future.succeededFuture(meters.connections() == 0))
      .await(15, TimeUnit.SECONDS);
    List<FramedClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_CONNECTIONS; i++) {
        FramedClient c = new FramedClient(guardedUrl);
        open.add(c);
        assertThat(c.send(new JsonObject().put("type", "ping")).read().getString("type")).isEqualTo("pong");
      }
      assertThat(meters.connections()).isEqualTo(MAX_CONNECTIONS);
      try (FramedClient extra = new FramedClient(guardedUrl)) {
        assertThat(extra.read().getString("message")).startsWith("too many connections");
        assertThat(extra.closedByServer()).isTrue();
      }
      assertThat(meters.refusals(BridgeMeters.CONNECTION_LIMIT)).isGreaterThanOrEqualTo(1);
    } finally {
      for (FramedClient c : open) {
        c.close();
      }
    }
    Poll.until(guarded.vertx(), "connections closed", 10_000, () -> Future.succeededFuture(meters.connections() == 0))
      .await(15, TimeUnit.SECONDS);
  }
}
