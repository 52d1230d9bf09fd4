package io.steward.tasks;

import ch.qos.logback.classic.Level;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.LogCapture;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI of 2026-12-07 (TcpBridgeTest caught it from an earlier test's node): the tasks module's periodic sweep of
 * cluster-limit slots asked a Hazelcast member that had already shut down for its members and threw
 * HazelcastInstanceNotActiveException on the event loop: "ERROR ContextImpl - Unhandled exception", every sweep, until
 * Vert.x closed. A node whose member is gone (stopping, or terminated) has no slots to reclaim: the sweep skips.
 */
class LimitSweepAfterHazelcastStopTest {

  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_limit_sweep_after_the_member_shut_down_logs_no_error() throws Exception {
    cluster = TestCluster.create(LimitSweepAfterHazelcastStopTest.class, 1);
    JsonObject tasks = new JsonObject().put("orphanSweepMs", 100).put("supervisors", new JsonObject()
      .put("limited", new JsonObject().put("workers", 2).put("clusterLimit", 1)));
    TasksConfig config = TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks", tasks),
      Map.of(), Map.of()).section("tasks"));
    StewardNode node = cluster.startBlocking(1, List.of(), null).get(0);
    node.vertx().deployVerticle(new TasksVerticle(config, java.time.Clock.systemUTC())).await(30, TimeUnit.SECONDS);
    try (LogCapture logs = LogCapture.open()) {
      Cluster.hazelcast(node.vertx()).getLifecycleService().terminate();
      // Several sweeps (every 100 ms) run after the member is gone; the first would log the ERROR.
      boolean errored = logs.await(m -> m.startsWith("ERROR") && m.contains("HazelcastInstanceNotActiveException"), 2_000);
      assertThat(errored).as("an ERROR line: %s", logs.atLeast(Level.ERROR).stream().map(e -> e.getFormattedMessage())
        .toList()).isFalse();
    }
  }
}
