package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.observe.Metrics;
import io.steward.node.StewardNode;
import io.steward.testing.FreePorts;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the doors cost: the same request ({@code steward.nodes.list}) made for a fixed time, closed loop with
 * {@value #LANES} requests in flight, through
 * <ol>
 *   <li>the event bus directly, from the node's own Vert.x (the floor);</li>
 *   <li>the bare {@code vertx-tcp-eventbus-bridge} library, no guard (the peer);</li>
 *   <li>Steward's TCP bridge: frame guard, token and permission checks;</li>
 *   <li>the HTTP API, {@code GET /nodes} with a bearer token.</li>
 * </ol>
 * The clients run in a separate (non-clustered) Vert.x in the same JVM, on loopback.
 *
 * <p>Then the calls the edge is measured by, {@code GET /caches/{name}/{key}} (random keys of a filled cache) and
 * {@code POST /tasks} (an {@code echo} task), each through the event bus directly (the floor), Steward's TCP
 * bridge ({@code steward.cache.get}, {@code steward.tasks.submit} as requests) and HTTP with {@code wrk} as the
 * load generator (a separate process; {@code apt-get install -y wrk}; skipped, and said so, without it), with
 * {@value #LANES} connections and the same fixed times.
 */
final class BridgeBench {

  static final int LANES = 16;
  static final long WARMUP_MS = 3_000;
  static final long MEASURE_MS = 10_000;
  static final String TOKEN = "bench-token-0123456789abcdef";
  static final String CACHE = "bench";
  static final int KEYS = 1_000;
  static final int MAX_QUEUED = 200_000;

  private BridgeBench() {
  }

  static void main() throws Exception {
    try (TestCluster cluster = TestCluster.create(BridgeBench.class, 1)) {
      JsonObject config = new JsonObject()
        .put("bridge", new JsonObject().put("port", 0).put("tokens", new JsonArray().add(TOKEN))
          .put("inbound", new JsonArray().add(Addresses.Nodes.LIST).add(Addresses.Cache.GET).add(Addresses.Tasks.SUBMIT)))
        .put("http", new JsonObject().put("tokens", new JsonArray().add(TOKEN)))
        .put("cache", new JsonObject().put("caches", new JsonObject().put(CACHE, new JsonObject())))
        // Submits are answered on acceptance; on a busy machine they can outrun the workers for a while.
        .put("tasks", new JsonObject().put("supervisors", new JsonObject()
          .put("default", new JsonObject().put("workers", 16).put("maxQueued", MAX_QUEUED))));
      StewardNode node = cluster.start(List.of("http", "bridge", "tasks", "cache"), config).await(60, TimeUnit.SECONDS);
      String httpUrl = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
      int stewardPort = Integer.parseInt(node.vertx().eventBus().request(Addresses.moduleHealth(node.id(), "bridge"),
          new JsonObject(), new DeliveryOptions().setLocalOnly(true))
        .map(r -> ((JsonObject) r.body()).getString("url")).await(10, TimeUnit.SECONDS).replaceAll(".*:", ""));
      int barePort = FreePorts.one();
      TcpEventBusBridge bare = TcpEventBusBridge.create(node.vertx(),
        new BridgeOptions().addInboundPermitted(new PermittedOptions().setAddress(Addresses.Nodes.LIST)));
      bare.listen(barePort, "127.0.0.1").await(10, TimeUnit.SECONDS);

      Vertx clients = Vertx.vertx();
      try {
        List<String> lines = new ArrayList<>();
        // On the node's own Vert.x: a request from another Vert.x instance's thread is not what a caller does.
        Result bus = drive(node.vertx(), lane -> node.vertx().eventBus().request(Addresses.Nodes.LIST, new JsonObject()).mapEmpty());

        lines.add(bus.line("event bus, direct (floor)"));
        Supplier<JsonObject> nodesList = () -> new JsonObject().put("address", Addresses.Nodes.LIST).put("body", new JsonObject());
        Result peer = drive(clients, tcp(clients, barePort, null, nodesList));
        lines.add(peer.line("TCP bridge, bare library (peer)"));
        Result guarded = drive(clients, tcp(clients, stewardPort, TOKEN, nodesList));
        lines.add(guarded.line("TCP bridge, Steward (guard + token + permissions)"));
        WebClient web = WebClient.create(clients, new WebClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(LANES));
        Result http = drive(clients, lane -> web.getAbs(httpUrl + "/nodes").putHeader("Authorization", "Bearer " + TOKEN).send()
          .compose(r -> r.statusCode() == 200 ? Future.succeededFuture() : Future.failedFuture("HTTP " + r.statusCode())));
        lines.add(http.line("HTTP GET /nodes with a token"));
        System.out.println("bridge: steward.nodes.list, " + LANES + " in flight, " + MEASURE_MS / 1000 + " s each after "
          + WARMUP_MS / 1000 + " s warm-up, loopback, one node (shared machine: compare ratios, not absolutes)");
        lines.forEach(System.out::println);
        System.out.printf("  Steward TCP bridge / bare library: throughput %.2fx, p99 %.2fx%n",
          guarded.perSecond() / peer.perSecond(), guarded.stats().p(99) / peer.stats().p(99));
        System.out.flush();
        edgeCalls(node, clients, httpUrl, stewardPort);
      } finally {
        clients.close().await(10, TimeUnit.SECONDS);
        bare.close();
      }
    }
  }

  /** {@code GET /caches/{name}/{key}} and {@code POST /tasks}: bus, TCP bridge and HTTP (wrk), same node, same run. */
  private static void edgeCalls(StewardNode node, Vertx clients, String httpUrl, int bridgePort) throws Exception {
    var bus = node.vertx().eventBus();
    JsonObject entries = new JsonObject();
    for (int i = 0; i < KEYS; i++) {
      entries.put("k" + i, new JsonObject().put("id", i).put("name", "user " + i));
    }
    bus.request(Addresses.Cache.PUT_ALL, new JsonObject().put("cache", CACHE).put("entries", entries)).await(30, TimeUnit.SECONDS);
    Supplier<JsonObject> cacheGet = () -> new JsonObject().put("cache", CACHE).put("key", "k" + ThreadLocalRandom.current().nextInt(KEYS));
    Supplier<JsonObject> taskSubmit = () -> new JsonObject().put("type", "echo").put("payload", 1);
    String cacheLua = "local token = \"" + TOKEN + "\"\n"
      + "request = function()\n"
      + "  return wrk.format(\"GET\", \"/caches/" + CACHE + "/k\" .. math.random(0, " + (KEYS - 1) + "), "
      + "{[\"Authorization\"] = \"Bearer \" .. token})\n"
      + "end\n";
    String taskLua = "wrk.method = \"POST\"\n"
      + "wrk.body = '" + taskSubmit.get().encode() + "'\n"
      + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
      + "wrk.headers[\"Authorization\"] = \"Bearer " + TOKEN + "\"\n";
    boolean wrk = Wrk.available();
    List<String> lines = new ArrayList<>();
    String[][] calls = {
      {"GET /caches/{name}/{key}", Addresses.Cache.GET, httpUrl + "/caches/" + CACHE + "/k0", cacheLua},
      {"POST /tasks", Addresses.Tasks.SUBMIT, httpUrl + "/tasks", taskLua}};
    for (String[] call : calls) {
      Supplier<JsonObject> body = call[1].equals(Addresses.Cache.GET) ? cacheGet : taskSubmit;
      Result direct = drive(node.vertx(), lane -> bus.request(call[1], body.get()).mapEmpty());
      drained(node);
      Result tcp = drive(clients, tcp(clients, bridgePort, TOKEN, () -> new JsonObject().put("address", call[1]).put("body", body.get())));
      drained(node);
      lines.add(call[0] + " (" + call[1] + ")");
      lines.add(direct.line("event bus, direct (floor)"));
      lines.add(tcp.line("TCP bridge, Steward (token + permissions)"));
      if (wrk) {
        Wrk.run(call[2], call[3], 2, LANES, (int) (WARMUP_MS / 1000));
        Wrk.Result http = Wrk.run(call[2], call[3], 2, LANES, (int) (MEASURE_MS / 1000));
        drained(node);
        lines.add(http.line("HTTP with a token, wrk -t2 -c" + LANES + " (separate process)"));
        lines.add(String.format("  HTTP / TCP bridge: throughput %.2fx, p99 %.2fx;  HTTP / bus: throughput %.2fx, p99 %.2fx",
          http.perSecond() / tcp.perSecond(), http.p99Micros() / tcp.stats().p(99),
          http.perSecond() / direct.perSecond(), http.p99Micros() / direct.stats().p(99)));
      } else {
        lines.add("  HTTP: skipped, wrk is not installed (Debian: apt-get install -y wrk)");
      }
      lines.add(String.format("  TCP bridge / bus: throughput %.2fx, p99 %.2fx",
        tcp.perSecond() / direct.perSecond(), tcp.stats().p(99) / direct.stats().p(99)));
    }
    System.out.println("edge: " + LANES + " in flight (connections), " + MEASURE_MS / 1000 + " s each after " + WARMUP_MS / 1000
      + " s warm-up, loopback, one node running http, bridge, tasks, cache; cache '" + CACHE + "' holds " + KEYS
      + " entries read at random; tasks are echo (shared machine: compare ratios, not absolutes)");
    lines.forEach(System.out::println);
  }

  /** Waits until the tasks submitted by the last measurement have run, so they do not load the next one. */
  private static void drained(StewardNode node) throws Exception {
    var registry = Metrics.registry(node.vertx());
    long until = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < until) {
      var queued = registry.find("steward_tasks_queued").gauge();
      var running = registry.find("steward_tasks_running").gauge();
      if (queued == null || queued.value() + running.value() == 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the tasks submitted by the benchmark did not run within 120 s");
  }

  /**
   * One TCP connection per lane; each request waits for its reply frame. The client is kept referenced: Vert.x 5
   * closes an unreachable client and its connections. {@code request} gives each frame's address and body.
   */
  private static Function<Integer, Future<Void>> tcp(Vertx vertx, int port, String token, Supplier<JsonObject> request)
      throws Exception {
    NetClient client = vertx.createNetClient();
    List<Lane> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      lanes.add(client.connect(port, "127.0.0.1").map(socket -> new Lane(client, socket, token, request))
        .await(10, TimeUnit.SECONDS));
    }
    return lane -> lanes.get(lane).request();
  }

  private static final class Lane {
    /** Held so the client stays reachable while its connection is used. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final NetClient client;
    private final NetSocket socket;
    private final String token;
    private final Supplier<JsonObject> request;
    private Promise<Void> pending;

    Lane(NetClient client, NetSocket socket, String token, Supplier<JsonObject> request) {
      this.client = client;
      this.socket = socket;
      this.token = token;
      this.request = request;
      RecordParser parser = RecordParser.newFixed(4);
      parser.handler(new io.vertx.core.Handler<>() {
        private boolean header = true;

        @Override
        public void handle(Buffer b) {
          if (header) {
            parser.fixedSizeMode(b.getInt(0));
          } else {
            parser.fixedSizeMode(4);
            JsonObject reply = b.toJsonObject();
            Promise<Void> p = pending;
            pending = null;
            if ("message".equals(reply.getString("type"))) {
              p.complete();
            } else {
              p.fail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, reply.getInteger("failureCode", -1), reply.encode()));
            }
          }
          header = !header;
        }
      });
      socket.handler(parser);
    }

    Future<Void> request() {
      JsonObject f = request.get().put("type", "send").put("replyAddress", "r");
      if (token != null) {
        f.put("headers", new JsonObject().put("token", token));
      }
      Buffer json = f.toBuffer();
      pending = Promise.promise();
      socket.write(Buffer.buffer(json.length() + 4).appendInt(json.length()).appendBuffer(json));
      return pending.future();
    }
  }

  /** {@code refused}: requests answered 429 (a full supervisor), counted apart and not in the latencies. */
  record Result(long[] latenciesMicros, long count, long durationMs, long refused) {
    Stats stats() {
      return Stats.of(latenciesMicros);
    }

    double perSecond() {
      return count * 1000.0 / durationMs;
    }

    String line(String what) {
      Stats s = stats();
      return String.format("  %-50s %8.0f req/s   p50 %6.0f us   p99 %6.0f us%s", what, perSecond(), s.median(), s.p(99),
        refused > 0 ? "   (" + refused + " answered 429)" : "");
    }
  }

  /** Runs {@link #LANES} closed loops of {@code call(lane)}: warm-up, then measured for a fixed time. */
  private static Result drive(Vertx vertx, Function<Integer, Future<Void>> call) throws Exception {
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(WARMUP_MS);
    long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(MEASURE_MS);
    List<Long> latencies = new ArrayList<>();
    AtomicLong refused = new AtomicLong();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      int lane = i;
      Promise<Void> done = Promise.promise();
      lanes.add(done.future());
      vertx.runOnContext(v -> loop(call, lane, measureFrom, end, latencies, refused, done));
    }
    Future.all(lanes).await(WARMUP_MS + MEASURE_MS + 60_000, TimeUnit.MILLISECONDS);
    long[] values;
    synchronized (latencies) {
      values = latencies.stream().mapToLong(Long::longValue).toArray();
    }
    return new Result(values, values.length, MEASURE_MS, refused.get());
  }

  private static void loop(Function<Integer, Future<Void>> call, int lane, long measureFrom, long end, List<Long> latencies,
                           AtomicLong refused, Promise<Void> done) {
    long t0 = System.nanoTime();
    if (t0 >= end) {
      done.complete();
      return;
    }
    call.apply(lane).onComplete(ar -> {
      long t1 = System.nanoTime();
      boolean measured = t0 >= measureFrom && t1 <= end;
      if (ar.failed()) {
        if (!(ar.cause() instanceof ReplyException re && re.failureCode() == 429)) {
          done.fail(ar.cause());
          return;
        }
        if (measured) {
          refused.incrementAndGet();
        }
      } else if (measured) {
        synchronized (latencies) {
          latencies.add(TimeUnit.NANOSECONDS.toMicros(t1 - t0));
        }
      }
      loop(call, lane, measureFrom, end, latencies, refused, done);
    });
  }
}
