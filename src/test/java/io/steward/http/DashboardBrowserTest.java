package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The dashboard in a real headless browser: Debian's Chromium driven by {@code playwright-core} from npm
 * ({@code src/test/js/dashboard.js}), against real nodes. The script and this test talk over the script's
 * stdin and stdout: the script asks for a node to be started or stopped when its scenario needs it.
 *
 * <p>Node {@code guarded} asks for a token and lets bridge clients listen to the nodes and tasks events (the
 * recommended dashboard configuration); node {@code plain}, started while the page is open, has the defaults:
 * no token and empty bridge lists. The page pauses and resumes a supervisor (with a cluster limit) from its
 * supervisors panel, which shows it paused with a task queued. Screenshots: {@code target/dashboard.png} and {@code target/dashboard-down.png}.
 *
 * <p>Then, in the same browser and on the same node, the charts, dead letters and task detail
 * ({@code src/test/js/dashboard-charts.js}): the charts draw the node's live samples ({@code GET /metrics/series}),
 * read back from the page's uPlot instances. Screenshots: {@code target/screenshots/dashboard-charts-before.png} (the
 * charts before the load), {@code dashboard-charts.png} (after it), {@code dashboard-dead-letter.png} (a dead
 * letter's detail, three attempts) and {@code dashboard-task.png} (a running task's detail). One script run (one
 * Chromium, one node) serves both tests; each test asserts its own scenario's steps.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

  static final String TOKEN = "dashboard-test-token-0123456789abcdef";
  static final Path JS = Path.of("src/test/js");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** The schedules panel's scenario runs where the schedule module is built. */
  static final boolean SCHEDULE = BuiltModules.has("schedule");
  /** The workflows panel's scenario runs where the workflows module is built. */
  static final boolean WORKFLOWS = BuiltModules.has("workflows");
  static final Path SCREENSHOT = Path.of("target/dashboard.png");
  static final Path SCREENSHOT_DOWN = Path.of("target/dashboard-down.png");
  static final int BURST = 300;
  static final Path SCREENSHOTS = Path.of("target/screenshots");
  static final Path BEFORE = SCREENSHOTS.resolve("dashboard-charts-before.png");
  static final Path CHARTS = SCREENSHOTS.resolve("dashboard-charts.png");
  static final Path TASK = SCREENSHOTS.resolve("dashboard-task.png");
  static final Path DEAD_LETTER = SCREENSHOTS.resolve("dashboard-dead-letter.png");

  private static TestCluster cluster;
  private static StewardNode guarded;
  private static StewardNode plain;
  private static String url;
  /** The steps of the one script run both tests read (null until it ran), or how it failed. */
  private static Map<String, JsonObject> steps;
  private static Throwable failed;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(DashboardBrowserTest.class, 2);
    JsonObject config = new JsonObject()
      .put("http", new JsonObject().put("tokens", new JsonArray().add(TOKEN))
        .put("bridgeOutbound", new JsonArray().add(Addresses.Nodes.EVENTS).add(Addresses.Tasks.EVENTS).add("steward.schedule.events"))
        .put("targets", new JsonArray().add(new JsonObject().put("addressRegex", "dashboard\\.test\\..*"))))
      .put("cache", new JsonObject().put("caches", new JsonObject().put("users", new JsonObject().put("ttlSeconds", 300))))
      .put("tasks", new JsonObject().put("supervisors", new JsonObject()
        .put("mail", new JsonObject().put("workers", 1).put("maxQueued", 10).put("clusterLimit", 2))));
    List<String> modules = new java.util.ArrayList<>(BuiltModules.with(List.of("http", "tasks", "fanout", "cache"), "schedule"));
    if (WORKFLOWS) {
      modules.add("workflows");
    }
    guarded = cluster.start(modules, config).await(60, TimeUnit.SECONDS);
    // The service the workflows scenario's steps call.
    guarded.vertx().eventBus().<JsonObject>consumer("dashboard.test.step", m -> m.reply(new JsonObject().put("done", true)))
      .completion().await(10, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(guarded).await(10, TimeUnit.SECONDS);
    // Two entries, three hits and a miss: the page shows 2 entries and a 75 % hit ratio.
    var bus = guarded.vertx().eventBus();
    for (String key : new String[] {"ada", "grace"}) {
      bus.request(Addresses.Cache.PUT, new JsonObject().put("cache", "users").put("key", key).put("value", key))
        .await(10, TimeUnit.SECONDS);
    }
    for (String key : new String[] {"ada", "ada", "grace", "nobody"}) {
      bus.request(Addresses.Cache.GET, new JsonObject().put("cache", "users").put("key", key)).await(10, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  /** Runs the script once (both scenarios) and returns its steps; a failed run fails every test that asks. */
  private static synchronized Map<String, JsonObject> steps() throws Exception {
    if (steps == null && failed == null) {
      try {
        steps = runBoth();
      } catch (Exception | AssertionError e) {
        failed = e;
      }
    }
    if (failed != null) {
      throw new AssertionError("the dashboard script failed (see the cause)", failed);
    }
    return steps;
  }

  private static Map<String, JsonObject> runBoth() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      fail("Chromium is required by the dashboard browser test and is missing at " + CHROMIUM
        + ": install it with `apt-get install -y chromium` (.ci/run does it before `mvn -B verify`)");
    }
    if (!Files.isDirectory(JS.resolve("node_modules/playwright-core"))) {
      fail("playwright-core is not installed: run `npm ci` in " + JS.toAbsolutePath() + " (.ci/run does it before `mvn -B verify`)");
    }
    Files.createDirectories(SCREENSHOT.getParent());
    Files.deleteIfExists(SCREENSHOT);
    Files.createDirectories(SCREENSHOTS);
    for (Path p : List.of(BEFORE, CHARTS, TASK, DEAD_LETTER)) {
      Files.deleteIfExists(p);
    }
    JsonObject charts = new JsonObject().put("url", url).put("token", TOKEN).put("cache", "users").put("schedules", SCHEDULE)
      .put("burst", BURST).put("chromium", CHROMIUM.toString())
      .put("screenshots", new JsonObject().put("before", BEFORE.toAbsolutePath().toString())
        .put("charts", CHARTS.toAbsolutePath().toString())
        .put("task", TASK.toAbsolutePath().toString()).put("deadLetter", DEAD_LETTER.toAbsolutePath().toString())
        .put("failure", SCREENSHOTS.resolve("dashboard-charts-failure.png").toAbsolutePath().toString()));
    JsonObject config = new JsonObject().put("url", url).put("token", TOKEN).put("cache", "users").put("schedules", SCHEDULE)
      .put("workflows", WORKFLOWS).put("chromium", CHROMIUM.toString())
      .put("screenshots", new JsonObject().put("main", SCREENSHOT.toAbsolutePath().toString())
        .put("down", SCREENSHOT_DOWN.toAbsolutePath().toString())
        .put("failure", Path.of("target/dashboard-failure.png").toAbsolutePath().toString()))
      .put("charts", charts);
    return run(config);
  }

  @Test
  @Order(1)
  void the_dashboard_shows_the_cluster_live_in_a_real_browser() throws Exception {
    Map<String, JsonObject> steps = steps();

    JsonObject nodes = steps.get("shows-nodes");
    assertThat(nodes.getInteger("rows")).isEqualTo(1);
    assertThat(nodes.getString("firstNode")).isEqualTo(guarded.id());
    assertThat(nodes.getString("modules")).contains("tasks").contains("cache");
    assertThat(nodes.getString("bridge")).isEqualTo("bridge: live");
    assertThat(nodes.getString("token")).as("the token is kept in the tab's sessionStorage").isEqualTo(TOKEN);
    assertThat(steps.get("node-joined-live").getInteger("rows")).isEqualTo(2);

    assertThat(steps.get("task-appears").getString("state")).isEqualTo("running");
    assertThat(steps.get("task-cancelled-from-page").getString("state")).as("the API agrees").isEqualTo("cancelled");
    assertThat(steps).containsKey("task-succeeds-live");

    JsonObject cache = steps.get("cache-shows");
    assertThat(cache.getString("entries")).isEqualTo("2");
    assertThat(cache.getString("ratio")).isEqualTo("75.0 %");
    assertThat(cache.getString("hits")).isEqualTo("3");
    assertThat(cache.getString("misses")).isEqualTo("1");

    JsonObject paused = steps.get("supervisor-paused-shows");
    assertThat(paused.getBoolean("paused")).as("the API agrees the page paused it").isTrue();
    assertThat(paused.getString("taskState")).as("a task submitted while paused waits").isEqualTo("pending");
    assertThat(paused.getString("state")).startsWith("paused");
    assertThat(paused.getString("queued")).isEqualTo("1");
    assertThat(paused.getString("limit")).isEqualTo("at most 2 running");
    assertThat(paused.getString("button")).isEqualTo("Resume");
    assertThat(paused.getString("defaultState")).as("pausing one supervisor leaves the others running").isEqualTo("running");
    JsonObject resumed = steps.get("supervisor-resumed-from-page");
    assertThat(resumed.getBoolean("paused")).isFalse();
    assertThat(resumed.getString("state")).isEqualTo("running");

    if (SCHEDULE) {
      assertSchedules(steps);
    }
    if (WORKFLOWS) {
      assertWorkflows(steps);
    }

    assertThat(Files.size(SCREENSHOT)).as("screenshot %s", SCREENSHOT).isGreaterThan(10_000);
    assertThat(steps.get("screenshot").getJsonArray("problems")).as("console errors, page errors, failed requests").isEmpty();
    assertThat(steps.get("done").getJsonArray("problems")).as("console errors, page errors, failed requests").isEmpty();

    JsonObject notLive = steps.get("not-live-without-permission");
    assertThat(notLive.getString("nodesNote")).contains("steward.nodes.events").contains("http.bridgeOutbound");
    assertThat(notLive.getString("tasksNote")).contains("steward.tasks.events").contains("http.bridgeOutbound");
    assertThat(notLive.getJsonArray("problems")).as("a refused registration is no console error").isEmpty();

    JsonObject down = steps.get("node-down");
    assertThat(down.getString("bridge")).startsWith("bridge: down");
    assertThat(down.getString("banner")).startsWith("Cannot reach the node");

    JsonObject wrong = steps.get("wrong-token");
    assertThat(wrong.getString("message")).contains("refused").contains("401");
    assertThat(wrong.getBoolean("mainHidden")).isTrue();
    assertThat(wrong.getJsonArray("problems")).as("only the refused API call")
      .allSatisfy(p -> assertThat(((JsonObject) p).getString("text")).contains("401"));
  }

  @Test
  @Order(2)
  void the_charts_move_with_a_burst_of_tasks_and_a_task_is_cancelled_from_its_detail() throws Exception {
    Map<String, JsonObject> steps = steps();

    JsonObject throughput = steps.get("throughput-rises");
    assertThat(throughput.getJsonArray("labels")).containsExactly("started", "succeeded", "failed", "restarted");
    assertThat(throughput.getDouble("started")).as("the burst of %s tasks raised the started line", BURST)
      .isGreaterThanOrEqualTo(BURST / 20.0).isGreaterThan(throughput.getDouble("baseline"));
    assertThat(throughput.getDouble("succeeded")).as("and the succeeded line").isGreaterThan(0);
    assertThat(throughput.getJsonObject("canvas").getInteger("width")).as("a canvas was drawn").isGreaterThan(100);

    JsonObject queues = steps.get("queues-show");
    assertThat(queues.getJsonArray("labels")).contains("default queued", "default running", "default capacity");
    assertThat(queues.getDouble("capacity")).as("workers + maxQueued of the default supervisor").isEqualTo(16 + 10_000.0);

    JsonObject cache = steps.get("cache-ratio-shows");
    assertThat(cache.getJsonArray("labels")).contains("users hit ratio", "users evictions");
    assertThat(cache.getJsonArray("ratios")).as("3 hits and a miss, in one sample or spread over two")
      .anySatisfy(r -> assertThat(((Number) r).doubleValue()).isBetween(50.0, 100.0));

    if (SCHEDULE) {
      JsonObject lateness = steps.get("lateness-shows");
      assertThat(lateness.getJsonArray("labels")).containsExactly("lateness p50", "lateness p99", "missed");
      assertThat(lateness.getJsonArray("p99")).isNotEmpty();
    }
    assertThat(Files.size(CHARTS)).as("screenshot %s", CHARTS).isGreaterThan(20_000);
    assertThat(Files.size(BEFORE)).as("screenshot %s", BEFORE).isGreaterThan(10_000);

    JsonObject letter = steps.get("dead-letter-shows");
    assertThat(letter.getString("error")).contains("always fails (dashboard test)");
    JsonObject letterDetail = steps.get("dead-letter-detail");
    assertThat(letterDetail.getInteger("attempts")).as("maxRestarts 2: three attempts").isEqualTo(3);
    assertThat(letterDetail.getString("facts")).contains("reached its restart limit");
    assertThat(Files.size(DEAD_LETTER)).as("screenshot %s", DEAD_LETTER).isGreaterThan(5_000);

    JsonObject detail = steps.get("task-detail-shows");
    assertThat(detail.getString("state")).isEqualTo("running");
    assertThat(detail.getJsonArray("attempts")).hasSize(1);
    assertThat(detail.getJsonArray("attempts").getString(0)).contains("running");
    assertThat(Files.size(TASK)).as("screenshot %s", TASK).isGreaterThan(5_000);
    JsonObject cancelled = steps.get("task-cancelled-from-detail");
    assertThat(cancelled.getString("state")).as("the API agrees").isEqualTo("cancelled");
    assertThat(cancelled.getBoolean("cancelHidden")).isTrue();

    assertThat(steps.get("charts-done").getJsonArray("problems")).as("console errors, page errors, failed requests").isEmpty();
  }

  /** The workflows panel showed a succeeded workflow with its two steps, and a failed one with its step and error. */
  private static List<String> strings(JsonObject o, String field) {
    return o.getJsonArray(field).stream().map(String::valueOf).toList();
  }

  private static void assertWorkflows(Map<String, JsonObject> steps) {
    JsonObject shown = steps.get("workflows-show");
    assertThat(shown.getString("name")).isEqualTo("dashboard-ok");
    assertThat(shown.getString("id")).isEqualTo(shown.getString("okId"));
    assertThat(shown.getString("apiState")).as("the API agrees").isEqualTo("succeeded");
    assertThat(strings(shown, "steps")).containsExactly("first", "second");
    assertThat(strings(shown, "stepStates")).containsExactly("first: succeeded", "second: succeeded");
    assertThat(shown.getString("badState")).isEqualTo("failed");
    assertThat(strings(shown, "badSteps")).containsExactly("lonely: failed");
    assertThat(shown.getString("badError")).as("the failed workflow's error names its step").contains("lonely");
  }

  /** The page showed the schedules, paused, triggered and resumed one, and showed a failing one's error. */
  private static void assertSchedules(Map<String, JsonObject> steps) {
    JsonObject schedule = steps.get("schedule-shows");
    assertThat(schedule.getString("when")).isEqualTo("every 2s");
    assertThat(schedule.getString("action")).isEqualTo("publish dashboard.test.heartbeat");
    assertThat(schedule.getString("state")).isEqualTo("active");
    assertThat(schedule.getString("next")).matches("now|in [0-9.]+ (ms|s)");
    assertThat(schedule.getString("last")).startsWith("succeeded");
    JsonObject paused = steps.get("schedule-paused-from-page");
    assertThat(paused.getBoolean("paused")).as("the API agrees the page paused it").isTrue();
    assertThat(paused.getString("state")).isEqualTo("paused");
    assertThat(paused.getString("next")).isEqualTo("(paused)");
    assertThat(steps.get("schedule-triggered-from-page").getString("last")).startsWith("succeeded").contains("(trigger)");
    assertThat(steps.get("schedule-resumed-from-page").getBoolean("paused")).isFalse();
    JsonObject failed = steps.get("schedule-failure-shows");
    assertThat(failed.getString("when")).isEqualTo("0 30 2 * * * Europe/Berlin");
    assertThat(failed.getString("last")).startsWith("failed").contains("dashboard.test.nobody");
    assertThat(failed.getString("notice")).startsWith("Triggered report: the run failed");
  }

  /** Runs the script, answers its requests, and returns its steps by name; fails on a failed step. */
  private static Map<String, JsonObject> run(JsonObject config) throws Exception {
    File stderr = File.createTempFile("dashboard", ".err");
    Process process = new ProcessBuilder("node", "dashboard.js", config.encode())
      .directory(JS.toFile()).redirectError(stderr).start();
    Map<String, JsonObject> steps = new LinkedHashMap<>();
    StringBuilder transcript = new StringBuilder();
    // The script bounds itself (150 s, 350 s with the charts); this is the backstop.
    Thread killer = new Thread(() -> {
      try {
        if (!process.waitFor(380, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    killer.setDaemon(true);
    killer.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
      String line;
      while ((line = out.readLine()) != null) {
        transcript.append(line).append('\n');
        JsonObject message = new JsonObject(line);
        if (message.containsKey("wait")) {
          in.write(answer(message.getString("wait")).encode() + "\n");
          in.flush();
        } else if (Boolean.FALSE.equals(message.getBoolean("ok"))) {
          fail("the dashboard scenario failed at " + message.getString("step") + ": " + message.getString("error")
            + "\ntranscript:\n" + transcript + "stderr:\n" + Files.readString(stderr.toPath()));
        } else {
          steps.put(message.getString("step"), message);
        }
      }
      process.waitFor(30, TimeUnit.SECONDS);
      assertThat(process.exitValue()).as("node exit code; transcript:\n%s\nstderr:\n%s", transcript,
        Files.readString(stderr.toPath())).isZero();
      return steps;
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(stderr.toPath());
    }
  }

  private static JsonObject answer(String request) throws Exception {
    switch (request) {
      case "start-second-node" -> {
        plain = cluster.start(List.of("http")).await(60, TimeUnit.SECONDS);
        return new JsonObject().put("id", plain.id()).put("url", TestCluster.httpUrl(plain).await(10, TimeUnit.SECONDS));
      }
      case "stop-second-node" -> {
        cluster.stop(plain).await(60, TimeUnit.SECONDS);
        return new JsonObject().put("stopped", plain.id());
      }
      default -> throw new IOException("the dashboard script asked for '" + request + "', which this test does not know");
    }
  }
}
