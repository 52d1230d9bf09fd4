package io.steward.node;

import ch.qos.logback.classic.Level;
import io.steward.bus.Addresses;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Campaign seed 1012: a node stopped (SIGTERM) while its modules could not drain within {@code shutdown.drainMs}
 * (a partition held their stops); {@code vertx.close()} then undeployed the modules whose undeploy was still in
 * flight a second time, and Vert.x logged {@code ERROR DefaultDeploymentManager - Undeploy failed} with
 * {@code IllegalStateException: Already undeployed}, once per module: an ERROR nobody should act on, as the node
 * already said which module did not stop in time. Here the tasks module cannot drain: a task sleeps far past the
 * drain.
 */
class StopDrainTest {

  @Test
  void a_module_still_draining_when_the_drain_ends_is_closed_without_an_error_line() throws Exception {
    try (TestCluster cluster = TestCluster.create(StopDrainTest.class, 1); LogCapture logs = LogCapture.open()) {
      // Not through cluster.start: this test stops the node itself, once.
      StewardNode node = StewardNode.start(cluster.config(List.of("tasks"), null)).await(90, TimeUnit.SECONDS);
      JsonObject submitted = (JsonObject) node.vertx().eventBus().request(Addresses.Tasks.SUBMIT, new JsonObject()
        .put("type", "sleep").put("payload", new JsonObject().put("ms", 120_000))).await(30, TimeUnit.SECONDS).body();
      String id = submitted.getString("id");
      Poll.until(node.vertx(), "the sleep task running", 30_000, () -> node.vertx().eventBus()
          .request(Addresses.Tasks.GET, new JsonObject().put("id", id))
          .map(r -> "running".equals(((JsonObject) r.body()).getString("state"))))
        .await(60, TimeUnit.SECONDS);

      Throwable stopped = catchThrowable(() -> node.stop(500).await(60, TimeUnit.SECONDS));

      assertThat(stopped).as("the stop reports the module that did not drain").isNotNull()
        .hasMessageContaining("module 'tasks' did not stop within");
      assertThat(stopped.getMessage()).as("each module is reported once").doesNotContain("Already undeployed");
      assertThat(logs.messages()).as("no ERROR line while the node closed a module still draining")
        .noneMatch(m -> m.startsWith("ERROR"));
    }
  }
}
