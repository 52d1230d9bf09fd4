package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.PrometheusText;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Steward's own meters in {@code /metrics}, after real work through every module on one node: tasks that
 * succeed, fail, restart and reach the dead letters; a fan-out and a gather; cache reads, writes and evictions;
 * bridge connections and refusals; schedules whose runs succeed, fail, are skipped and missed. Read back from the Prometheus text the way a scraper reads it, with the token.
 */
class MetricsTest {

  static final String TOKEN = "metrics-test-token-0123456789abcdef";
  /** Label values that look like ids (UUIDs, task ids, long hex): they would make a series per request. */
  private static final Pattern ID_LIKE = Pattern.compile(".*([0-9a-f]{8}-[0-9a-f]{4}|[0-9a-f]{12,}).*");

  private static TestCluster cluster;
  private static StewardNode node;
  private static WebClient client;
  private static String url;
  private static int bridgePort;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(MetricsTest.class, 1);
    JsonObject config = new JsonObject()
      .put("http", new JsonObject().put("tokens", new JsonArray().add(TOKEN))
        .put("targets", new JsonArray().add(new JsonObject().put("addressRegex", "metrics\\.test\\..*"))))
      .put("bridge", new JsonObject().put("port", 0).put("inbound", new JsonArray().add(Addresses.Nodes.LIST)))
      // A maxSize below one entry per partition: every put beyond the first of a partition evicts.
      .put("cache", new JsonObject().put("caches", new JsonObject()
        .put("users", new JsonObject())
        .put("tiny", new JsonObject().put("maxSize", 1))))
      .put("tasks", new JsonObject().put("backoffMs", 10).put("maxBackoffMs", 50));
    node = cluster.start(BuiltModules.with(List.of("http", "tasks", "fanout", "cache", "bridge"), "schedule"), config).await(60, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
    client = WebClient.create(node.vertx());
    String bridgeUrl = node.vertx().eventBus().request(Addresses.moduleHealth(node.id(), "bridge"), new JsonObject(),
        new DeliveryOptions().setLocalOnly(true))
      .map(r -> ((JsonObject) r.body()).getString("url")).await(10, TimeUnit.SECONDS);
    bridgePort = Integer.parseInt(bridgeUrl.replaceAll(".*:", ""));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static HttpResponse<Buffer> http(io.vertx.core.http.HttpMethod method, String path, JsonObject body) throws Exception {
    var request = client.requestAbs(method, url + path).putHeader("Authorization", "Bearer " + TOKEN);
    return (body == null ? request.send() : request.sendJsonObject(body)).await(30, TimeUnit.SECONDS);
  }

  private static PrometheusText scrape() throws Exception {
    HttpResponse<Buffer> r = http(io.vertx.core.http.HttpMethod.GET, "/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    return PrometheusText.parse(r.bodyAsString());
  }

  @Test
  void metrics_shows_stewards_meters_after_work_through_every_module() throws Exception {
    Vertx vertx = node.vertx();
    var POST = io.vertx.core.http.HttpMethod.POST;
    var GET = io.vertx.core.http.HttpMethod.GET;
    var PUT = io.vertx.core.http.HttpMethod.PUT;

    // Tasks: 5 that succeed, 1 that fails, 1 transient one that fails, is restarted twice, then dead-lettered.
    for (int i = 0; i < 5; i++) {
      assertThat(http(POST, "/tasks/run", new JsonObject().put("type", "echo").put("payload", i)).statusCode()).isEqualTo(200);
    }
    assertThat(http(POST, "/tasks/run", new JsonObject().put("type", "fail").put("payload",
      new JsonObject().put("message", "boom"))).statusCode()).isEqualTo(500);
    assertThat(http(POST, "/tasks/run", new JsonObject().put("type", "fail").put("restart", "transient")
      .put("maxRestarts", 2).put("withinMs", 60_000)).statusCode()).isEqualTo(500);

    // Fan-out: a run of 3 items and a gather of the one node.
    JsonObject run = http(POST, "/fanout", new JsonObject().put("type", "echo").put("items", new JsonArray().add(1).add(2).add(3)))
      .bodyAsJsonObject();
    assertThat(run.getString("outcome")).isEqualTo("satisfied");
    assertThat(http(POST, "/fanout/gather", new JsonObject().put("verb", "info")).statusCode()).isEqualTo(200);

    // Cache: 2 puts, 3 hits, 1 miss on "users"; 600 puts into "tiny", which evicts.
    http(PUT, "/caches/users/a", new JsonObject().put("value", 1));
    http(PUT, "/caches/users/b", new JsonObject().put("value", 2));
    for (String key : new String[] {"a", "b", "a"}) {
      assertThat(http(GET, "/caches/users/" + key, null).statusCode()).isEqualTo(200);
    }
    assertThat(http(GET, "/caches/users/nobody", null).statusCode()).isEqualTo(404);
    JsonObject entries = new JsonObject();
    for (int i = 0; i < 600; i++) {
      entries.put("k" + i, i);
    }
    assertThat(http(POST, "/caches/tiny/putAll", new JsonObject().put("entries", entries)).statusCode()).isEqualTo(200);

    // Bridges: a TCP connection that stays open while we scrape, and a frame to an address not permitted.
    try (Socket socket = new Socket("127.0.0.1", bridgePort)) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] frame = new JsonObject().put("type", "send").put("address", "steward.forbidden").put("body", new JsonObject())
        .put("replyAddress", "r1").encode().getBytes(StandardCharsets.UTF_8);
      out.writeInt(frame.length);
      out.write(frame);
      out.flush();
      byte[] reply = new byte[in.readInt()];
      in.readFully(reply);
      assertThat(new String(reply, StandardCharsets.UTF_8)).contains("\"err\"");
      // And a SockJS connection without a token.
      assertThat(client.getAbs(url + "/eventbus/info").send().await(10, TimeUnit.SECONDS).statusCode()).isEqualTo(401);

      Poll.until(vertx, "the dead-lettered task and the evictions are counted", 30_000, () -> scrapeAsync()
        .map(m -> m.value("steward_tasks_dead_letters_total", "type", "fail") >= 1
          && m.value("steward_cache_evictions_total", "cache", "tiny") > 0)).await(40, TimeUnit.SECONDS);
      PrometheusText m = scrape();

      // The node's wall clock against the cluster clock: one member, so none.
      assertThat(Math.abs(m.value("steward_node_clock_offset_seconds"))).isLessThan(1.0);

      // Tasks, by state, type and supervisor.
      assertThat(m.value("steward_tasks_submitted_total", "supervisor", "default", "type", "echo")).isEqualTo(5 + 3); // and the fan-out's items
      assertThat(m.value("steward_tasks_finished_total", "supervisor", "default", "type", "echo", "state", "succeeded")).isEqualTo(5 + 3);
      assertThat(m.value("steward_tasks_finished_total", "type", "fail", "state", "failed")).isEqualTo(2);
      assertThat(m.value("steward_tasks_started_total", "type", "fail")).isEqualTo(4); // 1 + 3 attempts
      assertThat(m.value("steward_tasks_restarts_total", "type", "fail", "reason", "failed")).isEqualTo(2);
      assertThat(m.value("steward_tasks_dead_letters_total", "type", "fail")).isEqualTo(1);
      assertThat(m.value("steward_tasks_queued", "supervisor", "default")).isZero();
      assertThat(m.value("steward_tasks_running", "supervisor", "default")).isZero();
      assertThat(m.value("steward_tasks_zombies", "supervisor", "default")).isZero();
      assertThat(m.value("steward_tasks_capacity", "supervisor", "default")).isEqualTo(16 + 10_000);
      assertThat(m.find("steward_tasks_rejected_total", "supervisor", "default")).hasSize(1);

      // Fan-out: runs and items by outcome, sizes and durations.
      assertThat(m.value("steward_fanout_runs_total", "kind", "run", "outcome", "satisfied")).isEqualTo(1);
      assertThat(m.value("steward_fanout_runs_total", "kind", "gather", "outcome", "satisfied")).isEqualTo(1);
      assertThat(m.value("steward_fanout_items_total", "kind", "run", "status", "ok")).isEqualTo(3);
      assertThat(m.value("steward_fanout_size_items_count", "kind", "run")).isEqualTo(1);
      assertThat(m.value("steward_fanout_size_items_sum", "kind", "run")).isEqualTo(3);
      assertThat(m.value("steward_fanout_size_items_bucket", "kind", "run", "le", "1.0")).isZero();
      assertThat(m.value("steward_fanout_size_items_bucket", "kind", "run", "le", "10.0")).isEqualTo(1);
      assertThat(m.value("steward_fanout_duration_seconds_count", "kind", "gather", "outcome", "satisfied")).isEqualTo(1);
      assertThat(m.value("steward_fanout_duration_seconds_sum", "kind", "run")).isGreaterThan(0).isLessThan(30);
      assertThat(m.value("steward_fanout_active", "kind", "run")).isZero();

      // Cache, per cache.
      assertThat(m.value("steward_cache_gets_total", "cache", "users", "result", "hit")).isEqualTo(3);
      assertThat(m.value("steward_cache_gets_total", "cache", "users", "result", "miss")).isEqualTo(1);
      assertThat(m.value("steward_cache_puts_total", "cache", "users")).isEqualTo(2);
      assertThat(m.value("steward_cache_puts_total", "cache", "tiny")).isEqualTo(600);
      assertThat(m.value("steward_cache_evictions_total", "cache", "tiny")).isGreaterThan(0);
      assertThat(m.value("steward_cache_evictions_total", "cache", "users")).isZero();
      assertThat(m.value("steward_cache_owned_entries", "cache", "users")).isEqualTo(2);
      assertThat(m.value("steward_cache_owned_entries", "cache", "tiny")).isGreaterThan(0).isLessThan(600);

      // Bridges: the open TCP connection, the refused frame, the SockJS connection without a token.
      assertThat(m.value("steward_bridge_connections", "bridge", "tcp")).isEqualTo(1);
      assertThat(m.value("steward_bridge_refusals_total", "bridge", "tcp", "reason", "inbound")).isEqualTo(1);
      assertThat(m.value("steward_bridge_refusals_total", "bridge", "sockjs", "reason", "token")).isEqualTo(1);

      assertConventions(m);
    }
  }

  @Test
  void metrics_shows_schedule_runs_by_outcome_lateness_claims_and_missed_ticks() throws Exception {
    assumeTrue(BuiltModules.has("schedule"), "the schedule module is not in this build");
    Vertx vertx = node.vertx();
    var PUT = io.vertx.core.http.HttpMethod.PUT;
    var POST = io.vertx.core.http.HttpMethod.POST;
    // A consumer slower than the period: with overlap skip, the ticks in between are skipped.
    vertx.eventBus().consumer("metrics.test.slow", msg -> vertx.setTimer(700, t -> msg.reply(new JsonObject())))
      .completion().await(10, TimeUnit.SECONDS);
    JsonObject beat = new JsonObject().put("every", "200ms").put("action", new JsonObject().put("type", "publish")
      .put("address", "metrics.test.beat"));
    JsonObject failing = new JsonObject().put("every", "200ms").put("action", new JsonObject().put("type", "send")
      .put("address", "metrics.test.nobody").put("timeoutMs", 1000));
    JsonObject slow = new JsonObject().put("every", "200ms").put("action", new JsonObject().put("type", "send")
      .put("address", "metrics.test.slow").put("timeoutMs", 5000));
    for (var job : List.of(Map.entry("beat", beat), Map.entry("failing", failing), Map.entry("slow", slow),
        Map.entry("paused", beat.copy()))) {
      assertThat(http(PUT, "/schedules/" + job.getKey(), job.getValue()).statusCode()).isEqualTo(200);
    }
    // Ticks that pass while a job is paused are recorded as missed when it resumes.
    JsonObject paused = http(POST, "/schedules/paused/pause", null).bodyAsJsonObject();
    long pausedAt = Instant.parse(paused.getString("pausedAt")).toEpochMilli();
    Poll.until(vertx, "three periods of the paused job have passed", 30_000,
      () -> Future.succeededFuture(System.currentTimeMillis() > pausedAt + 3 * 200)).await(40, TimeUnit.SECONDS);
    assertThat(http(POST, "/schedules/paused/resume", null).statusCode()).isEqualTo(200);

    Poll.until(vertx, "runs of every outcome are counted", 30_000, () -> scrapeAsync().map(m ->
        m.value("steward_schedule_runs_total", "outcome", "succeeded") >= 3
          && m.value("steward_schedule_runs_total", "outcome", "failed") >= 1
          && m.value("steward_schedule_runs_total", "outcome", "skipped") >= 1
          && m.value("steward_schedule_runs_total", "outcome", "missed") >= 1))
      .await(40, TimeUnit.SECONDS);
    for (String job : List.of("beat", "failing", "slow", "paused")) {
      http(io.vertx.core.http.HttpMethod.DELETE, "/schedules/" + job, null);
    }
    PrometheusText m = scrape();

    double started = m.value("steward_schedule_runs_total", "outcome", "succeeded")
      + m.value("steward_schedule_runs_total", "outcome", "failed");
    assertThat(m.value("steward_schedule_lateness_seconds_count")).as("every run that started has its lateness")
      .isGreaterThanOrEqualTo(started); // recorded when a run starts, the outcome when it ends
    assertThat(m.value("steward_schedule_lateness_seconds_sum")).isGreaterThanOrEqualTo(0);
    assertThat(m.find("steward_schedule_lateness_seconds_bucket")).as("a histogram: Prometheus takes its quantiles").isNotEmpty();
    assertThat(m.value("steward_schedule_run_duration_seconds_count")).isGreaterThan(0);
    assertThat(m.value("steward_schedule_claims_total", "result", "won")).isGreaterThanOrEqualTo(started);
    assertThat(m.value("steward_schedule_claims_total", "result", "error")).isZero();
    assertThat(m.value("steward_schedule_abandoned_claims_total")).isZero();
    assertThat(m.value("steward_schedule_jobs")).as("all four deleted").isZero();
    assertThat(m.value("steward_schedule_tombstones")).as("a tombstone for each deleted job").isGreaterThanOrEqualTo(4);
    assertThat(m.value("steward_schedule_fenced")).isZero();
    assertConventions(m);
  }

  /** Every Steward family: Prometheus-style name, help text, and no label value that is an id. */
  private static void assertConventions(PrometheusText m) {
    Set<String> families = new TreeSet<>();
    m.types().keySet().stream().filter(f -> f.startsWith("steward_")).forEach(families::add);
    assertThat(families).isNotEmpty();
    List<String> problems = new ArrayList<>();
    for (String family : families) {
      if (!family.matches("steward_(node|bus|http|tasks|fanout|schedule|cache|bridge)_[a-z][a-z0-9_]*")) {
        problems.add(family + ": not steward_<module>_<what>");
      }
      String help = m.help(family);
      if (help == null || help.isBlank()) {
        problems.add(family + ": no help text");
      }
      String type = m.type(family);
      if ("counter".equals(type) != family.endsWith("_total")) {
        problems.add(family + ": " + type + " (counters, and only counters, end in _total)");
      }
      if (m.samples().stream().noneMatch(s -> s.name().startsWith(family))) {
        problems.add(family + ": no samples");
      }
    }
    m.samples().stream().filter(s -> s.name().startsWith("steward_")).forEach(s -> s.labels().forEach((k, v) -> {
      if (!k.equals("address") && ID_LIKE.matcher(v).matches()) {
        problems.add(s.name() + ": label " + k + "=" + v + " looks like an id (one series per request)");
      }
    }));
    assertThat(problems).isEmpty();
  }

  private static Future<PrometheusText> scrapeAsync() {
    return client.getAbs(url + "/metrics").putHeader("Authorization", "Bearer " + TOKEN).send()
      .map(r -> PrometheusText.parse(r.bodyAsString()));
  }
}
