package io.steward.schedule;

import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The claim lease on real Hazelcast members in this JVM (the cut-off case end to end is {@code ClaimLeaseIT}, behind
 * {@code -Dlease=true}): with {@code cluster.minimumSize} a schedule node renews it by pinging the other members (which answer whatever
 * modules they run) and fires cluster-once jobs; left below the minimum, it loses it.
 */
class ClaimLeaseClusterTest {

  @Test
  void a_node_that_hears_enough_members_holds_the_lease_and_fires_and_loses_it_when_left_alone() throws Exception {
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("minimumSize", 2));
    try (TestCluster cluster = TestCluster.create(ClaimLeaseClusterTest.class, 2)) {
      // The first node's start waits for the second (cluster.minimumSize). The other member runs no schedule module:
      // every member answers the lease's pings, and counts towards the minimum, whatever modules it runs.
      Future<StewardNode> first = cluster.start(List.of("schedule"), extra);
      StewardNode b = cluster.start(List.of("tasks"), extra).await(90, TimeUnit.SECONDS);
      StewardNode a = first.await(90, TimeUnit.SECONDS);
      String address = "test.lease." + a.id();
      Set<Long> ticks = ConcurrentHashMap.newKeySet();
      MessageConsumer<Object> fires = a.vertx().eventBus().consumer(address, m -> ticks.add(
        Long.parseLong(m.headers().get(ActionRunner.TICK_HEADER))));
      fires.completion().await(10, TimeUnit.SECONDS);
      a.vertx().eventBus().request(Addresses.Schedule.PUT, new JsonObject().put("name", "lease-job").put("every", "200ms")
        .put("action", new JsonObject().put("type", "send").put("address", address).put("reply", false)))
        .await(20, TimeUnit.SECONDS);
      Poll.until(a.vertx(), "the job fired 5 times", 60_000, () -> Future.succeededFuture(ticks.size() >= 5))
        .await(65, TimeUnit.SECONDS);
      assertThat(health(a).getBoolean("claimLease")).as("claimLease in the schedule module's health").isTrue();

      cluster.stop(b).await(60, TimeUnit.SECONDS);
      Poll.until(a.vertx(), "the node left alone below cluster.minimumSize lost the claim lease", 60_000,
        () -> healthLater(a).map(h -> Boolean.FALSE.equals(h.getBoolean("claimLease"))))
        .await(65, TimeUnit.SECONDS);
    }
  }

  private static JsonObject health(StewardNode node) throws Exception {
    return healthLater(node).await(10, TimeUnit.SECONDS);
  }

  private static Future<JsonObject> healthLater(StewardNode node) {
    return node.vertx().eventBus().request(Addresses.moduleHealth(node.id(), "schedule"), new JsonObject(),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000)).map(r -> (JsonObject) r.body());
  }
}
