package io.steward.node;

import com.hazelcast.cluster.ClusterState;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.steward.observe.Metrics;
import io.steward.spi.Cluster;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member left alone in cluster state FROZEN sets the state back to ACTIVE: campaign seeds 1005 and 1024. The master
 * of a split brain's merging side froze its side (as Hazelcast's merge does) and merged away; the member it left behind
 * stayed alone in FROZEN to the end of the run: FROZEN keeps the departed master's partitions assigned to it, so every
 * call to them retried for two minutes, vertx-hazelcast's membership and lifecycle listeners (synchronized, making such
 * calls on Hazelcast's event and merge threads) held the member's own merge back, and Hazelcast starts no merge from
 * a cluster that is not ACTIVE. Its jobs were silent, and a node restarted meanwhile could not join it.
 */
class FrozenAloneTest {

  private static final List<String> NO_MODULES = List.of();

  @Test
  void a_member_left_alone_in_a_frozen_cluster_sets_it_active_again_and_says_so() throws Exception {
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("frozenAloneMs", 1_000));
    try (TestCluster cluster = TestCluster.create(FrozenAloneTest.class, 2); LogCapture logs = LogCapture.open()) {
      List<StewardNode> nodes = cluster.startBlocking(2, NO_MODULES, extra);
      StewardNode survivor = nodes.get(0);
      HazelcastInstance hz = Cluster.hazelcast(survivor.vertx());
      // The merging side's master freezes its side, then leaves it (it merges into the other side, or dies).
      // (refused while partitions still move after the second node's join: tried again until it takes)
      Poll.until(survivor.vertx(), "the cluster FROZEN", 30_000, () -> survivor.vertx().executeBlocking(() -> {
        try {
          hz.getCluster().changeClusterState(ClusterState.FROZEN);
          return true;
        } catch (IllegalStateException migrating) {
          return false;
        }
      }, false)).await(40, TimeUnit.SECONDS);
      Cluster.hazelcast(nodes.get(1).vertx()).getLifecycleService().terminate();
      Poll.until(survivor.vertx(), "the survivor alone", 30_000,
        () -> Future.succeededFuture(hz.getCluster().getMembers().size() == 1)).await(40, TimeUnit.SECONDS);

      Poll.until(survivor.vertx(), "the survivor's cluster state ACTIVE again (it is " + hz.getCluster().getClusterState()
          + ")", 30_000, () -> Future.succeededFuture(hz.getCluster().getClusterState() == ClusterState.ACTIVE))
        .await(40, TimeUnit.SECONDS);
      // (logged once the state change has returned, which may be just after the state is seen ACTIVE)
      assertThat(logs.await(m -> m.startsWith("WARN io.steward.node") && m.contains("FROZEN") && m.contains("ACTIVE")
        && m.contains("cluster.frozenAloneMs"), 10_000)).as("a WARN for the operator: %s", logs.messages()).isTrue();
      Counter healed = Metrics.registry(survivor.vertx()).find("steward_node_frozen_alone")
        .tag("outcome", "activated").counter();
      assertThat(healed).as("the metric").isNotNull();
      assertThat(healed.count()).isEqualTo(1.0);
    }
  }

  @Test
  void the_state_is_set_back_only_for_a_member_alone_in_frozen_or_passive_past_the_bound_after_it_had_peers() {
    FrozenAlone w = new FrozenAlone(10_000);
    assertThat(w.observe(ClusterState.ACTIVE, 1, true, 0)).isFalse();
    assertThat(w.observe(ClusterState.FROZEN, 0, true, 1_000)).as("alone since now").isFalse();
    assertThat(w.observe(ClusterState.FROZEN, 0, true, 10_999)).as("just under the bound").isFalse();
    assertThat(w.observe(ClusterState.FROZEN, 0, true, 11_000)).as("at the bound").isTrue();

    FrozenAlone passive = new FrozenAlone(10_000);
    passive.observe(ClusterState.PASSIVE, 0, true, 0);
    passive.observe(ClusterState.IN_TRANSITION, 0, true, 5_000);
    assertThat(passive.observe(ClusterState.PASSIVE, 0, true, 10_000)).as("PASSIVE, alone past the bound").isTrue();
  }

  @Test
  void a_frozen_member_with_peers_a_one_member_cluster_frozen_on_purpose_and_a_bound_of_zero_are_left_alone() {
    FrozenAlone withPeers = new FrozenAlone(10_000);
    withPeers.observe(ClusterState.FROZEN, 0, true, 0);
    assertThat(withPeers.observe(ClusterState.FROZEN, 2, true, 20_000)).as("frozen with peers (an operator's freeze)")
      .isFalse();
    assertThat(withPeers.observe(ClusterState.FROZEN, 0, true, 25_000)).as("alone again: the wait starts over").isFalse();

    FrozenAlone single = new FrozenAlone(10_000);
    assertThat(single.observe(ClusterState.FROZEN, 0, false, 1_000)).isFalse();
    assertThat(single.observe(ClusterState.FROZEN, 0, false, 60_000)).as("never had a peer: frozen on purpose").isFalse();

    FrozenAlone off = new FrozenAlone(0);
    off.observe(ClusterState.FROZEN, 0, true, 0);
    assertThat(off.observe(ClusterState.FROZEN, 0, true, 1_000_000)).as("cluster.frozenAloneMs = 0").isFalse();
  }
}
