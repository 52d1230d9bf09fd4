package io.steward.spi;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.steward.testing.FreePorts;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 2459: four nodes, {@code cluster.minimumSize} 3, two equal halves, a kill on one. The side of node1
 * and node3 held the partitions whose every copy was on the other side (counter c1 among them, at 2). When node2
 * merged into it, an increment of c1 sent through node2 in the three seconds between the merge's start and its end was
 * checked against node2's own holds (its old side's, without c1's partition), went to the cluster it was joining,
 * where c1 was empty (node2's entries not applied yet), and was answered 1; node2's copy then lost the merge to it, and
 * the two increments acknowledged before the split were gone. A member that is merging must refuse writes of every key
 * until the merge is over and it has the cluster's holds.
 */
class LostPartitionsMergeTest {

  private HazelcastInstance hz;
  private Vertx vertx;

  @AfterEach
  void stop() throws Exception {
    if (hz != null) {
      hz.shutdown();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_member_refuses_every_write_while_it_merges_and_takes_them_again_once_merged() throws Exception {
    Config config = new Config().setClusterName("LostPartitionsMergeTest-" + UUID.randomUUID());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().setPort(FreePorts.block(1)).setPortAutoIncrement(false).getInterfaces().setEnabled(true)
      .addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    hz = Hazelcast.newHazelcastInstance(config);
    vertx = Vertx.vertx();
    LostPartitions lost = new LostPartitions(vertx, hz, LostPartitions.Use.CACHE, 120, () -> 1);
    vertx.executeBlocking(() -> {
      lost.startBlocking();
      return null;
    }).await(30, TimeUnit.SECONDS);
    assertThat(lost.refusal("c1", 1)).as("nothing held").isNull();

    lost.lifecycle(new LifecycleEvent(LifecycleEvent.LifecycleState.MERGING));
    String refusal = lost.refusal("c1", 1);
    assertThat(refusal).as("a write while this member merges").isNotNull()
      .contains("merging").contains("cache.lostPartitionHoldSeconds").doesNotContain("null");

    lost.lifecycle(new LifecycleEvent(LifecycleEvent.LifecycleState.MERGED));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (lost.refusal("c1", 1) != null && System.nanoTime() < deadline) {
      vertx.timer(20).await(5, TimeUnit.SECONDS); // the cluster's holds are read on a worker after MERGED
    }
    assertThat(lost.refusal("c1", 1)).as("once merged, with the cluster's holds read").isNull();

    lost.lifecycle(new LifecycleEvent(LifecycleEvent.LifecycleState.MERGING));
    lost.lifecycle(new LifecycleEvent(LifecycleEvent.LifecycleState.MERGE_FAILED));
    assertThat(lost.refusal("c1", 1)).as("a merge that failed: this member goes on as it was").isNull();
    vertx.executeBlocking(() -> {
      lost.stopBlocking();
      return null;
    }).await(30, TimeUnit.SECONDS);
  }
}
