package io.steward.fanout;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three clustered Vert.x instances over real Hazelcast: {@code a} runs fanout and http, {@code b} runs no module
 * (only the test's consumers), {@code c} runs fanout. Fan-outs cross the wire to another instance; a gather
 * asks all three, and one of them is stopped while the gather waits for it. The last test stops {@code c}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FanoutClusterTest {

  static final String REMOTE = "test.fanout.remote";
  static final String PROBE = "probe";

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static StewardNode c;
  private static final Set<Integer> seenAtB = ConcurrentHashMap.newKeySet();
  private static volatile Promise<Void> probeHeld = Promise.promise();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(FanoutClusterTest.class, 3);
    JsonObject limits = new JsonObject().put("fanout", new JsonObject().put("maxItems", 100_000));
    a = cluster.start(List.of("http", "fanout"), limits).await(60, TimeUnit.SECONDS);
    b = cluster.start(List.of(), limits).await(60, TimeUnit.SECONDS);
    c = cluster.start(List.of("fanout"), limits).await(60, TimeUnit.SECONDS);
    // Only b answers REMOTE: every request of a fan-out run on a or c crosses to another instance.
    b.vertx().eventBus().<Integer>consumer(REMOTE, m -> {
      seenAtB.add(m.body());
      m.reply(m.body() * 2);
    }).completion().await(10, TimeUnit.SECONDS);
    // Every node answers PROBE on its own address with its id, except c, which says it got it and never answers.
    for (StewardNode n : List.of(a, b, c)) {
      String address = Addresses.node(n.id(), PROBE);
      String id = n.id();
      n.vertx().eventBus().consumer(address, m -> {
        if (n == c) {
          probeHeld.tryComplete();
        } else {
          m.reply(id);
        }
      }).completion().await(10, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static JsonObject gatherFromA(JsonObject request) throws Exception {
    // Local-only, so a (which stays up) runs the gather, not c.
    return (JsonObject) a.vertx().eventBus().request(Addresses.Fanout.GATHER, request,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(120_000)).await(130, TimeUnit.SECONDS).body();
  }

  @Test
  @Order(1)
  void a_hundred_thousand_items_go_through_a_consumer_on_another_instance() throws Exception {
    int total = 100_000;
    JsonArray items = new JsonArray();
    for (int i = 0; i < total; i++) {
      items.add(i);
    }
    JsonObject reply = FanoutTest.run(a.vertx(), new JsonObject().put("address", REMOTE).put("items", items)
      .put("concurrency", 256).put("timeoutMs", 30_000).put("deadlineMs", 120_000));
    assertThat(reply.getString("outcome")).isEqualTo("satisfied");
    assertThat(reply.getJsonObject("counts").getInteger("ok")).isEqualTo(total);
    assertThat(seenAtB).hasSize(total);
    JsonArray results = reply.getJsonArray("results");
    for (int i = 0; i < total; i++) {
      JsonObject e = results.getJsonObject(i);
      if (e.getInteger("index") != i || e.getInteger("value") != 2 * i) {
        throw new AssertionError("entry " + i + " is " + e);
      }
    }
  }

  @Test
  @Order(2)
  void a_gather_asks_every_node_or_only_those_running_a_module() throws Exception {
    JsonObject all = gatherFromA(new JsonObject().put("verb", Addresses.Nodes.INFO).put("timeoutMs", 20_000));
    assertThat(all.getJsonObject("counts").getInteger("ok")).isEqualTo(3);
    assertThat(all.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getJsonObject("value").getString("id")))
      .containsExactly(a.id(), b.id(), c.id());

    JsonObject fanoutNodes = gatherFromA(new JsonObject().put("verb", Addresses.Nodes.HEALTH).put("module", "fanout"));
    assertThat(fanoutNodes.getString("module")).isEqualTo("fanout");
    assertThat(fanoutNodes.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("node")))
      .containsExactly(a.id(), c.id());
    assertThat(fanoutNodes.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
      .containsOnly("ok");
  }

  @Test
  @Order(3)
  void a_gather_reports_a_node_it_does_not_answer_as_timed_out() throws Exception {
    JsonObject reply = gatherFromA(new JsonObject().put("verb", "no-such-verb").put("timeoutMs", 500));
    assertThat(reply.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
      .as("nobody answers an unknown verb: a missing handler fails at once").containsOnly("failed");
    // c holds the probe without answering: timed out.
    probeHeld = Promise.promise();
    JsonObject probe = gatherFromA(new JsonObject().put("verb", PROBE).put("timeoutMs", 500));
    assertThat(probe.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
      .containsExactly("ok", "ok", "timed-out");
    assertThat(probe.getJsonArray("nodes").getJsonObject(2).getJsonObject("error").getInteger("code")).isEqualTo(408);
  }

  @Test
  @Order(4)
  void a_node_stopped_mid_gather_is_reported_as_left_without_waiting_for_its_timeout() throws Exception {
    Promise<Void> held = Promise.promise();
    probeHeld = held;
    long timeoutMs = 60_000;
    String cId = c.id();
    long t0 = System.nanoTime();
    Future<Object> gather = a.vertx().eventBus().request(Addresses.Fanout.GATHER,
        new JsonObject().put("verb", PROBE).put("timeoutMs", timeoutMs),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs + 10_000))
      .map(m -> m.body());
    held.future().await(30, TimeUnit.SECONDS); // c has the request and will never answer it
    cluster.stop(c).await(30, TimeUnit.SECONDS);

    JsonObject reply = (JsonObject) gather.await(timeoutMs, TimeUnit.MILLISECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(reply.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("status")))
      .containsExactly("ok", "ok", "left");
    JsonObject left = reply.getJsonArray("nodes").getJsonObject(2);
    assertThat(left.getString("node")).isEqualTo(cId);
    assertThat(left.getJsonObject("error").getInteger("code")).isEqualTo(504);
    assertThat(left.getJsonObject("error").getString("message")).contains("left the cluster before it answered");
    assertThat(reply.getJsonObject("counts").getInteger("left")).isEqualTo(1);
    assertThat(tookMs).as("reported when c left, not after the %d ms timeout", timeoutMs).isLessThan(timeoutMs / 2);
  }
}
