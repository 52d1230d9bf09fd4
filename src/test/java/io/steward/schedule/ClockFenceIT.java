package io.steward.schedule;

import io.steward.testing.BridgeFires;
import io.steward.testing.BridgeFires.Fire;
import io.steward.testing.FreePorts;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The clock fence (issue 15, item 11): two schedule nodes as separate JVMs, the second one's wall clock 10 s ahead
 * (libfaketime, started as in {@link ClockSkewIT}), default settings (so {@code schedule.clockFenceMs} is 5 s).
 * Eight cluster-once jobs and one every-node job fire every 500 ms; every fire is counted outside the cluster,
 * through the first node's TCP bridge. The skewed node must fire no cluster-once tick at all (the other node fires
 * all of them), still fire the every-node job on time, and say why it is fenced in {@code /nodes}, {@code /health},
 * its metrics and its log.
 */
class ClockFenceIT {

  private static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
  private static final String ADDRESS = "it.clockfence.fires";
  private static final int JOBS = 8;
  private static final long PERIOD_MS = 500;
  private static final long SKEW_MS = 10_000;
  private static final String EVERY_NODE = "fence-every";

  private static ProcessCluster cluster;
  private static NodeProcess plain;
  private static NodeProcess skewed;
  private static BridgeFires fires;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isRegularFile(LIBFAKETIME)) {
      assertThat(System.getenv("CI")).as("CI=true and no %s: apt-get install faketime", LIBFAKETIME).isNotEqualTo("true");
      assumeTrue(false, "libfaketime is not installed (apt-get install faketime): " + LIBFAKETIME);
    }
    cluster = ProcessCluster.create(ClockFenceIT.class, 3)
      .env("STEWARD_MODULES", "http,schedule,bridge")
      .env("STEWARD_BRIDGE_OUTBOUND", new JsonArray().add(ADDRESS).encode())
      .env("STEWARD_HTTP_TARGETS", new JsonArray().add(ADDRESS).encode());
    plain = cluster.add(Map.of("STEWARD_BRIDGE_PORT", Integer.toString(FreePorts.one())));
    cluster.awaitHealthy(plain, 90_000);
    // The preload library directly, not the faketime wrapper (see ClockSkewIT).
    skewed = cluster.add(Map.of("STEWARD_BRIDGE_PORT", Integer.toString(FreePorts.one()),
      "LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", "+" + SKEW_MS / 1_000 + "s"));
    cluster.awaitHealthy(skewed, 90_000);
    cluster.awaitNodeCount(plain, 2, 60_000);

    fires = BridgeFires.listen(List.of(plain), ADDRESS);

    for (int i = 0; i < JOBS; i++) {
      put("fence-" + i, new JsonObject());
    }
    put(EVERY_NODE, new JsonObject().put("runOn", "every-node"));
  }

  private static void put(String name, JsonObject extra) {
    JsonObject job = new JsonObject().put("every", PERIOD_MS + "ms")
      .put("action", new JsonObject().put("type", "publish").put("address", ADDRESS)).mergeIn(extra);
    NodeProcess.Response put = plain.put("/schedules/" + name, job.encode());
    assertThat(put.status()).as(put.body()).isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fires != null) {
      fires.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject entry(NodeProcess asked, NodeProcess node) {
    return asked.get("/nodes").json().getJsonArray("nodes").stream().map(o -> (JsonObject) o)
      .filter(n -> node.name().equals(n.getString("name"))).findFirst().orElseThrow();
  }

  /** The schedule module's part of {@code GET /health} (the {@code node} check's data). */
  private static JsonObject scheduleHealth(NodeProcess node) {
    JsonObject health = node.get("/health").json();
    return health.getJsonArray("checks").stream().map(c -> (JsonObject) c).filter(c -> "node".equals(c.getString("id")))
      .findFirst().orElseThrow(() -> new AssertionError("/health: " + health.encode()))
      .getJsonObject("data").getJsonObject("schedule");
  }

  private static long fires(String node, boolean everyNode) {
    return fires.all().stream().filter(a -> a.node().equals(node) && EVERY_NODE.equals(a.job()) == everyNode).count();
  }

  @Test
  void a_node_whose_clock_is_beyond_the_bound_fires_no_cluster_once_tick_and_names_its_fence() throws Exception {
    String skewedId = entry(plain, skewed).getString("id");
    String plainId = entry(plain, plain).getString("id");
    // 40 rounds of ticks: every cluster-once job fires on the other node, the every-node job on both.
    cluster.await("every cluster-once job fired 20 times, the every-node job 20 times on each node", 60_000, () ->
      java.util.stream.IntStream.range(0, JOBS).allMatch(i -> fires.all().stream()
        .filter(a -> a.job().equals("fence-" + i)).count() >= 20)
        && fires(skewedId, true) >= 20 && fires(plainId, true) >= 20);

    List<Fire> fencedFires = fires.all().stream().filter(a -> a.node().equals(skewedId) && !EVERY_NODE.equals(a.job())).toList();
    assertThat(fencedFires).as("cluster-once ticks fired by the node %d ms ahead (%d of %d fires)%s", SKEW_MS,
      fencedFires.size(), fires.all().size(), cluster.logs(20)).isEmpty();
    List<Fire> early = fires.all().stream().filter(a -> a.receivedAt() < a.tick() - 100).toList();
    assertThat(early).as("fires that arrived more than 100 ms before their tick").isEmpty();

    // Why, from outside: /nodes (asked of either node), /health, the gauges and the log.
    cluster.await("/nodes names the skewed node's fence", 15_000,
      () -> entry(plain, skewed).getString("scheduleFence", "").contains("ahead of the cluster clock"));
    JsonObject skewedEntry = entry(plain, skewed);
    assertThat(skewedEntry.getString("scheduleFence")).as("/nodes: %s", skewedEntry.encode())
      .contains("schedule.clockFenceMs");
    assertThat(entry(plain, plain).containsKey("scheduleFence")).as("/nodes: the plain node is not fenced").isFalse();
    JsonObject schedule = scheduleHealth(skewed);
    assertThat(schedule.getBoolean("fenced")).as("/health: %s", schedule.encode()).isTrue();
    assertThat(schedule.getBoolean("clockFenced")).as("/health: %s", schedule.encode()).isTrue();
    assertThat(schedule.getString("fenceReason")).contains("ahead of the cluster clock");
    String metrics = skewed.get("/metrics").body();
    assertThat(metrics.lines().filter(l -> l.startsWith("steward_schedule_clock_fenced")).findFirst().orElse(""))
      .as("the clock fence gauge").matches("steward_schedule_clock_fenced(\\{.*})? 1\\.0");
    assertThat(plain.get("/metrics").body().lines().filter(l -> l.startsWith("steward_schedule_clock_fenced"))
      .findFirst().orElse("")).matches("steward_schedule_clock_fenced(\\{.*})? 0\\.0");
    assertThat(skewed.logText()).as("a WARN that says what to do").contains("Schedule fence raised")
      .contains("Fix time sync (NTP");
  }
}
