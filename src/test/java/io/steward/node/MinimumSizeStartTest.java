package io.steward.node;

import io.steward.testing.TestCluster;
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
}
