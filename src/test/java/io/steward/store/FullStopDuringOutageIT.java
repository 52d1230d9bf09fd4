package io.steward.store;

import io.steward.testing.NodeProcess;
import io.steward.testing.Postgres;
import io.steward.testing.ProcessCluster;
import io.steward.testing.TcpProxy;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole cluster stopped while its database is down: three nodes on PostgreSQL (through a TCP proxy the test
 * cuts), data acknowledged during the outage (durable tasks, entries of a persisted cache, jobs), then SIGTERM to
 * all three at once, as an operator stopping a deployment would. The database comes back, the nodes start again,
 * each from its own working directory, one first and the two others into the cluster it formed: nothing
 * acknowledged is lost.
 */
class FullStopDuringOutageIT {

  private static final int TASKS = 30;
  private static final int ENTRIES = 60;
  private static final int JOBS = 6;

  private static String admin;
  private static String url;
  private static TcpProxy proxy;
  private static ProcessCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    admin = Postgres.adminUrl();
    url = Postgres.createDatabase(admin);
    proxy = new TcpProxy(Postgres.host(admin), Postgres.port(admin));
    cluster = ProcessCluster.create(FullStopDuringOutageIT.class, 3)
      .env("STEWARD_MODULES", "http,tasks,cache,schedule")
      .env("STEWARD_STORE_KIND", "postgres")
      .env("STEWARD_STORE_URL", Postgres.viaPort(url, proxy.port()))
      .env("STEWARD_STORE_CONNECT_TIMEOUT_MS", "1000")
      .env("STEWARD_STORE_MAX_BACKOFF_MS", "1000")
      .env("STEWARD_TASKS_ORPHAN_SWEEP_MS", "500")
      .env("STEWARD_SHUTDOWN_DRAIN_MS", "2000")
      // The jobs' send actions name test addresses: HTTP permits only the targets it is told of (Security).
      .env("STEWARD_HTTP_TARGETS", "[{\"addressRegex\": \"test\\\\.outage\\\\..+\"}]");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (url != null) {
      Postgres.dropDatabase(admin, url);
    }
  }

  /** Whether the node's health shows its store DEGRADED (the database unreachable; the node itself stays UP). */
  private static boolean degraded(NodeProcess node) {
    return node.get("/health").body().contains("DEGRADED");
  }

  private static JsonObject job(int i) {
    return new JsonObject().put("every", "1h").put("action", new JsonObject().put("type", "send")
      .put("address", "test.outage.job" + i).put("reply", false));
  }

  @Test
  void every_node_stopped_at_once_while_the_database_is_down_loses_nothing_acknowledged() throws Exception {
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(cluster.add(Map.of()));
    }
    for (NodeProcess n : nodes) {
      cluster.awaitHealthy(n, 120_000);
    }
    // A persisted map is loaded from the database at its first use, which waits for the database: made before the cut.
    NodeProcess.Response made = nodes.get(0).post("/caches", new JsonObject().put("name", "kept").put("persist", true)
      .put("ttlSeconds", 3_600).encode());
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    assertThat(nodes.get(0).get("/caches/kept/none").status()).isEqualTo(404);
    proxy.cut();
    for (NodeProcess n : nodes) {
      cluster.await(n.name() + " reports the database outage", 30_000, () -> degraded(n));
    }

    // Acknowledged during the outage, through every node.
    Map<String, Integer> tasks = new LinkedHashMap<>();
    for (int i = 0; i < TASKS; i++) {
      NodeProcess.Response r = nodes.get(i % 3).post("/tasks/run", new JsonObject().put("type", "echo")
        .put("payload", new JsonObject().put("i", i)).put("restart", "transient").encode());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      tasks.put(r.json().getString("id"), i);
    }
    for (int i = 0; i < ENTRIES; i++) {
      NodeProcess.Response r = nodes.get(i % 3).put("/caches/kept/k" + i,
        new JsonObject().put("value", new JsonObject().put("i", i)).encode());
      assertThat(r.status()).as(r.body()).isEqualTo(204);
    }
    for (int i = 0; i < JOBS; i++) {
      NodeProcess.Response r = nodes.get(i % 3).put("/schedules/outage-job" + i, job(i).encode());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    // SIGTERM to all three at once, the database still down.
    nodes.forEach(NodeProcess::sigterm);
    for (NodeProcess n : nodes) {
      assertThat(n.awaitExit(90_000)).as(n.name() + " exits after SIGTERM").isNotEqualTo(-1);
    }

    proxy.restore();
    // The first forms the cluster alone and loads the maps holding only what it kept itself; the two others then
    // join the running cluster and bring what they kept into it.
    nodes.get(0).start();
    cluster.awaitHealthy(nodes.get(0), 120_000);
    nodes.get(1).start();
    nodes.get(2).start();
    cluster.awaitHealthy(nodes.get(1), 120_000);
    cluster.awaitHealthy(nodes.get(2), 120_000);
    NodeProcess any = nodes.get(2);
    List<String> lost = new ArrayList<>();
    for (Map.Entry<String, Integer> e : tasks.entrySet()) {
      NodeProcess.Response t = any.get("/tasks/" + e.getKey());
      if (t.status() != 200 || !"succeeded".equals(t.json().getString("state"))
        || t.json().getJsonObject("result").getInteger("i") != e.getValue().intValue()) {
        lost.add("task " + e.getKey() + ": " + t.status() + " " + t.body());
      }
    }
    for (int i = 0; i < ENTRIES; i++) {
      NodeProcess.Response got = nodes.get(i % 3).get("/caches/kept/k" + i);
      if (got.status() != 200 || !new JsonObject().put("i", i).equals(got.json().getJsonObject("value"))) {
        lost.add("cache entry k" + i + ": " + got.status() + " " + got.body());
      }
    }
    for (int i = 0; i < JOBS; i++) {
      NodeProcess.Response got = any.get("/schedules/outage-job" + i);
      if (got.status() != 200) {
        lost.add("job outage-job" + i + ": " + got.status() + " " + got.body());
      }
    }
    assertThat(lost).as("acknowledged during the outage, lost by the full stop (%d tasks, %d entries, %d jobs in all)",
      TASKS, ENTRIES, JOBS).isEmpty();
  }
}
