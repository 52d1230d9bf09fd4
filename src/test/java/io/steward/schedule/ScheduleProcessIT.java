package io.steward.schedule;

import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three schedule nodes as separate JVMs and a cluster-once job every second whose action sends to an address the
 * test JVM consumes as a lite member, outside the nodes ({@link Fires}): every fire is counted with its scheduled
 * tick, so a tick fired twice is seen whatever happens to the nodes. Each node in turn gets SIGTERM and restarts.
 * SIGKILL and SIGSTOP of the firing node are the reliability suite's schedule scenario
 * ({@code reliability.KillDuringScheduleIT}), with the same counting.
 */
class ScheduleProcessIT {

  private static final String JOB = "it-heartbeat";
  private static final String DECLARED = "it-declared";
  private static final String ADDRESS = "it.schedule.fires";
  private static final long PERIOD_MS = 1_000;

  private static ProcessCluster cluster;
  private static Vertx client;
  private static Fires fires;

  @BeforeAll
  static void start() throws Exception {
    String declared = new JsonArray().add(new JsonObject().put("name", DECLARED).put("cron", "0 0 4 * * *")
      .put("zone", "Europe/Berlin").put("action", new JsonObject().put("type", "publish").put("address", "it.none"))).encode();
    cluster = ProcessCluster.create(ScheduleProcessIT.class, 4)
      .env("STEWARD_MODULES", "http,schedule")
      .env("STEWARD_HTTP_TARGETS", "[\"" + ADDRESS + "\"]")
      .env("STEWARD_SCHEDULE_HISTORY_SIZE", "200")
      .env("STEWARD_SCHEDULE_HISTORY_FLUSH_MS", "200")
      .env("STEWARD_SCHEDULE_JOBS", declared)
      .env("JAVA_TOOL_OPTIONS", "-Xlog:gc:stdout");
    cluster.start(3);
    client = cluster.joinLiteClient();
    fires = Fires.listen(client, ADDRESS).await(30, TimeUnit.SECONDS);
    JsonObject job = new JsonObject().put("every", "1s")
      .put("action", new JsonObject().put("type", "send").put("address", ADDRESS).put("reply", false));
    NodeProcess.Response put = cluster.nodes().get(0).put("/schedules/" + JOB, job.encode());
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    cluster.await("3 fires", 30_000, () -> fires.size() >= 3);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static NodeProcess anyOtherLive(NodeProcess not) {
    return cluster.nodes().stream().filter(p -> p != not && p.isAlive()).findFirst().orElseThrow();
  }

  private static List<NodeProcess> live() {
    return cluster.nodes().stream().filter(NodeProcess::isAlive).toList();
  }

  @Test
  void jobs_survive_a_rolling_restart_of_every_node() throws Exception {
    List<NodeProcess> nodes = live();
    assertThat(nodes).hasSize(3);
    for (NodeProcess node : nodes) {
      assertThat(node.terminate(60_000)).as("%s stopped cleanly", node.name()).isEqualTo(0);
      NodeProcess other = anyOtherLive(node);
      cluster.awaitNodeCount(other, 2, 90_000);
      node.start();
      cluster.awaitHealthy(node, 90_000);
      cluster.awaitNodeCount(other, 3, 120_000);
      cluster.await("partitions safe after " + node.name() + " rejoined", 60_000, () -> {
        JsonObject health = other.get("/health").json();
        return health.getJsonArray("checks").stream().map(c -> (JsonObject) c)
          .filter(c -> "cluster".equals(c.getString("id")))
          .anyMatch(c -> c.getJsonObject("data", new JsonObject()).getBoolean("safe", false));
      });
    }
    long restartedAt = System.currentTimeMillis();
    cluster.await("3 fires after the restarts", 60_000, () -> fires.after(restartedAt) >= 3);
    assertThat(fires.doubled()).as("ticks fired more than once (tick → nodes)%s", cluster.logs(40)).isEmpty();
    System.out.printf("Rolling restart: %d fires in all, none doubled; ticks missed over the whole test: %d%n",
      fires.size(), fires.missingUpTo(fires.lastTick(), PERIOD_MS).size());
    for (NodeProcess node : live()) {
      NodeProcess.Response job = node.get("/schedules/" + JOB);
      assertThat(job.status()).as(job.body()).isEqualTo(200);
      assertThat(job.json().getString("every")).isEqualTo("1s");
      assertThat(node.get("/schedules/" + DECLARED).status()).isEqualTo(200);
    }
    for (NodeProcess node : cluster.nodes()) {
      assertThat(node.logText().lines().filter(l -> l.contains(" ERROR ") && l.contains("i.s.s")))
        .as("schedule errors in %s", node.name()).isEmpty();
    }
  }
}
