package io.steward.reliability;

import io.steward.bus.Addresses;
import io.steward.testing.BridgeTap;
import io.steward.testing.Bus;
import io.steward.testing.FramedClient;
import io.steward.testing.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 6 of the reliability suite (issue 9): bad input on every door.
 *
 * <p>Three nodes run every module, with both bridges open to every {@code steward.*} address. A seeded corpus
 * ({@link BadInputs}; {@code -DbadInput.seed=} replays another) is fed to every address on the bus (cluster-wide
 * ones, every node's own ones, and published onto the event addresses), every route of {@code /openapi.json}
 * (bodies, path and query parameters, a wrong method), the TCP bridge (bad bodies to every address, malformed
 * frames, an oversized frame) and the SockJS bridge (the same, over its raw WebSocket). Expected: a clear error for
 * each (a 4xx with a message; see {@link Tally}), no ERROR line in any node's log, every node healthy and every door
 * still answering a good request.
 */
class BadInputIT {

  private static final long SEED = Long.getLong("badInput.seed", 20_261_125L);
  /** Cases per target (address, route, ...). */
  private static final int CASES = Soak.scale(8, 48);
  private static final String OPEN = new JsonArray().add(new JsonObject().put("addressRegex", "steward\\..+")).encode();

  @Test
  void every_door_answers_bad_input_with_a_clear_error_logs_no_error_and_stays_healthy() throws Exception {
    Map<String, String> env = Map.of(
      "STEWARD_MODULES", "http,tasks,fanout,schedule,cache,bridge,workflows",
      "STEWARD_CACHE_CACHES", "{\"data\": {}}",
      "STEWARD_BRIDGE_PORT", "0",
      "STEWARD_BRIDGE_INBOUND", OPEN,
      "STEWARD_BRIDGE_OUTBOUND", OPEN,
      "STEWARD_HTTP_BRIDGE_INBOUND", OPEN,
      "STEWARD_HTTP_BRIDGE_OUTBOUND", OPEN);
    try (Rig rig = Rig.start(BadInputIT.class, 3, env)) {
      Tally tally = new Tally();
      List<String> nodeIds = new ArrayList<>();
      for (NodeProcess n : rig.nodes) {
        nodeIds.add(rig.nodeId(n));
      }
      Targets targets = Targets.of(nodeIds);
      long start = System.currentTimeMillis();
      int published = bus(rig, targets, tally);
      http(rig, tally);
      tcp(rig, targets, tally);
      AtomicReference<String> oversized = new AtomicReference<>();
      sockJs(rig, targets, tally, oversized);
      long fedMs = System.currentTimeMillis() - start;

      // Every door still answers a good request, on every node.
      boolean goodAfter = true;
      for (NodeProcess n : rig.nodes) {
        goodAfter &= n.get("/nodes").status() == 200;
      }
      JsonObject listed = rig.bus.<JsonObject>request(Addresses.Nodes.LIST, new JsonObject(), 10_000).await(15, TimeUnit.SECONDS);
      goodAfter &= listed.getInteger("count") == 3;
      try (FramedClient s = new FramedClient("tcp://127.0.0.1:" + BridgeTap.bridgePort(rig.nodes.get(0)))) {
        s.send(new JsonObject().put("type", "send").put("address", Addresses.Nodes.LIST).put("body", new JsonObject())
          .put("replyAddress", "good"));
        goodAfter &= "message".equals(s.read().getString("type"));
      }

      List<String> unclear = tally.unclear();
      Verdict v = Verdict.of("bad-input")
        .figure("seed", SEED)
        .figure("cases", tally.cases())
        .figure("clear errors", tally.clear())
        .figure("valid after all", tally.validAfterAll())
        .figure("unclear", unclear.size())
        .figure("by door cases/clear/valid/unclear", tally.byDoor())
        .figure("published onto event addresses", published)
        .figure("SockJS message over the limit", oversized.get())
        .figure("fed in ms", fedMs);
      unclear.stream().limit(8).forEach(u -> v.note("unclear: " + u));
      java.nio.file.Path all = java.nio.file.Path.of(System.getProperty("test.steward.logs", "target/test-logs"))
        .getParent().resolve("reliability").resolve("bad-input-unclear.txt");
      java.nio.file.Files.createDirectories(all.getParent());
      java.nio.file.Files.write(all, unclear);
      if (!unclear.isEmpty()) {
        v.note("all " + unclear.size() + " in " + all);
      }
      v.check(unclear.isEmpty(), unclear.size() + " bad inputs without a clear error")
        .check(rig.allHealthy() && rig.alive().size() == 3, "a node is not healthy")
        .check(goodAfter, "a door no longer answers a good request");
      strictLogCheck(v, rig.nodes);
      assertThat(v.report()).as("failed checks of the verdict (line above)").isEmpty();
    }
  }

  /** Every address: cluster-wide, per node and events, from {@link Addresses} by reflection (so a new one is fed too). */
  record Targets(List<String> requests, List<String> events, List<String> nodeLocal) {
    static Targets of(List<String> nodeIds) throws IllegalAccessException {
      List<String> requests = new ArrayList<>();
      List<String> events = new ArrayList<>();
      List<String> nodeLocal = new ArrayList<>();
      for (Class<?> c : Addresses.class.getDeclaredClasses()) {
        for (Field f : c.getDeclaredFields()) {
          if (!Modifier.isStatic(f.getModifiers()) || f.getType() != String.class) {
            continue;
          }
          String value = (String) f.get(null);
          if (value.endsWith(".events")) {
            events.add(value);
          } else if (value.startsWith(Addresses.PREFIX)) {
            requests.add(value);
          } else {
            for (String id : nodeIds) {
              nodeLocal.add(Addresses.node(id, value));
            }
          }
        }
      }
      return new Targets(requests, events, nodeLocal);
    }

    List<String> all() {
      List<String> all = new ArrayList<>(requests);
      all.addAll(nodeLocal);
      return all;
    }
  }

  // ---------------------------------------------------------------- the event bus

  private static int bus(Rig rig, Targets targets, Tally tally) throws Exception {
    BadInputs corpus = new BadInputs(SEED, 2_000_000);
    List<String> addresses = targets.all();
    List<BadInputs.Case> cases = new ArrayList<>();
    for (int i = 0; i < addresses.size() * CASES; i++) {
      cases.add(corpus.next(i));
    }
    Window.run(cases.size(), 16, i -> {
      String address = addresses.get(i / CASES);
      BadInputs.Case c = cases.get(i);
      return rig.bus.request(address, c.body(), 15_000)
        .onSuccess(r -> tally.record("bus", address, c, 0, null))
        .onFailure(err -> tally.record("bus", address, c, Bus.code(err), err.getMessage()));
    }).await(300, TimeUnit.SECONDS);
    int published = 0;
    for (String address : targets.events()) {
      for (int i = 0; i < CASES; i++) {
        rig.client.eventBus().publish(address, corpus.next(i).body());
        published++;
      }
    }
    return published;
  }

  // ---------------------------------------------------------------- HTTP

  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

  private static void http(Rig rig, Tally tally) {
    NodeProcess first = rig.nodes.get(0);
    JsonObject doc = first.get("/openapi.json").json();
    BadInputs corpus = new BadInputs(SEED + 1, 1_500_000); // over http.bodyLimitBytes half the time: 413
    Random random = new Random(SEED + 2);
    AtomicInteger turn = new AtomicInteger();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!List.of("get", "post", "put", "delete").contains(method)) {
          continue;
        }
        JsonObject op = item.getJsonObject(method);
        boolean hasBody = op.containsKey("requestBody");
        List<String> query = new ArrayList<>();
        for (Object p : op.getJsonArray("parameters", new JsonArray())) {
          JsonObject param = (JsonObject) p;
          if ("query".equals(param.getString("in"))) {
            query.add(param.getString("name"));
          }
        }
        String target = method.toUpperCase() + " " + path;
        String goodPath = fill(path, name -> name.equals("name") ? "data" : "k1");
        if (hasBody) {
          boolean optionalBody = !op.getJsonObject("requestBody").getBoolean("required", false);
          for (int i = 0; i < CASES; i++) {
            BadInputs.Case c = corpus.next(i);
            byte[] bytes = c.body() instanceof Buffer b ? b.getBytes() : c.text().getBytes(StandardCharsets.UTF_8);
            // Where the OpenAPI says the body is optional, an empty body is a valid request, not a bad one.
            boolean valid = optionalBody && bytes.length == 0;
            send(rig, turn, tally, target, valid ? null : c, method, goodPath, bytes);
          }
        }
        if (PARAM.matcher(path).find()) {
          for (int i = 0; i < 3; i++) {
            String garbage = List.of(corpus.string(1 + random.nextInt(24)), "x".repeat(3_000), "..%2F..%2F" + i).get(i);
            String badPath = fill(path, name -> URLEncoder.encode(garbage, StandardCharsets.UTF_8).replace("+", "%20"));
            BadInputs.Case c = new BadInputs.Case(BadInputs.Kind.UNKNOWN_FIELD, garbage, "path parameter");
            send(rig, turn, tally, target, c, method, badPath.startsWith("/") ? badPath : "/" + badPath,
              hasBody ? "{}".getBytes(StandardCharsets.UTF_8) : null);
          }
        }
        if (!query.isEmpty()) {
          for (int i = 0; i < CASES; i++) {
            String name = i % 2 == 0 ? "zz" + i : query.get(random.nextInt(query.size()));
            String value = List.of("-1", "0", "abc", "99999999999999999999", "", corpus.string(6)).get(random.nextInt(6));
            String url = goodPath + "?" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
              + URLEncoder.encode(value, StandardCharsets.UTF_8);
            BadInputs.Case c = new BadInputs.Case(i % 2 == 0 ? BadInputs.Kind.UNKNOWN_FIELD : BadInputs.Kind.WRONG_TYPES,
              name + "=" + value, "query parameter");
            send(rig, turn, tally, target, c, method, url, null);
          }
        }
        BadInputs.Case wrongMethod = new BadInputs.Case(BadInputs.Kind.NOT_OBJECT, "PATCH", "wrong method");
        send(rig, turn, tally, "PATCH " + path, wrongMethod, "patch", goodPath, "{}".getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static String fill(String path, java.util.function.Function<String, String> value) {
    Matcher m = PARAM.matcher(path);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(value.apply(m.group(1))));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static void send(Rig rig, AtomicInteger turn, Tally tally, String target, BadInputs.Case c, String method,
                           String pathAndQuery, byte[] body) {
    NodeProcess node = rig.nodes.get(turn.getAndIncrement() % rig.nodes.size());
    HttpRequest.Builder request;
    try {
      request = HttpRequest.newBuilder(URI.create(node.url() + pathAndQuery));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the test built a bad URI: " + pathAndQuery, e);
    }
    request.header("content-type", "application/json").method(method.toUpperCase(),
      body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    NodeProcess.Response r = node.send(request);
    if (r.status() >= 200 && r.status() < 300) {
      tally.record("http", target, c, 0, null);
      return;
    }
    if (r.status() == -1) {
      tally.record("http", target, c, -1, "no answer: " + r.body());
      return;
    }
    String error = null;
    try {
      JsonObject json = new JsonObject(r.body());
      if (json.getInteger("code", -1) == r.status()) {
        error = json.getString("error");
      }
    } catch (RuntimeException notJson) {
      error = null; // no JSON error body: unclear
    }
    if (error == null) {
      tally.record("http", target, c, -1, r.status() + " without a JSON error body: " + r.body());
    } else {
      tally.record("http", target, c, r.status(), error);
    }
  }

  // ---------------------------------------------------------------- TCP bridge


  /**
   * Frames that break the protocol in each way the README names, and some it does not. {@code tcp}: with the
   * header frames the TCP bridge refuses (a non-string value, {@code codecName}); the SockJS bridge passes those on
   * as ordinary headers.
   */
  private static List<String> malformedFrames(BadInputs corpus, boolean tcp) {
    String list = Addresses.Nodes.LIST;
    List<String> frames = new ArrayList<>(List.of(
      "not json {",
      corpus.string(40),
      "[1, 2, 3]",
      "\"just a string\"",
      "{}",
      "{\"type\": 5, \"address\": \"" + list + "\"}",
      "{\"type\": \"send\"}",
      "{\"type\": \"send\", \"address\": 5, \"replyAddress\": \"m1\"}",
      "{\"type\": \"nope\", \"address\": \"" + list + "\"}",
      "{\"type\": \"send\", \"address\": \"" + list + "\", \"headers\": \"x\", \"replyAddress\": \"m2\"}",
      "{\"type\": \"send\", \"address\": \"" + list + "\", \"replyAddress\": 7}",
      "{\"type\": \"register\", \"address\": \"not.steward\"}",
      "{\"type\": \"send\", \"address\": \"not.steward\", \"body\": {}, \"replyAddress\": \"m3\"}"));
    if (!tcp) {
      frames.add("{\"type\": \"send\", \"address\": \"" + list + "\", \"replyAddress\": \"" + "r".repeat(40) + "\"}");
    }
    if (tcp) {
      frames.add("{\"type\": \"send\", \"address\": \"" + list + "\", \"headers\": {\"x\": 5}, \"replyAddress\": \"m4\"}");
      frames.add("{\"type\": \"send\", \"address\": \"" + list + "\", \"headers\": {\"codecName\": \"x\"}, \"replyAddress\": \"m5\"}");
    }
    return frames;
  }

  /** One bridge connection, as the feeding code needs it: send a text frame, read the next frame (null: none). */
  interface Conn extends AutoCloseable {
    void send(String frame) throws Exception;

    JsonObject read() throws Exception;
  }

  /**
   * Feeds one bridge: each malformed frame, then bad bodies to every address. After a malformed frame, a good
   * request ({@code steward.nodes.list}) marks the end of its answers, since a refused frame may be answered by more
   * than one frame (the library's, and a failure on its reply address) or, if something is wrong, by none.
   */
  private static void feedBridge(String door, Conn conn, List<String> malformed, Targets targets, BadInputs corpus,
                                 String success, Tally tally) throws Exception {
    int sync = 0;
    for (String frame : malformed) {
      conn.send(frame);
      String marker = "sync" + (sync++);
      conn.send(new JsonObject().put("type", "send").put("address", Addresses.Nodes.LIST).put("body", new JsonObject())
        .put("replyAddress", marker).encode());
      List<JsonObject> answers = new ArrayList<>();
      JsonObject got;
      while ((got = conn.read()) != null && !marker.equals(got.getString("address"))) {
        answers.add(got);
      }
      boolean clear = got != null && answers.stream().anyMatch(a -> "err".equals(a.getString("type"))
        && !(a.getString("message", "") + a.getValue("body", "")).isBlank());
      tally.recordFrame(door, frame, clear, got == null ? "no answer, not even to the next good request" : answers.toString());
    }
    int n = 0;
    for (String address : targets.all()) {
      for (int i = 0; i < CASES; i++) {
        BadInputs.Case c = corpus.next(i);
        String reply = "r" + (n++);
        conn.send(new JsonObject().put("type", "send").put("address", address).put("body", c.jsonValue())
          .put("replyAddress", reply).encode());
        JsonObject got;
        List<JsonObject> strays = new ArrayList<>();
        while ((got = conn.read()) != null && !reply.equals(got.getString("address"))) {
          strays.add(got);
        }
        if (got == null) {
          tally.record(door, address, c, -1, "no answer");
          return; // the connection is gone or stuck: recorded, and the rest of this door is not worth waiting for
        } else if (!strays.isEmpty()) {
          tally.record(door, address, c, -1, "unexpected frames before the answer: " + strays);
        } else if (success.equals(got.getString("type"))) {
          tally.record(door, address, c, 0, null);
        } else {
          tally.record(door, address, c, got.getInteger("failureCode", -1), got.getString("message"));
        }
      }
    }
  }

  private static void tcp(Rig rig, Targets targets, Tally tally) throws Exception {
    BadInputs corpus = new BadInputs(SEED + 3, 600_000); // under bridge.maxFrameBytes (1 MiB)
    try (FramedClient s = new FramedClient("tcp://127.0.0.1:" + BridgeTap.bridgePort(rig.nodes.get(0)))) {
      List<String> malformed = new ArrayList<>(malformedFrames(corpus, true));
      byte[] bytes = new byte[256];
      new Random(SEED).nextBytes(bytes);
      malformed.add(new String(bytes, StandardCharsets.ISO_8859_1));
      Conn conn = new Conn() {
        @Override
        public void send(String frame) throws Exception {
          s.sendText(frame);
        }

        @Override
        public JsonObject read() throws Exception {
          try {
            return s.read();
          } catch (java.io.IOException e) {
            return null;
          }
        }

        @Override
        public void close() {
        }
      };
      feedBridge("tcp", conn, malformed, targets, corpus, "message", tally);
      s.sendText("{\"type\": \"ping\"}");
      JsonObject pong = conn.read();
      tally.recordFrame("tcp", "ping after the corpus", pong != null && "pong".equals(pong.getString("type")), String.valueOf(pong));
    }
    try (FramedClient s = new FramedClient("tcp://127.0.0.1:" + BridgeTap.bridgePort(rig.nodes.get(1)))) {
      s.sendHeader(Integer.MAX_VALUE);
      JsonObject answer = s.read();
      tally.recordFrame("tcp", "a frame of 2 GiB announced", "err".equals(answer.getString("type")) && s.closedByServer(),
        answer.encode());
    }
  }

  // ---------------------------------------------------------------- SockJS bridge

  private static void sockJs(Rig rig, Targets targets, Tally tally, AtomicReference<String> oversized) throws Exception {
    BadInputs corpus = new BadInputs(SEED + 4, 600_000); // under http.bodyLimitBytes (1 MiB)
    Vertx vertx = Vertx.vertx();
    try {
      WebSocketClient client = vertx.createWebSocketClient();
      NodeProcess node = rig.nodes.get(2);
      BlockingQueue<String> in = new LinkedBlockingQueue<>();
      AtomicReference<String> closed = new AtomicReference<>();
      WebSocket ws = connect(client, node, in, closed);
      Conn conn = new Conn() {
        @Override
        public void send(String frame) throws Exception {
          ws.writeTextMessage(frame).await(15, TimeUnit.SECONDS);
        }

        @Override
        public JsonObject read() throws Exception {
          String text = closed.get() != null && in.isEmpty() ? null : in.poll(15, TimeUnit.SECONDS);
          return text == null ? null : new JsonObject(text);
        }

        @Override
        public void close() {
        }
      };
      feedBridge("sockjs", conn, malformedFrames(corpus, false), targets, corpus, "rec", tally);
      ws.close().await(15, TimeUnit.SECONDS);

      // A message over http.bodyLimitBytes: the library drops it with a socket exception; Steward answers with the
      // error and closes the connection (SockJsBridgeEvents, SOCKET_ERROR).
      in.clear();
      closed.set(null);
      WebSocket big = connect(client, node, in, closed);
      big.writeTextMessage("{\"type\":\"send\",\"address\":\"steward.nodes.list\",\"replyAddress\":\"big\",\"body\":\""
        + "x".repeat(1_200_000) + "\"}").await(15, TimeUnit.SECONDS);
      String answer = in.poll(15, TimeUnit.SECONDS);
      try {
        rig.cluster.await("the SockJS connection closed after a message over the limit", 15_000, () -> closed.get() != null);
      } catch (java.util.concurrent.TimeoutException e) {
        // recorded below
      }
      String outcome = (answer == null ? "no answer" : "answered " + Tally.abbreviate(answer)) + ", "
        + (closed.get() == null ? "left open" : "closed " + closed.get());
      oversized.set(outcome);
      tally.recordFrame("sockjs", "a message of 1.2 MB", answer != null && answer.contains("\"err\"") && closed.get() != null,
        outcome);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static WebSocket connect(WebSocketClient client, NodeProcess node, BlockingQueue<String> in,
                                   AtomicReference<String> closed) throws Exception {
    WebSocket ws = client.connect(node.httpPort(), "127.0.0.1", "/eventbus/websocket").await(15, TimeUnit.SECONDS);
    ws.textMessageHandler(in::add); // the raw WebSocket transport writes the bridge's frames as binary messages
    ws.binaryMessageHandler(b -> in.add(b.toString(StandardCharsets.UTF_8)));
    ws.closeHandler(v -> closed.set(ws.closeStatusCode() + " " + ws.closeReason()));
    return ws;
  }

  // ---------------------------------------------------------------- logs

  /** Stricter than the other scenarios: no ERROR line at all, Steward's or a library's (bad input is no excuse). */
  private static void strictLogCheck(Verdict v, List<NodeProcess> nodes) {
    NodeLogs.check(v, nodes);
    int others = nodes.stream().mapToInt(n -> NodeLogs.of(n).others().size()).sum();
    v.check(others == 0, others + " library ERROR line(s) in the node logs");
  }
}
