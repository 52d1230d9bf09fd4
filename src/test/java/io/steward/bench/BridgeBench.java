package io.steward.bench;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.FreePorts;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
 */
final class BridgeBench {

  static final int LANES = 16;
  static final long WARMUP_MS = 3_000;
  static final long MEASURE_MS = 10_000;
  static final String TOKEN = "bench-token-0123456789abcdef";

  private BridgeBench() {
  }

  static void main() throws Exception {
    try (TestCluster cluster = TestCluster.create(BridgeBench.class, 1)) {
      JsonObject config = new JsonObject()
        .put("bridge", new JsonObject().put("port", 0).put("tokens", new JsonArray().add(TOKEN))
          .put("inbound", new JsonArray().add(Addresses.Nodes.LIST)))
        .put("http", new JsonObject().put("tokens", new JsonArray().add(TOKEN)));
      StewardNode node = cluster.start(List.of("http", "bridge"), config).await(60, TimeUnit.SECONDS);
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
        Result peer = drive(clients, tcp(clients, barePort, null));
        lines.add(peer.line("TCP bridge, bare library (peer)"));
        Result guarded = drive(clients, tcp(clients, stewardPort, TOKEN));
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
      } finally {
        clients.close().await(10, TimeUnit.SECONDS);
        bare.close();
      }
    }
  }

  /**
   * One TCP connection per lane; each request waits for its reply frame. The client is kept referenced: Vert.x 5
   * closes an unreachable client and its connections.
   */
  private static Function<Integer, Future<Void>> tcp(Vertx vertx, int port, String token) throws Exception {
    NetClient client = vertx.createNetClient();
    List<Lane> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      lanes.add(client.connect(port, "127.0.0.1").map(socket -> new Lane(client, socket, token)).await(10, TimeUnit.SECONDS));
    }
    return lane -> lanes.get(lane).request();
  }

  private static final class Lane {
    /** Held so the client stays reachable while its connection is used. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final NetClient client;
    private final NetSocket socket;
    private final Buffer frame;
    private Promise<Void> pending;

    Lane(NetClient client, NetSocket socket, String token) {
      this.client = client;
      this.socket = socket;
      JsonObject f = new JsonObject().put("type", "send").put("address", Addresses.Nodes.LIST).put("body", new JsonObject())
        .put("replyAddress", "r");
      if (token != null) {
        f.put("headers", new JsonObject().put("token", token));
      }
      Buffer json = f.toBuffer();
      frame = Buffer.buffer().appendInt(json.length()).appendBuffer(json);
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
              p.fail(reply.encode());
            }
          }
          header = !header;
        }
      });
      socket.handler(parser);
    }

    Future<Void> request() {
      pending = Promise.promise();
      socket.write(frame);
      return pending.future();
    }
  }

  record Result(long[] latenciesMicros, long count, long durationMs) {
    Stats stats() {
      return Stats.of(latenciesMicros);
    }

    double perSecond() {
      return count * 1000.0 / durationMs;
    }

    String line(String what) {
      Stats s = stats();
      return String.format("  %-50s %8.0f req/s   p50 %6.0f us   p99 %6.0f us", what, perSecond(), s.median(), s.p(99));
    }
  }

  /** Runs {@link #LANES} closed loops of {@code call(lane)}: warm-up, then measured for a fixed time. */
  private static Result drive(Vertx vertx, Function<Integer, Future<Void>> call) throws Exception {
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.MILLISECONDS.toNanos(WARMUP_MS);
    long end = measureFrom + TimeUnit.MILLISECONDS.toNanos(MEASURE_MS);
    List<Long> latencies = new ArrayList<>();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      int lane = i;
      Promise<Void> done = Promise.promise();
      lanes.add(done.future());
      vertx.runOnContext(v -> loop(call, lane, measureFrom, end, latencies, done));
    }
    Future.all(lanes).await(WARMUP_MS + MEASURE_MS + 60_000, TimeUnit.MILLISECONDS);
    long[] values;
    synchronized (latencies) {
      values = latencies.stream().mapToLong(Long::longValue).toArray();
    }
    return new Result(values, values.length, MEASURE_MS);
  }

  private static void loop(Function<Integer, Future<Void>> call, int lane, long measureFrom, long end, List<Long> latencies,
                           Promise<Void> done) {
    long t0 = System.nanoTime();
    if (t0 >= end) {
      done.complete();
      return;
    }
    call.apply(lane).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      long t1 = System.nanoTime();
      if (t0 >= measureFrom && t1 <= end) {
        synchronized (latencies) {
          latencies.add(TimeUnit.NANOSECONDS.toMicros(t1 - t0));
        }
      }
      loop(call, lane, measureFrom, end, latencies, done);
    });
  }
}
