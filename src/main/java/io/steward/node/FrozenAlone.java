package io.steward.node;

import com.hazelcast.cluster.ClusterState;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Sets the cluster state back to ACTIVE when this member has been left alone in state FROZEN or PASSIVE for
 * {@code cluster.frozenAloneMs}, after it had peers (campaign seeds 1005 and 1024).
 *
 * <p>Hazelcast 5.6's split-brain merge first freezes the merging side (its master sets FROZEN on every member), then
 * tells each member to merge. When the master leaves before such a member has rejoined (it merged first, or died, or
 * was cut off), the member is alone in FROZEN: the departed master's partitions stay assigned to it, so every call on
 * them retries for two minutes; vertx-hazelcast 5.1.6's membership and lifecycle listeners (synchronized, and making
 * such calls on Hazelcast's event thread and on the merge's own thread, under its lifecycle lock) hold the member's
 * merge back; and Hazelcast starts no merge from a cluster that is not ACTIVE. The member stays alone, its jobs
 * silent, and refuses every node that tries to join it. Set ACTIVE again, its partitions are its own, the blocked calls
 * end, and its merge (or Hazelcast's next split-brain check) brings it back into the cluster.
 *
 * <p>A member that never had a peer (a one-member cluster an operator froze) is left as it is.
 * Checked from the node verticle's timer; the state change runs on a thread of its own, since the calls that block
 * in this state may hold every worker thread.
 */
final class FrozenAlone {

  private static final Logger LOG = LoggerFactory.getLogger(FrozenAlone.class);
  /** While the state cannot be set, the WARN is repeated this often. */
  private static final long REPEAT_MS = 60_000;

  private final long boundMs;
  private final LongSupplier clock;
  private long aloneSince = -1;

  // the node's side (null in the unit test of observe)
  private final HazelcastInstance hz;
  private final WorkerExecutor executor;
  private final Counter activated;
  private final Counter failed;
  private volatile boolean hadPeers;
  private UUID membership;
  private boolean changing;
  private long warnedAt = Long.MIN_VALUE;

  /** The decision alone ({@link #observe}). */
  FrozenAlone(long boundMs) {
    this(boundMs, () -> 0, null, null, null);
  }

  FrozenAlone(long boundMs, Vertx vertx, HazelcastInstance hz, MeterRegistry registry) {
    this(boundMs, () -> System.nanoTime() / 1_000_000, hz,
      boundMs > 0 ? vertx.createSharedWorkerExecutor("steward-cluster-state", 1, 5, TimeUnit.MINUTES) : null, registry);
  }

  private FrozenAlone(long boundMs, LongSupplier clock, HazelcastInstance hz, WorkerExecutor executor,
                      MeterRegistry registry) {
    this.boundMs = boundMs;
    this.clock = clock;
    this.hz = hz;
    this.executor = executor;
    this.activated = counter(registry, "activated", "the state set back to ACTIVE");
    this.failed = counter(registry, "failed", "an attempt to set it that failed");
    if (hz != null && boundMs > 0) {
      // A peer seen only between two looks (it joined, the merge froze the side, it left) counts too.
      membership = hz.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          hadPeers = true;
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          // nothing: what matters is that it had peers
        }
      });
      hadPeers = hz.getCluster().getMembers().size() > 1;
    }
  }

  private static Counter counter(MeterRegistry registry, String outcome, String what) {
    return registry == null ? null : Counter.builder("steward_node_frozen_alone").tag("outcome", outcome)
      .description("This member left alone in cluster state FROZEN or PASSIVE past cluster.frozenAloneMs: " + what)
      .register(registry);
  }

  /**
   * One look at the cluster: its state, how many other members this member sees, and whether it ever had a peer.
   * True when the state must be set back to ACTIVE: FROZEN or PASSIVE, alone for {@code boundMs} or more, after
   * having had peers.
   */
  boolean observe(ClusterState state, int others, boolean hadPeers, long nowMs) {
    if (boundMs <= 0 || state == ClusterState.IN_TRANSITION) {
      return false;
    }
    if ((state != ClusterState.FROZEN && state != ClusterState.PASSIVE) || others > 0 || !hadPeers) {
      aloneSince = -1; // active, not alone, or a one-member cluster frozen on purpose
      return false;
    }
    if (aloneSince < 0) {
      aloneSince = nowMs;
    }
    return nowMs - aloneSince >= boundMs;
  }

  /** Looks, and sets the state back to ACTIVE when {@link #observe} says so. On the node verticle's event loop. */
  void check() {
    if (executor == null || changing || !hz.getLifecycleService().isRunning()) {
      return;
    }
    ClusterState state = hz.getCluster().getClusterState();
    long now = clock.getAsLong();
    int others = hz.getCluster().getMembers().size() - 1;
    hadPeers |= others > 0;
    if (!observe(state, others, hadPeers, now)) {
      return;
    }
    long alone = now - aloneSince;
    changing = true;
    executor.<Void>executeBlocking(() -> {
      hz.getCluster().changeClusterState(ClusterState.ACTIVE);
      return null;
    }, false).onComplete(ar -> {
      changing = false;
      if (ar.succeeded()) {
        increment(activated);
        aloneSince = -1;
        LOG.warn("This member was alone in the cluster in state {} for {} ms (more than cluster.frozenAloneMs = {} ms) "
            + "and has set the cluster state back to ACTIVE. A split-brain merge had frozen its side and its peers "
            + "left it (the merge's master merged first, died or was cut off); Hazelcast does not leave that state by "
            + "itself, and meanwhile this node ran no job and let no node join it. It now merges back into the "
            + "cluster: check GET /nodes on every node in a minute. If you froze the cluster on purpose and then "
            + "stopped its members, set cluster.frozenAloneMs to 0.", state, alone, boundMs);
      } else {
        increment(failed);
        long t = clock.getAsLong();
        if (warnedAt == Long.MIN_VALUE || t - warnedAt >= REPEAT_MS) {
          warnedAt = t;
          LOG.warn("This member has been alone in the cluster in state {} for {} ms (more than cluster.frozenAloneMs "
              + "= {} ms): a split-brain merge froze its side and its peers left it. Setting the cluster state back "
              + "to ACTIVE failed ({}); trying again every few seconds. Meanwhile this node runs no job and lets no "
              + "node join it. If it lasts, restart this node.", state, alone, boundMs, ar.cause().toString());
        }
      }
    });
  }

  void close() {
    if (executor != null) {
      executor.close();
    }
    if (membership != null) {
      try {
        hz.getCluster().removeMembershipListener(membership);
      } catch (RuntimeException e) {
        LOG.debug("Could not remove the membership listener while leaving: {}", e.getMessage());
      }
    }
  }

  private static void increment(Counter c) {
    if (c != null) {
      c.increment();
    }
  }
}
