package io.steward.node;

import io.steward.bus.Addresses;
import io.steward.testing.NodeProcess;
import io.steward.testing.ProcessCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The multi-process harness's first use: fat-jar nodes as separate JVMs, real signals, and the test JVM as
 * a lite-member client. The steps build on each other, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeProcessIT {

  private static ProcessCluster cluster;
  private static NodeProcess first;
  private static NodeProcess second;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.create(NodeProcessIT.class, 3);
    // At once, as a deployment starts them (one after the other took about 5 s more: CI time); which one /nodes
    // lists first (by start time) is read from it.
    List<NodeProcess> started = cluster.start(2);
    first = started.get(0);
    second = started.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  @Order(1)
  void two_nodes_see_each_other() throws Exception {
    cluster.awaitNodeCount(first, 2, 30_000);
    JsonObject nodes = second.get("/nodes").json();
    assertThat(nodes.getInteger("count")).isEqualTo(2);
    List<JsonObject> listed = nodes.getJsonArray("nodes").stream().map(n -> (JsonObject) n).toList();
    assertThat(listed.stream().map(n -> n.getString("name"))).containsExactlyInAnyOrder("node1", "node2");
    // Oldest first: by start time, then id.
    Instant firstStart = Instant.parse(listed.get(0).getString("startedAt"));
    Instant secondStart = Instant.parse(listed.get(1).getString("startedAt"));
    assertThat(firstStart.isBefore(secondStart)
      || firstStart.equals(secondStart) && listed.get(0).getString("id").compareTo(listed.get(1).getString("id")) < 0)
      .as("listed oldest first: %s", listed).isTrue();
  }

  @Test
  @Order(1)
  void the_fat_jar_carries_the_epoll_library_and_runs_its_event_loops_on_it() {
    String arch = System.getProperty("os.arch");
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
      && (arch.equals("amd64") || arch.equals("aarch64")), "the jar carries epoll for Linux x86_64 and aarch64 only");
    assertThat(first.logText()).contains("Event loops and sockets run on Linux epoll");
  }

  @Test
  @Order(1)
  void the_dashboard_and_its_vendored_clients_are_served_from_the_fat_jar() {
    assertThat(first.get("/").body()).contains("<title>Steward</title>");
    assertThat(first.get("/dashboard/app.js").body()).contains("steward.tasks.events");
    assertThat(first.get("/dashboard/vendor/sockjs.min.js").body()).contains("sockjs-client v1.6.1");
    assertThat(first.get("/dashboard/vendor/vertx-eventbus.js").body()).contains("EventBus");
  }

  @Test
  @Order(2)
  void a_lite_member_client_joins_and_asks_over_the_bus_without_being_listed() throws Exception {
    Vertx client = cluster.joinLiteClient();
    JsonObject reply = (JsonObject) client.eventBus().request(Addresses.Nodes.LIST, new JsonObject())
      .await(20, TimeUnit.SECONDS).body();
    assertThat(reply.getInteger("count")).isEqualTo(2);
    String firstId = reply.getJsonArray("nodes").getJsonObject(0).getString("id");
    JsonObject info = (JsonObject) client.eventBus().request(Addresses.node(firstId, Addresses.Nodes.INFO), new JsonObject())
      .await(20, TimeUnit.SECONDS).body();
    NodeProcess oldest = cluster.nodes().stream().filter(n -> n.name().equals(info.getString("name"))).findFirst()
      .orElseThrow(() -> new AssertionError("no node named " + info.getString("name") + ": " + info));
    assertThat(info.getString("name")).isEqualTo(reply.getJsonArray("nodes").getJsonObject(0).getString("name"));
    assertThat(info.getLong("pid")).isEqualTo(oldest.pid());
    assertThat(info.getInteger("clusterMembers")).isEqualTo(3); // two nodes and this lite member
  }

  /** About 18 s; with {@code -Dsigstop=true}: the fault campaign pauses nodes past failure detection in every build. */
  @Test
  @Order(3)
  @EnabledIfSystemProperty(named = "sigstop", matches = "true")
  void a_paused_node_is_declared_dead_and_rejoins_after_it_resumes() throws Exception {
    second.pause();
    try {
      cluster.awaitNodeCount(first, 1, (ProcessCluster.FAILURE_DETECTION_SECONDS + 20) * 1000L);
    } finally {
      second.resume();
    }
    // Hazelcast's split-brain merge brings it back (merge checks run every 10 s, see cluster.xml).
    cluster.awaitNodeCount(first, 2, 60_000);
    cluster.awaitHealthy(second, 30_000);
  }

  @Test
  @Order(4)
  void a_killed_node_disappears_from_the_survivor() throws Exception {
    second.kill();
    assertThat(second.isAlive()).isFalse();
    // Every GET /nodes on the survivor answers, also while it still knows the dead node's bus consumers: every node
    // answers steward.nodes.list, and a request the bus sent to the dead one waited for http.requestTimeoutMs (30 s;
    // this client gives up after 10 s: status -1).
    List<String> failed = new CopyOnWriteArrayList<>();
    cluster.await("node1 lists 1 node", 30_000, () -> {
      long start = System.nanoTime();
      NodeProcess.Response r = first.get("/nodes");
      if (r.status() != 200) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        failed.add(r.status() + " after " + ms + " ms: " + r.body());
      }
      return r.status() == 200 && r.json().getInteger("count") == 1;
    });
    assertThat(failed).as("GET /nodes on the survivor after the kill: answers other than 200").isEmpty();
    assertThat(first.get("/health").status()).isEqualTo(200);
    // The departure's log line comes from the membership listener, which may run just after /nodes changed.
    cluster.await("node1 logs that node2 left or died", 30_000, () -> first.logText().contains("left or died"));
    assertThat(first.logText().lines().filter(l -> l.contains(" ERROR ") && l.contains("i.s."))).isEmpty();
  }

  @Test
  @Order(5)
  void sigterm_stops_a_node_cleanly_with_exit_code_0() throws Exception {
    NodeProcess third = cluster.add(Map.of());
    cluster.awaitHealthy(third, 90_000);
    cluster.awaitNodeCount(first, 2, 30_000);
    assertThat(third.terminate(30_000)).isEqualTo(0);
    assertThat(third.logText()).contains("SIGTERM received").contains("Stopped cleanly");
    cluster.awaitNodeCount(first, 1, 30_000);
  }
}
