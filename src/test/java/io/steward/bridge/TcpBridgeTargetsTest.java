package io.steward.bridge;

import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.steward.observe.Metrics;
import io.steward.node.StewardNode;
import io.steward.testing.FramedClient;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An address inside a body is a forwarding address: a TCP bridge client may reach through a {@code bus} task, a
 * fan-out, a gather, a schedule or a compute only the targets its bridge permits ({@code bridge.inbound} and
 * {@code bridge.targets}). Node {@code narrow} runs every module and a bridge permitting nothing but
 * {@code steward.tasks.submit}; node {@code wide} runs only a bridge, which permits the entry addresses and, as
 * a target only, {@code steward.test.worker}: its requests are checked on the other node, so the rule travels
 * with the message.
 */
class TcpBridgeTargetsTest {

  static final String WORKER = "steward.test.worker";

  private static TestCluster cluster;
  private static StewardNode narrow;
  private static String narrowUrl;
  private static String wideUrl;
  private static final AtomicInteger worked = new AtomicInteger();
  private static volatile JsonObject lastWorkerHeaders = new JsonObject();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(TcpBridgeTargetsTest.class, 2);
    narrow = cluster.start(List.of("tasks", "fanout", "schedule", "cache", "bridge"), new JsonObject()
        .put("cache", new JsonObject().put("caches", new JsonObject().put("c", new JsonObject())))
        .put("bridge", new JsonObject().put("port", 0).put("inbound", new JsonArray().add(Addresses.Tasks.SUBMIT))))
      .await(60, TimeUnit.SECONDS);
    StewardNode wide = cluster.start(List.of("bridge"), new JsonObject().put("bridge", new JsonObject().put("port", 0)
        .put("inbound", new JsonArray().add(Addresses.Tasks.SUBMIT).add(Addresses.Tasks.RUN).add(Addresses.Fanout.RUN)
          .add(Addresses.Fanout.GATHER).add(Addresses.Schedule.PUT).add(Addresses.Cache.GET_OR_COMPUTE))
        .put("targets", new JsonArray().add(WORKER))))
      .await(60, TimeUnit.SECONDS);
    narrow.vertx().eventBus().<Object>consumer(WORKER, msg -> {
      worked.incrementAndGet();
      JsonObject headers = new JsonObject();
      msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
      lastWorkerHeaders = headers;
      msg.reply(new JsonObject().put("worked", true));
    }).completion().await(10, TimeUnit.SECONDS);
    narrowUrl = TcpBridgeTest.url(narrow);
    wideUrl = TcpBridgeTest.url(wide);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_client_permitted_only_to_submit_cannot_clear_a_cache_or_reach_a_node_through_a_bus_task() throws Exception {
    putEntry();
    List<String> targets = List.of(Addresses.Cache.CLEAR, Addresses.Nodes.LIST,
      Addresses.node(narrow.id(), Addresses.Nodes.INFO), "__vertx.reply.1234", Addresses.Fanout.RUN,
      Addresses.Schedule.PUT, Addresses.Cache.GET_OR_COMPUTE, Addresses.Tasks.RUN);
    try (FramedClient c = new FramedClient(narrowUrl)) {
      for (String target : targets) {
        JsonObject reply = ask(c, Addresses.Tasks.SUBMIT, busTask(target, new JsonObject().put("cache", "c")));
        assertThat(reply.getString("type")).as("a bus task to %s: %s", target, reply).isEqualTo("err");
        assertThat(reply.getInteger("failureCode")).as(target).isEqualTo(403);
        assertThat(reply.getString("message")).as(target).contains("payload.address").contains("'" + target + "'")
          .contains("bridge.inbound").contains("bridge.targets");
      }
      // Bad input still gets its own answer first.
      JsonObject bad = ask(c, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "bus").put("payload", new JsonObject()));
      assertThat(bad.getInteger("failureCode")).isEqualTo(400);
      assertThat(bad.getString("message")).startsWith("payload.address: is required");
    }
    assertThat(entryPresent()).as("the cache was not cleared").isTrue();
    assertThat(Metrics.registry(narrow.vertx()).find("steward_door_refusals").tag("address", Addresses.Tasks.SUBMIT)
      .counter().count()).as("refusals are counted by entry address").isGreaterThanOrEqualTo(targets.size());
  }

  @Test
  void a_task_that_submits_a_task_carries_the_bridge_rule_along() throws Exception {
    putEntry();
    JsonObject inner = busTask(Addresses.Cache.CLEAR, new JsonObject().put("cache", "c"));
    String id;
    try (FramedClient c = new FramedClient(narrowUrl)) {
      JsonObject reply = ask(c, Addresses.Tasks.SUBMIT, busTask(Addresses.Tasks.SUBMIT, inner));
      assertThat(reply.getString("type")).as("%s", reply).isEqualTo("message");
      id = reply.getJsonObject("body").getString("id");
    }
    ReplyException outcome = catchThrowableOfType(ReplyException.class, () -> narrow.vertx().eventBus()
      .request(Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 20_000),
        new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS));
    assertThat(outcome).as("the outer task fails: its inner submit was refused").isNotNull();
    assertThat(outcome.getMessage()).contains("403").contains(Addresses.Cache.CLEAR);
    assertThat(entryPresent()).as("the cache was not cleared").isTrue();
  }

  @Test
  void fan_outs_gathers_schedules_and_computes_reach_only_permitted_targets() throws Exception {
    putEntry();
    String nodeInfo = Addresses.node(narrow.id(), Addresses.Nodes.INFO);
    try (FramedClient c = new FramedClient(wideUrl)) {
      forbidden(ask(c, Addresses.Fanout.RUN, new JsonObject().put("requests", new JsonArray()
        .add(new JsonObject().put("address", WORKER)).add(new JsonObject().put("address", nodeInfo)))),
        "requests[1].address", nodeInfo);
      forbidden(ask(c, Addresses.Fanout.RUN, new JsonObject().put("address", Addresses.Cache.CLEAR)
        .put("items", new JsonArray().add(new JsonObject().put("cache", "c")))), "address", Addresses.Cache.CLEAR);
      forbidden(ask(c, Addresses.Fanout.GATHER, new JsonObject().put("verb", "info")), "verb", nodeInfo);
      // A fan-out of bus tasks: steward.tasks.run is permitted, each task's address is checked by the tasks module.
      JsonObject tasks = ask(c, Addresses.Fanout.RUN, new JsonObject().put("type", "bus")
        .put("items", new JsonArray().add(new JsonObject().put("address", Addresses.Cache.CLEAR)
          .put("body", new JsonObject().put("cache", "c")))));
      assertThat(tasks.encode()).as("%s", tasks).contains("403").contains(Addresses.Cache.CLEAR);

      forbidden(ask(c, Addresses.Schedule.PUT, job("clear-it", new JsonObject().put("type", "send")
        .put("address", Addresses.Cache.CLEAR).put("body", new JsonObject().put("cache", "c")))),
        "action.address", Addresses.Cache.CLEAR);
      forbidden(ask(c, Addresses.Schedule.PUT, job("ask-node", new JsonObject().put("type", "task")
        .put("task", busTask(nodeInfo, new JsonObject())))), "action.task.payload.address", nodeInfo);

      forbidden(ask(c, Addresses.Cache.GET_OR_COMPUTE, compute("k1", new JsonObject()
        .put("address", Addresses.Cache.CLEAR).put("body", new JsonObject().put("cache", "c")))),
        "compute.address", Addresses.Cache.CLEAR);
      JsonObject viaTask = ask(c, Addresses.Cache.GET_OR_COMPUTE, compute("k2", new JsonObject().put("task", "bus")
        .put("payload", new JsonObject().put("address", Addresses.Nodes.LIST))));
      assertThat(viaTask.getInteger("failureCode")).as("%s", viaTask).isEqualTo(403);
      assertThat(viaTask.getString("message")).contains(Addresses.Nodes.LIST);

      // A client-made rule in the headers is overwritten by the bridge's own.
      JsonObject spoof = FramedClient.request(Addresses.Tasks.RUN, busTask(Addresses.Nodes.LIST, new JsonObject()), null, "spoof");
      spoof.put("headers", new JsonObject().put(Door.HEADER, new JsonObject().put("door", "x").put("setting", "x")
        .put("permits", new JsonArray().add(new JsonObject().put("addressRegex", ".*"))).encode()));
      forbidden(c.send(spoof).read(), "payload.address", Addresses.Nodes.LIST);
    }
    assertThat(entryPresent()).as("the cache was not cleared").isTrue();
  }

  @Test
  void a_permitted_target_still_works_through_every_path() throws Exception {
    try (FramedClient c = new FramedClient(wideUrl)) {
      JsonObject task = ask(c, Addresses.Tasks.RUN, busTask(WORKER, new JsonObject()));
      assertThat(task.getString("type")).as("%s", task).isEqualTo("message");
      assertThat(task.getJsonObject("body").getJsonObject("result").getBoolean("worked")).isTrue();
      assertThat(lastWorkerHeaders.getString(Door.HEADER)).as("the target hears which door the request came through")
        .contains("bridge.targets");

      JsonObject fanout = ask(c, Addresses.Fanout.RUN, new JsonObject().put("address", WORKER)
        .put("items", new JsonArray().add(1).add(2)));
      assertThat(fanout.getJsonObject("body").getJsonObject("counts").getInteger("ok")).as("%s", fanout).isEqualTo(2);

      JsonObject computed = ask(c, Addresses.Cache.GET_OR_COMPUTE, compute("permitted", new JsonObject().put("address", WORKER)));
      assertThat(computed.getJsonObject("body").getJsonObject("value").getBoolean("worked")).as("%s", computed).isTrue();

      int before = worked.get();
      JsonObject put = ask(c, Addresses.Schedule.PUT, job("work", new JsonObject().put("type", "send").put("address", WORKER)));
      assertThat(put.getString("type")).as("%s", put).isEqualTo("message");
      try {
        Poll.until(narrow.vertx(), "the job fires at the permitted target", 20_000,
          () -> Future.succeededFuture(worked.get() > before && lastWorkerHeaders.containsKey("steward-schedule-job")))
          .await(30, TimeUnit.SECONDS);
        assertThat(lastWorkerHeaders.getString(Door.HEADER)).as("a job fires with the rule it was put with")
          .contains("bridge.targets");
      } finally {
        narrow.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", "work"))
          .await(10, TimeUnit.SECONDS);
      }
    }
  }

  private static JsonObject ask(FramedClient c, String address, JsonObject body) throws Exception {
    JsonObject frame = FramedClient.request(address, body, null, "r");
    frame.put("headers", new JsonObject().put("timeout", 30_000));
    return c.send(frame).read();
  }

  private static void forbidden(JsonObject reply, String field, String target) {
    assertThat(reply.getString("type")).as("%s", reply).isEqualTo("err");
    assertThat(reply.getInteger("failureCode")).as("%s", reply).isEqualTo(403);
    assertThat(reply.getString("message")).startsWith(field + ": ").contains("'" + target + "'")
      .contains("bridge.inbound or bridge.targets");
  }

  private static JsonObject busTask(String address, Object body) {
    return new JsonObject().put("type", "bus").put("payload", new JsonObject().put("address", address).put("body", body));
  }

  private static JsonObject job(String name, JsonObject action) {
    return new JsonObject().put("name", name).put("every", 200).put("action", action);
  }

  private static JsonObject compute(String key, JsonObject compute) {
    return new JsonObject().put("cache", "c").put("key", key).put("compute", compute);
  }

  private static void putEntry() throws Exception {
    narrow.vertx().eventBus().request(Addresses.Cache.PUT, new JsonObject().put("cache", "c").put("key", "kept")
      .put("value", "yes")).await(10, TimeUnit.SECONDS);
  }

  private static boolean entryPresent() throws Exception {
    JsonObject reply = (JsonObject) narrow.vertx().eventBus().request(Addresses.Cache.GET, new JsonObject()
      .put("cache", "c").put("key", "kept")).await(10, TimeUnit.SECONDS).body();
    return reply.getBoolean("found", false);
  }
}
