package io.steward.schedule;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The schedule module on two real clustered nodes in this JVM (real Hazelcast, real HTTP, real time): the
 * addresses, the routes, once-per-cluster firing, every-node firing, pause, resume, trigger, failures recorded
 * in history, and jobs declared in configuration.
 */
class ScheduleModuleTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private static WebClient http;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(ScheduleModuleTest.class, 3);
    JsonObject extra = new JsonObject().put("http", new JsonObject().put("targets", new JsonArray().add("nowhere")))
      .put("schedule", new JsonObject()
      .put("historyFlushMs", 100)
      .put("jobs", new JsonArray().add(new JsonObject().put("name", "from-config").put("cron", "0 0 3 * * *")
        .put("zone", "Europe/Berlin").put("action", new JsonObject().put("type", "publish").put("address", "test.nowhere")))));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("http", "schedule"), extra);
    a = nodes.get(0);
    b = nodes.get(1);
    url = TestCluster.httpUrl(a).await(10, TimeUnit.SECONDS);
    http = WebClient.create(a.vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    cluster.close();
  }

  private static JsonObject call(StewardNode node, String address, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(address, body).await(20, TimeUnit.SECONDS).body();
  }

  private static ReplyException failure(StewardNode node, String address, Object body) {
    return catchThrowableOfType(ReplyException.class,
      () -> node.vertx().eventBus().request(address, body).await(20, TimeUnit.SECONDS));
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject job(String name, Object every, JsonObject action) {
    return new JsonObject().put("name", name).put("every", every).put("action", action);
  }

  private static JsonObject send(String address) {
    return new JsonObject().put("type", "send").put("address", address).put("reply", false);
  }

  /** Records the tick header of every message on an address, per node that sent it. */
  private static final class Fires {
    final List<Long> ticks = Collections.synchronizedList(new ArrayList<>());
    final Map<Long, Integer> perTick = Collections.synchronizedMap(new HashMap<>());
    final List<String> nodes = Collections.synchronizedList(new ArrayList<>());
    final MessageConsumer<Object> consumer;

    Fires(Vertx vertx, String address) throws Exception {
      consumer = vertx.eventBus().consumer(address, (Message<Object> m) -> {
        long tick = Long.parseLong(m.headers().get(ActionRunner.TICK_HEADER));
        ticks.add(tick);
        perTick.merge(tick, 1, Integer::sum);
        nodes.add(m.headers().get(ActionRunner.NODE_HEADER));
        if (m.replyAddress() != null) {
          m.reply(new JsonObject().put("ok", true));
        }
      });
      consumer.completion().await(10, TimeUnit.SECONDS);
    }

    int size() {
      return ticks.size();
    }

    void close() throws Exception {
      consumer.unregister().await(10, TimeUnit.SECONDS);
    }
  }

  /** Waits for a condition that does not block (counts kept by this test). */
  private static void await(String what, long timeoutMs, java.util.function.BooleanSupplier condition) throws Exception {
    Poll.until(a.vertx(), what, timeoutMs, () -> Future.succeededFuture(condition.getAsBoolean()))
      .await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Waits for a condition that asks the nodes over the bus. */
  private static void awaitAsync(String what, long timeoutMs, java.util.function.Supplier<Future<Boolean>> condition) throws Exception {
    Poll.until(a.vertx(), what, timeoutMs, condition).await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  private static Future<JsonArray> historyAsync(StewardNode node, String name) {
    return node.vertx().eventBus().request(Addresses.Schedule.HISTORY, new JsonObject().put("name", name))
      .map(m -> ((JsonObject) m.body()).getJsonArray("runs"));
  }

  private static JsonArray history(StewardNode node, String name) throws Exception {
    return call(node, Addresses.Schedule.HISTORY, new JsonObject().put("name", name)).getJsonArray("runs");
  }

  @Test
  void a_cluster_once_job_fires_once_per_tick_across_both_nodes() throws Exception {
    String name = unique("once");
    Fires fires = new Fires(a.vertx(), name + ".fires");
    try {
      JsonObject put = call(b, Addresses.Schedule.PUT, job(name, "1s", send(name + ".fires")));
      assertThat(put.getBoolean("created")).isTrue();
      assertThat(put.getString("nextFireAt")).isNotNull();
      await("4 fires", 20_000, () -> fires.size() >= 4);
      call(a, Addresses.Schedule.DELETE, new JsonObject().put("name", name));
      synchronized (fires.perTick) {
        assertThat(fires.perTick.values()).as("fires per tick").allMatch(n -> n == 1);
      }
      List<Long> ticks = new ArrayList<>(fires.ticks);
      Collections.sort(ticks);
      for (int i = 1; i < ticks.size(); i++) {
        assertThat(ticks.get(i) - ticks.get(i - 1)).isEqualTo(1_000);
      }
    } finally {
      fires.close();
    }
  }

  @Test
  void an_every_node_job_fires_on_each_node_at_each_tick() throws Exception {
    String name = unique("each");
    Fires fires = new Fires(a.vertx(), name + ".fires");
    try {
      call(a, Addresses.Schedule.PUT, job(name, "1s", send(name + ".fires")).put("runOn", "every-node"));
      await("two ticks fired by both nodes", 20_000, () -> {
        synchronized (fires.perTick) {
          return fires.perTick.values().stream().filter(n -> n == 2).count() >= 2;
        }
      });
      call(a, Addresses.Schedule.DELETE, new JsonObject().put("name", name));
      synchronized (fires.nodes) {
        assertThat(fires.nodes).contains(a.id(), b.id());
      }
      synchronized (fires.perTick) {
        assertThat(fires.perTick.values()).allMatch(n -> n <= 2);
      }
    } finally {
      fires.close();
    }
  }

  @Test
  void pause_stops_firing_resume_starts_again_and_trigger_runs_now() throws Exception {
    String name = unique("pausable");
    Fires fires = new Fires(a.vertx(), name + ".fires");
    try {
      call(a, Addresses.Schedule.PUT, job(name, "500ms", send(name + ".fires")));
      await("a first fire", 20_000, () -> fires.size() >= 1);
      JsonObject paused = call(b, Addresses.Schedule.PAUSE, new JsonObject().put("name", name));
      assertThat(paused.getBoolean("paused")).isTrue();
      assertThat(paused.getValue("nextFireAt")).isNull();
      // A tick in flight when the pause arrived may still land; after that, nothing for 4 periods.
      long pausedAt = System.currentTimeMillis();
      int[] seen = new int[] {fires.size()};
      long[] quietSince = new long[] {System.currentTimeMillis()};
      await("2 s without a fire while paused", 20_000, () -> {
        if (fires.size() != seen[0]) {
          seen[0] = fires.size();
          quietSince[0] = System.currentTimeMillis();
        }
        return System.currentTimeMillis() - quietSince[0] >= 2_000;
      });
      synchronized (fires.ticks) {
        assertThat(fires.ticks).allMatch(t -> t <= pausedAt + 100);
      }

      JsonObject run = call(b, Addresses.Schedule.TRIGGER, new JsonObject().put("name", name));
      assertThat(run.getString("outcome")).isEqualTo("succeeded");
      assertThat(run.getBoolean("trigger")).isTrue();
      await("the triggered run delivered", 10_000, () -> fires.size() == seen[0] + 1);

      int before = fires.size();
      JsonObject resumed = call(a, Addresses.Schedule.RESUME, new JsonObject().put("name", name));
      assertThat(resumed.getBoolean("paused")).isFalse();
      await("fires after resume", 20_000, () -> fires.size() >= before + 2);
      awaitAsync("the trigger and the missed ticks in history", 10_000, () -> historyAsync(a, name).map(runs -> {
        boolean trigger = runs.stream().anyMatch(r -> ((JsonObject) r).getBoolean("trigger", false));
        boolean missedWhilePaused = runs.stream().anyMatch(r -> "paused".equals(((JsonObject) r).getString("detail")));
        return trigger && missedWhilePaused;
      }));
      call(a, Addresses.Schedule.DELETE, new JsonObject().put("name", name));
    } finally {
      fires.close();
    }
  }

  @Test
  void an_action_without_a_handler_is_a_failed_run_in_history_and_the_scheduler_carries_on() throws Exception {
    String name = unique("nobody");
    call(a, Addresses.Schedule.PUT, job(name, "500ms", new JsonObject().put("type", "send")
      .put("address", "nobody.listens." + name).put("timeoutMs", 2_000)));
    awaitAsync("two failed runs", 20_000, () -> historyAsync(b, name)
      .map(runs -> runs.stream().filter(r -> "failed".equals(((JsonObject) r).getString("outcome"))).count() >= 2));
    JsonObject failed = history(b, name).getJsonObject(0);
    assertThat(failed.getString("error")).startsWith("503").contains("no handler for nobody.listens." + name);
    JsonObject got = call(a, Addresses.Schedule.GET, new JsonObject().put("name", name));
    assertThat(got.getJsonObject("runs").getLong("failed")).isGreaterThanOrEqualTo(2);
    assertThat(got.getJsonObject("lastRun").getString("outcome")).isEqualTo("failed");
    call(a, Addresses.Schedule.DELETE, new JsonObject().put("name", name));

    // A task action where no node runs the tasks module: 503, recorded, never a crash.
    String task = unique("no-tasks");
    JsonObject run = call(a, Addresses.Schedule.PUT, job(task, "1h", new JsonObject().put("type", "task")
      .put("task", new JsonObject().put("type", "echo")).put("timeoutMs", 2_000)));
    assertThat(run.getBoolean("created")).isTrue();
    JsonObject triggered = call(b, Addresses.Schedule.TRIGGER, new JsonObject().put("name", task));
    assertThat(triggered.getString("outcome")).isEqualTo("failed");
    assertThat(triggered.getString("error")).startsWith("503").contains("steward.tasks.run");
    call(a, Addresses.Schedule.DELETE, new JsonObject().put("name", task));
  }

  @Test
  void bad_input_is_refused_with_400_naming_the_field() {
    JsonObject action = send("x");
    Map<String, JsonObject> cases = new HashMap<>();
    cases.put("cron", new JsonObject().put("name", "j").put("cron", "not a cron").put("action", action));
    cases.put("zone", new JsonObject().put("name", "j").put("cron", "0 0 * * * *").put("zone", "Mars/Olympus").put("action", action));
    cases.put("every", new JsonObject().put("name", "j").put("every", 0).put("action", action));
    cases.put("action", new JsonObject().put("name", "j").put("every", "5m"));
    cases.put("action.address", new JsonObject().put("name", "j").put("every", "5m").put("action", new JsonObject().put("type", "send")));
    cases.put("action.type", new JsonObject().put("name", "j").put("every", "5m").put("action", new JsonObject().put("type", "email")));
    cases.put("colour", new JsonObject().put("name", "j").put("every", "5m").put("action", action).put("colour", "red"));
    cases.put("name", new JsonObject().put("every", "5m").put("action", action));
    cases.put("overlap", new JsonObject().put("name", "j").put("every", "5m").put("action", action).put("overlap", "sometimes"));
    cases.put("runOn", new JsonObject().put("name", "j").put("every", "5m").put("action", action).put("runOn", "everywhere"));
    cases.put("endAt", new JsonObject().put("name", "j").put("every", "5m").put("action", action)
      .put("startAt", "2030-01-01T00:00:00Z").put("endAt", "2029-01-01T00:00:00Z"));
    cases.forEach((field, body) -> {
      ReplyException e = failure(a, Addresses.Schedule.PUT, body);
      assertThat(e).as(field).isNotNull();
      assertThat(e.failureCode()).as(field).isEqualTo(400);
      assertThat(e.getMessage()).as(field).startsWith(field + ": ");
    });
    assertThat(failure(a, Addresses.Schedule.PUT, "not json").failureCode()).isEqualTo(400);
    assertThat(failure(a, Addresses.Schedule.GET, new JsonObject().put("name", "no-such-job")).failureCode()).isEqualTo(404);
    assertThat(failure(a, Addresses.Schedule.PAUSE, new JsonObject()).failureCode()).isEqualTo(400);
    assertThat(failure(a, Addresses.Schedule.LIST, new JsonObject().put("limit", 0)).failureCode()).isEqualTo(400);
  }

  @Test
  void jobs_declared_in_configuration_exist_on_start_and_are_listed_from_any_node() throws Exception {
    for (StewardNode node : List.of(a, b)) {
      JsonObject got = call(node, Addresses.Schedule.GET, new JsonObject().put("name", "from-config"));
      assertThat(got.getString("cron")).isEqualTo("0 0 3 * * *");
      assertThat(got.getString("zone")).isEqualTo("Europe/Berlin");
      assertThat(got.getString("nextFireAt")).isNotNull();
      awaitAsync("the job in " + node.id() + "'s list", 10_000, () -> node.vertx().eventBus()
        .request(Addresses.Schedule.LIST, new JsonObject().put("limit", 1000))
        .map(m -> ((JsonObject) m.body()).getJsonArray("jobs").stream()
          .anyMatch(j -> "from-config".equals(((JsonObject) j).getString("name")))));
    }
  }

  @Test
  void the_job_state_map_is_held_in_object_form_with_backups_and_both_maps_merge_by_our_policies() {
    com.hazelcast.config.MapConfig state = io.steward.spi.Cluster.hazelcast(b.vertx()).getConfig().findMapConfig(ScheduleNode.STATE);
    assertThat(state.getInMemoryFormat()).isEqualTo(com.hazelcast.config.InMemoryFormat.OBJECT);
    assertThat(state.getBackupCount()).isEqualTo(1);
    assertThat(state.getMergePolicyConfig().getPolicy()).isEqualTo(StateMergePolicy.class.getName());
    assertThat(io.steward.spi.Cluster.hazelcast(b.vertx()).getConfig().findMapConfig(JobStore.JOBS).getMergePolicyConfig().getPolicy())
      .isEqualTo(JobsMergePolicy.class.getName());
  }

  @Test
  void the_rest_routes_forward_to_the_addresses() throws Exception {
    String name = unique("http");
    JsonObject def = new JsonObject().put("cron", "@daily").put("zone", "America/New_York")
      .put("action", new JsonObject().put("type", "publish").put("address", "nowhere"));
    HttpResponse<Buffer> put = http.requestAbs(HttpMethod.PUT, url + "/schedules/" + name).sendJsonObject(def).await(20, TimeUnit.SECONDS);
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(put.bodyAsJsonObject().getString("cron")).isEqualTo("@daily");
    assertThat(put.bodyAsJsonObject().getBoolean("created")).isTrue();

    HttpResponse<Buffer> again = http.requestAbs(HttpMethod.PUT, url + "/schedules/" + name).sendJsonObject(def).await(20, TimeUnit.SECONDS);
    assertThat(again.bodyAsJsonObject().getBoolean("changed")).isFalse();

    HttpResponse<Buffer> get = http.getAbs(url + "/schedules/" + name).send().await(20, TimeUnit.SECONDS);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.bodyAsJsonObject().getString("zone")).isEqualTo("America/New_York");

    HttpResponse<Buffer> list = http.getAbs(url + "/schedules?limit=1").send().await(20, TimeUnit.SECONDS);
    assertThat(list.bodyAsJsonObject().getJsonArray("jobs")).hasSize(1);
    assertThat(list.bodyAsJsonObject().getInteger("count")).isGreaterThanOrEqualTo(2);

    HttpResponse<Buffer> paused = http.postAbs(url + "/schedules/" + name + "/pause").send().await(20, TimeUnit.SECONDS);
    assertThat(paused.bodyAsJsonObject().getBoolean("paused")).isTrue();
    HttpResponse<Buffer> history = http.getAbs(url + "/schedules/" + name + "/history?limit=5").send().await(20, TimeUnit.SECONDS);
    assertThat(history.statusCode()).isEqualTo(200);
    assertThat(history.bodyAsJsonObject().getJsonArray("runs")).isEmpty();

    HttpResponse<Buffer> bad = http.requestAbs(HttpMethod.PUT, url + "/schedules/" + name)
      .sendJsonObject(def.copy().put("every", "-1s").remove("cron") == null ? def : def.copy().put("cron", "0 0 * * *"))
      .await(20, TimeUnit.SECONDS);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("field")).isEqualTo("cron");
    HttpResponse<Buffer> mismatch = http.requestAbs(HttpMethod.PUT, url + "/schedules/" + name)
      .sendJsonObject(def.copy().put("name", "other")).await(20, TimeUnit.SECONDS);
    assertThat(mismatch.statusCode()).isEqualTo(400);
    assertThat(mismatch.bodyAsJsonObject().getString("field")).isEqualTo("name");

    HttpResponse<Buffer> typo = http.getAbs(url + "/schedules?limt=5").send().await(20, TimeUnit.SECONDS);
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(typo.bodyAsJsonObject().getString("field")).isEqualTo("limt");
    HttpResponse<Buffer> historyTypo = http.getAbs(url + "/schedules/" + name + "/history?after=x").send()
      .await(20, TimeUnit.SECONDS);
    assertThat(historyTypo.statusCode()).isEqualTo(400);
    assertThat(historyTypo.bodyAsJsonObject().getString("field")).isEqualTo("after");

    HttpResponse<Buffer> deleted = http.deleteAbs(url + "/schedules/" + name).send().await(20, TimeUnit.SECONDS);
    assertThat(deleted.bodyAsJsonObject().getBoolean("deleted")).isTrue();
    HttpResponse<Buffer> gone = http.getAbs(url + "/schedules/" + name).send().await(20, TimeUnit.SECONDS);
    assertThat(gone.statusCode()).isEqualTo(404);
  }

  /**
   * Campaign seeds 1013, 1021, 1026 and 1045: a delete sent to one node's HTTP API ran on another node's schedule
   * endpoint (the event bus picks any node with a consumer), one on the other side of a split still being detected
   * or merged (the asking node's bus still listed it); the delete held on that side only, and the asking node's side
   * fired the job until the merge. Through HTTP, a schedule write now runs on the node that was asked when it runs
   * the schedule module, so "the other side of a split" is the side the client did not talk to.
   */
  @Test
  void a_delete_over_http_runs_on_the_schedule_node_that_was_asked() throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String name = unique("here");
      call(b, Addresses.Schedule.PUT, job(name, "1h", send("test.nowhere")));
      names.add(name);
    }
    Map<String, String> deletedBy = Collections.synchronizedMap(new HashMap<>());
    MessageConsumer<JsonObject> events = a.vertx().eventBus().consumer(Addresses.Schedule.EVENTS, m -> {
      if ("deleted".equals(m.body().getString("event")) && names.contains(m.body().getString("name"))) {
        deletedBy.put(m.body().getString("name"), m.body().getString("node"));
      }
    });
    events.completion().await(10, TimeUnit.SECONDS);
    try {
      for (String name : names) {
        HttpResponse<Buffer> deleted = http.deleteAbs(url + "/schedules/" + name).send().await(20, TimeUnit.SECONDS);
        assertThat(deleted.statusCode()).as("%s", deleted.bodyAsString()).isEqualTo(200);
      }
      await("every delete's event", 10_000, () -> deletedBy.size() == names.size());
      assertThat(deletedBy.values()).as("the node whose schedule endpoint ran each delete asked through a's HTTP API")
        .containsOnly(a.id());
    } finally {
      events.unregister().await(10, TimeUnit.SECONDS);
    }
  }
}
