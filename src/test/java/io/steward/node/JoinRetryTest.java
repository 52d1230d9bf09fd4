package io.steward.node;

import ch.qos.logback.classic.Level;
import com.hazelcast.cluster.ClusterState;
import com.hazelcast.core.HazelcastInstance;
import io.steward.spi.Cluster;
import io.steward.testing.LogCapture;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node whose join is refused because the cluster's state does not let new members in (FROZEN or PASSIVE: a
 * split-brain merge freezes the merging side, an operator may freeze the cluster) retries the join for
 * {@code cluster.joinRetryMs}, with a WARN per attempt, instead of exiting: campaign seed 1005, where node3, restarted
 * while a merge had left a member FROZEN, exited with "Steward could not start: could not join the Hazelcast cluster
 * …: Node failed to start!" and the cluster ended one node short.
 */
class JoinRetryTest {

  private static final List<String> NO_MODULES = List.of();

  private static JsonObject joinRetryMs(int ms) {
    return new JsonObject().put("cluster", new JsonObject().put("joinRetryMs", ms));
  }

  @Test
  void a_node_refused_by_a_frozen_cluster_retries_until_it_is_active_and_gives_up_clearly_after_join_retry_ms()
    throws Exception {
    try (TestCluster cluster = TestCluster.create(JoinRetryTest.class, 3); LogCapture logs = LogCapture.open()) {
      StewardNode first = cluster.start(NO_MODULES).await(60, TimeUnit.SECONDS);
      HazelcastInstance hz = Cluster.hazelcast(first.vertx());
      hz.getCluster().changeClusterState(ClusterState.FROZEN);

      // Refused for longer than its cluster.joinRetryMs: fails, saying why and what to do.
      Throwable refused = cluster.start(NO_MODULES, joinRetryMs(1)).transform(ar -> Future.succeededFuture(ar.cause()))
        .await(90, TimeUnit.SECONDS);
      assertThat(refused).as("a node refused by a FROZEN cluster must not start").isNotNull();
      assertThat(refused.getMessage()).contains("FROZEN", "cluster.joinRetryMs", "ACTIVE");

      // With time to wait: retries, one WARN per attempt, and joins once the cluster is ACTIVE again.
      Future<StewardNode> second = cluster.start(NO_MODULES, joinRetryMs(120_000));
      assertThat(logs.await(m -> m.startsWith("WARN io.steward.node.StewardNode") && m.contains("FROZEN")
        && m.contains("Retrying in"), 60_000)).as("a WARN saying the join was refused and is retried: %s",
        second.isComplete() && second.failed() ? second.cause() : logs.messages()).isTrue();
      assertThat(second.failed()).as("gave up while the retry time was not over: %s", second.cause()).isFalse();
      hz.getCluster().changeClusterState(ClusterState.ACTIVE);
      StewardNode joined = second.await(90, TimeUnit.SECONDS);
      assertThat(Cluster.hazelcast(joined.vertx()).getCluster().getMembers()).hasSize(2);
      assertThat(hz.getCluster().getMembers()).hasSize(2);
      // Hazelcast's and Vert.x's ERROR lines of a refused join became WARNs (spi/LibraryLogs): the retry's WARN, or
      // the failed start, says what happened.
      assertThat(logs.atLeast(Level.ERROR)).as("ERROR lines: %s", logs.messages().stream()
        .filter(m -> m.startsWith("ERROR")).toList()).isEmpty();
    }
  }
}
