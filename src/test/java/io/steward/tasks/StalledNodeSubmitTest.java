package io.steward.tasks;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.StallFixture;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Campaign seed 2425: four nodes, {@code cluster.minimumSize} 3; a durable submit with a key (uniqueForMs 4 s) reached
 * node3 just before it was SIGSTOPped for 9.8 s, past failure detection. The others removed it and went on; when it
 * resumed it still believed it was a member, took the submit queued in its socket, bound the key on its stale copy and
 * ran the task, which ended 57 ms before the cluster, which had never seen that binding, ran a second task of the key.
 * A node that stalled lately must take no submit (503, nothing accepted) while its view of the cluster may be stale,
 * as it takes no cache write ({@code spi/Stalls}). The stall is simulated (the JVM's stall detector is told one just
 * ended); the process-level pause is the campaign's.
 */
class StalledNodeSubmitTest {

  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    StallFixture.reset();
    cluster.close();
  }

  @Test
  void a_node_that_stalled_lately_takes_no_submit_while_its_view_may_be_stale() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(StalledNodeSubmitTest.class, 2);
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("minimumSize", 2));
    // Together: with minimumSize 2, a lone first node waits for the second to come up.
    Future<StewardNode> fa = cluster.start(List.of("tasks"), extra);
    Future<StewardNode> fb = cluster.start(List.of("tasks"), extra);
    StewardNode a = fa.await(90, TimeUnit.SECONDS);
    fb.await(90, TimeUnit.SECONDS);
    JsonObject submit = new JsonObject().put("type", "test.count").put("payload", new JsonObject().put("key", "s1"))
      .put("restart", "transient").put("key", "stalled-key").put("uniqueForMs", 60_000);

    StallFixture.stalledJustNow(9_800, 60_000);
    ReplyException refused = catchThrowableOfType(ReplyException.class, () -> here(a, Addresses.Tasks.SUBMIT, submit));
    assertThat(refused).as("a submit at a node that just stalled").isNotNull();
    assertThat(refused.failureCode()).as(refused.getMessage()).isEqualTo(503);
    assertThat(refused.getMessage()).contains("stalled").contains("nothing was accepted");
    ReplyException run = catchThrowableOfType(ReplyException.class, () -> here(a, Addresses.Tasks.RUN, submit));
    assertThat(run).as("a run at a node that just stalled").isNotNull();
    assertThat(run.failureCode()).isEqualTo(503);

    StallFixture.reset();
    JsonObject accepted = here(a, Addresses.Tasks.SUBMIT, submit);
    assertThat(accepted.getString("id")).isNotBlank();
    assertThat(accepted.getBoolean("existing", false)).as("the refused submit bound nothing").isFalse();
  }

  private static JsonObject here(StewardNode node, String address, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(address, body, HERE).await(40, TimeUnit.SECONDS).body();
  }
}
