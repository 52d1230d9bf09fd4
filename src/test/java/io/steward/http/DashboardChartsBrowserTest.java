package io.steward.http;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
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
 * The dashboard's charts, dead letters and task detail in a real headless browser (Debian's Chromium driven by
 * {@code playwright-core}, {@code src/test/js/dashboard-charts.js}), against a real node: the charts draw this node's
 * live samples ({@code GET /metrics/series}), read back from the page's uPlot instances. Screenshots:
 * {@code target/screenshots/dashboard-charts-before.png} (the charts before the load), {@code dashboard-charts.png}
 * (after it), {@code dashboard-dead-letter.png} (a dead letter's detail, three attempts) and {@code dashboard-task.png}
 * (a running task's detail).
 */
class DashboardChartsBrowserTest {

  static final String TOKEN = "dashboard-charts-token-0123456789abcdef";
  static final boolean SCHEDULE = BuiltModules.has("schedule");
  static final int BURST = 300;
  static final Path SCREENSHOTS = Path.of("target/screenshots");
  static final Path BEFORE = SCREENSHOTS.resolve("dashboard-charts-before.png");
  static final Path CHARTS = SCREENSHOTS.resolve("dashboard-charts.png");
  static final Path TASK = SCREENSHOTS.resolve("dashboard-task.png");
  static final Path DEAD_LETTER = SCREENSHOTS.resolve("dashboard-dead-letter.png");

  private static TestCluster cluster;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(DashboardChartsBrowserTest.class, 1);
    JsonObject config = new JsonObject()
      .put("http", new JsonObject().put("tokens", new JsonArray().add(TOKEN))
        .put("bridgeOutbound", new JsonArray().add(Addresses.Nodes.EVENTS).add(Addresses.Tasks.EVENTS).add("steward.schedule.events"))
        .put("targets", new JsonArray().add(new JsonObject().put("addressRegex", "dashboard\\.test\\..*"))))
      .put("cache", new JsonObject().put("caches", new JsonObject().put("users", new JsonObject().put("ttlSeconds", 300))));
    StewardNode node = cluster.start(BuiltModules.with(List.of("http", "tasks", "cache"), "schedule"), config)
      .await(60, TimeUnit.SECONDS);
    url = TestCluster.httpUrl(node).await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void the_charts_move_with_a_burst_of_tasks_and_a_task_is_cancelled_from_its_detail() throws Exception {
    if (!Files.isExecutable(DashboardBrowserTest.CHROMIUM)) {
      fail("Chromium is required by the dashboard browser test and is missing at " + DashboardBrowserTest.CHROMIUM
        + ": install it with `apt-get install -y chromium` (.ci/run does it before `mvn -B verify`)");
    }
    if (!Files.isDirectory(DashboardBrowserTest.JS.resolve("node_modules/playwright-core"))) {
      fail("playwright-core is not installed: run `npm ci` in " + DashboardBrowserTest.JS.toAbsolutePath()
        + " (.ci/run does it before `mvn -B verify`)");
    }
    Files.createDirectories(SCREENSHOTS);
    Files.deleteIfExists(BEFORE);
    Files.deleteIfExists(CHARTS);
    Files.deleteIfExists(TASK);
    Files.deleteIfExists(DEAD_LETTER);
    JsonObject config = new JsonObject().put("url", url).put("token", TOKEN).put("cache", "users").put("schedules", SCHEDULE)
      .put("burst", BURST).put("chromium", DashboardBrowserTest.CHROMIUM.toString())
      .put("screenshots", new JsonObject().put("before", BEFORE.toAbsolutePath().toString())
        .put("charts", CHARTS.toAbsolutePath().toString())
        .put("task", TASK.toAbsolutePath().toString()).put("deadLetter", DEAD_LETTER.toAbsolutePath().toString())
        .put("failure", SCREENSHOTS.resolve("dashboard-charts-failure.png").toAbsolutePath().toString()));

    Map<String, JsonObject> steps = run(config);

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

    assertThat(steps.get("done").getJsonArray("problems")).as("console errors, page errors, failed requests").isEmpty();
  }

  /** Runs the script and returns its steps by name; fails on a failed step. */
  private static Map<String, JsonObject> run(JsonObject config) throws Exception {
    File stderr = File.createTempFile("dashboard-charts", ".err");
    Process process = new ProcessBuilder("node", "dashboard-charts.js", config.encode())
      .directory(DashboardBrowserTest.JS.toFile()).redirectError(stderr).start();
    process.getOutputStream().close();
    Map<String, JsonObject> steps = new LinkedHashMap<>();
    StringBuilder transcript = new StringBuilder();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      // The script bounds itself (200 s); the backstop is the process kill in finally.
      String line;
      while ((line = out.readLine()) != null) {
        transcript.append(line).append('\n');
        JsonObject message = new JsonObject(line);
        if (Boolean.FALSE.equals(message.getBoolean("ok"))) {
          fail("the dashboard charts scenario failed at " + message.getString("step") + ": " + message.getString("error")
            + "\ntranscript:\n" + transcript + "stderr:\n" + Files.readString(stderr.toPath()));
        }
        steps.put(message.getString("step"), message);
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("node exit code; transcript:\n%s\nstderr:\n%s", transcript,
        Files.readString(stderr.toPath())).isZero();
      return steps;
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(stderr.toPath());
    }
  }
}
