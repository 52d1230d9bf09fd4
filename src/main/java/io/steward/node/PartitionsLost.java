package io.steward.node;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.PartitionLostEvent;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Says so when this node's cluster has lost every copy of partitions: Hazelcast reports a partition lost when its
 * owner and every backup that held it left this node's cluster at once. Either those members died (more members lost
 * together than {@code <backup-count>}, or a second one lost before the cluster was safe again after the first), and
 * the entries of every map in those partitions are gone from memory: cache entries, jobs and their claim state, task
 * records and key bindings, workflow records (README, Guarantees: "more members lost at once than backups"). Or they
 * are only cut off from this node (a network partition, a pause past failure detection), and the other side holds
 * them until the sides merge. A node cannot tell the two apart, so this is a WARN (one per burst: Hazelcast reports
 * each partition on its own) that names both, with the counter {@code steward_node_partitions_lost_total}; the fault
 * campaign uses the line to tell a loss by kills from a bug (campaign seed 1034).
 */
final class PartitionsLost {

  private static final Logger LOG = LoggerFactory.getLogger(PartitionsLost.class);
  /** Hazelcast reports each partition of a loss on its own, within milliseconds: one log line per burst. */
  private static final long BURST_MS = 1_000;

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final int backups;
  private final AtomicLong lost = new AtomicLong();
  private final Set<Integer> burst = new TreeSet<>();
  private volatile UUID listener;

  PartitionsLost(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.hz = hz;
    // The backups of Steward's maps (cluster.xml's steward.*); a partition that lost fewer replicas kept a copy.
    this.backups = hz.getConfig().findMapConfig("steward.partitions-lost").getTotalBackupCount();
  }

  /**
   * Starts listening; registers the counter in {@code registry} (null: no metrics). The listener's registration waits
   * for every member: on a worker (on the event loop it blocked a node's stop for 5.4 s during a partition: campaign
   * seed 2077).
   */
  Future<PartitionsLost> start(MeterRegistry registry) {
    if (registry != null) {
      FunctionCounter.builder("steward_node_partitions_lost", lost, AtomicLong::get)
        .description("Partitions whose owner and every backup left this node's cluster at once: gone if those members "
          + "died, on the other side if they are only cut off (see the WARN 'Partitions lost')")
        .register(registry);
    }
    return vertx.executeBlocking(() -> hz.getPartitionService().addPartitionLostListener(this::lost), false)
      .map(id -> {
        listener = id;
        return this;
      });
  }

  /** Stops listening, on a worker (removing the listener waits for every member); nobody needs to wait for it. */
  void stop() {
    UUID id = listener;
    listener = null;
    if (id != null) {
      vertx.executeBlocking(() -> hz.getPartitionService().removePartitionLostListener(id), false)
        .onFailure(err -> LOG.debug("Could not remove the partition-lost listener: {}", err.toString()));
    }
  }

  private void lost(PartitionLostEvent event) {
    if (event.getLostBackupCount() < backups) {
      return; // a backup replica survived: promoted, nothing lost
    }
    lost.incrementAndGet();
    boolean first;
    synchronized (burst) {
      first = burst.isEmpty();
      burst.add(event.getPartitionId());
    }
    if (first) {
      vertx.setTimer(BURST_MS, t -> report());
    }
  }

  private void report() {
    Set<Integer> ids;
    synchronized (burst) {
      ids = new TreeSet<>(burst);
      burst.clear();
    }
    LOG.warn("Partitions lost: {} partition(s) of {} lost their owner and every backup at once in this node's cluster "
        + "({}). If the members that held them died (more members lost together than the backup count of steward.* "
        + "maps, {}, or a second one before the cluster was safe again after the first), their entries are gone from "
        + "memory: cache entries, jobs and their claim state, task records and key bindings, workflow records (a store "
        + "keeps what it had written to the database: docs/durability.md). If they are only cut off from this node (a "
        + "network partition, a pause), the other side holds them until the sides merge (see the split-brain WARNs). "
        + "To survive k members lost at once, set <backup-count> to k for steward.* in cluster.xml; restart or stop "
        + "one node at a time, each once /health says safe.",
      ids.size(), hz.getPartitionService().getPartitions().size(), range(ids), backups);
  }

  private static String range(Set<Integer> ids) {
    if (ids.size() <= 8) {
      return "partitions " + ids;
    }
    return "partitions " + ids.stream().limit(8).toList() + " and " + (ids.size() - 8) + " more";
  }
}
