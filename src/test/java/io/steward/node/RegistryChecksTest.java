package io.steward.node;

import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 2052 (five nodes: a bridge partition, a pause, a kill): Hazelcast operations hung for more than a
 * minute, and the node and schedule registries' checks, each a blocking {@code putIfAbsent} started on a Vert.x worker
 * every 2 s, piled up behind them: 366 blocked-thread warnings, worker threads held for minutes (every
 * {@code executeBlocking} of the node waits behind them). Here the partition threads of the member that owns a node's
 * registry entries are held ({@link HeldPartitions}), so that every operation on them hangs: no worker thread may be
 * parked in such a check meanwhile, and once the partition is free the checks go on.
 */
class RegistryChecksTest {

  private TestCluster cluster;
  private HeldPartitions held;

  @AfterEach
  void stop() throws Exception {
    if (held != null) {
      held.close();
    }
    cluster.close();
  }

  @Test
  void registry_checks_do_not_hold_worker_threads_while_operations_on_their_entries_hang() throws Exception {
    cluster = TestCluster.create(RegistryChecksTest.class, 2);
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("schedule"), null);
    StewardNode a = nodes.get(0);
    // The node and schedule registries key their entries by node id: one partition holds both of a's. Its owner's
    // partition threads are held: every operation on a's entries hangs.
    com.hazelcast.cluster.Member owner = Cluster.hazelcast(a.vertx()).getPartitionService().getPartition(a.id()).getOwner();
    StewardNode holder = nodes.stream()
      .filter(n -> Cluster.hazelcast(n.vertx()).getCluster().getLocalMember().equals(owner)).findFirst().orElseThrow();
    held = HeldPartitions.hold(Cluster.hazelcast(holder.vertx()));

    // Four periods of the checks (2 s each): before, a new blocked worker every period, per registry.
    Future<Void> piledUp = Poll.until(a.vertx(), "workers parked in a registry check", 8_000,
      () -> Future.succeededFuture(blockedChecks() >= 2));
    assertThat(piledUp.transform(ar -> Future.succeededFuture(ar.succeeded())).await(15, TimeUnit.SECONDS))
      .as("worker threads parked in a registry check while its operation hangs: " + blockedChecks()).isFalse();

    // Once the partition is free, a check puts back an entry that went missing meanwhile.
    Cluster.hazelcast(a.vertx()).getMap(NodeVerticle.REGISTRY).removeAsync(a.id());
    held.close();
    Poll.until(a.vertx(), "a's registry entry put back by a check", 30_000,
      () -> a.vertx().executeBlocking(() -> Cluster.hazelcast(a.vertx()).getMap(NodeVerticle.REGISTRY).containsKey(a.id())))
      .await(40, TimeUnit.SECONDS);
  }

  /** Vert.x worker threads (of either node) parked inside an IMap.putIfAbsent called by a registry check. */
  private static long blockedChecks() {
    long n = 0;
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      if (e.getKey().getName().startsWith("vert.x-worker-thread") && Arrays.stream(e.getValue())
          .anyMatch(f -> f.getMethodName().equals("putIfAbsent") && f.getClassName().contains("MapProxy"))) {
        n++;
      }
    }
    return n;
  }
}
