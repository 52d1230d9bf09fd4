package io.steward.node;

import io.steward.bus.Addresses;
import io.steward.testing.LogCapture;
import io.steward.testing.TestCluster;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With split-brain protection ({@code cluster.minimumSize}), the first node of a cluster starting one by one is alone
 * below the minimum, where Steward's maps refuse every operation: it waits for the others before starting its
 * modules, instead of failing to start (the schedule module did, found by the reliability suite's partition
 * scenario).
 */
class MinimumSizeStartTest {

  @Test
  void a_node_alone_below_the_minimum_size_waits_for_the_others_instead_of_failing_to_start() throws Exception {
    List<String> modules = List.of("http", "tasks", "schedule", "cache");
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("minimumSize", 2));
    Vertx timers = Vertx.vertx();
    try (TestCluster cluster = TestCluster.create(MinimumSizeStartTest.class, 2)) {
      Future<StewardNode> first = cluster.start(modules, extra);
      // Alone for a while (the modules would have started, and the schedule module failed, within this time).
      timers.timer(5_000).await(10, TimeUnit.SECONDS);
      assertThat(first.isComplete()).as("the first node started its modules alone below the minimum size: %s",
        first.isComplete() && first.failed() ? first.cause() : "started").isFalse();
      StewardNode second = cluster.start(modules, extra).await(90, TimeUnit.SECONDS);
      StewardNode one = first.await(90, TimeUnit.SECONDS);
      assertThat(one.vertx().eventBus().request("steward.nodes.list", new JsonObject()).await(30, TimeUnit.SECONDS)
        .body()).isInstanceOfSatisfying(JsonObject.class, r -> assertThat(r.getInteger("count")).isEqualTo(2));
      assertThat(second.id()).isNotEqualTo(one.id());
    } finally {
      timers.close();
    }
  }

  /**
   * Campaign seed 1001: a node restarted while a partition split four nodes two and two joined with all four
   * listed, then found its side below cluster.minimumSize while its modules started: the tasks module's start met
   * split-brain protection and the node exited for good. A module's start that meets split-brain protection waits
   * for the minimum and tries again. Here: two nodes reach the minimum, one leaves, and the tasks module is started on
   * the one left alone below it; it starts once a new member joins.
   */
  @Test
  void a_module_whose_start_meets_split_brain_protection_waits_for_the_minimum_size_and_starts() throws Exception {
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("minimumSize", 2));
    try (TestCluster cluster = TestCluster.create(MinimumSizeStartTest.class, 3); LogCapture logs = LogCapture.open()) {
      Future<StewardNode> first = cluster.start(List.of("http"), extra);
      StewardNode second = cluster.start(List.of("http"), extra).await(90, TimeUnit.SECONDS);
      StewardNode alone = first.await(90, TimeUnit.SECONDS);
      cluster.stop(second).await(60, TimeUnit.SECONDS);

      Future<String> tasks = StewardNode.deployModule(alone.vertx(), alone.config(), "tasks",
        StewardNode.availableModules().get("tasks"));
      assertThat(logs.await(m -> m.startsWith("WARN") && m.contains("Module 'tasks' could not start")
        && m.contains("cluster.minimumSize"), 60_000))
        .as("a WARN saying the tasks module waits for cluster.minimumSize; the start: %s",
          tasks.isComplete() ? (tasks.failed() ? tasks.cause() : "started") : "pending").isTrue();
      assertThat(tasks.failed()).as("the tasks module's start failed: %s", tasks.cause()).isFalse();

      cluster.start(List.of("http"), extra).await(90, TimeUnit.SECONDS);
      String id = tasks.await(90, TimeUnit.SECONDS);
      assertThat(id).isNotBlank();
      Object health = alone.vertx().eventBus().request(Addresses.moduleHealth(alone.id(), "tasks"), new JsonObject(),
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000)).await(30, TimeUnit.SECONDS).body();
      assertThat(health).as("the tasks module answers its health check").isNotNull();
    }
  }
}
