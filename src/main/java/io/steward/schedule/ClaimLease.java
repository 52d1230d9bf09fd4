package io.steward.schedule;

import io.steward.spi.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The claim lease (with {@code cluster.minimumSize}): a node claims a cluster-once tick only while it has heard,
 * within the last {@code leaseMs}, from enough other members to make up {@code cluster.minimumSize} counting itself.
 *
 * <p>Split-brain protection alone does not keep a node cut off from the majority from claiming: it refuses only
 * once the node's own failure detection has removed the others, while the majority takes the node's partitions over
 * once <em>its</em> failure detection has removed the node; the two are not ordered (a minority side took 18 s to
 * remove the others where the majority took 8 s). A lease is measured from when this node <em>sent</em> the ping
 * that a peer answered (so the answer proves the peer heard this node no earlier than that), on this node's
 * monotonic clock. A node cut off at time T has sent its last answered ping before T, so it stops claiming by
 * {@code T + leaseMs}; the majority's master heard its last heartbeat from the node no earlier than
 * {@code T - heartbeatInterval} and removes it no earlier than {@code T - heartbeatInterval + failureDetection}.
 * So, with a margin of {@link #MARGIN_MS} for a claim's answer and its fire:
 * <pre>  leaseMs + MARGIN_MS <= failureDetection - heartbeatInterval</pre>
 * The lease is renewed every {@code leaseMs / 4}; by default {@code leaseMs} is half of
 * {@code failureDetection - heartbeatInterval}. Pure bookkeeping; {@link Fence} asks it at every claim and fire,
 * and pings the members through Hazelcast (the connections its failure detection watches).
 */
final class ClaimLease {

  /** Room between the lease's end and the earliest takeover, for a claim's answer and its fire. */
  static final long MARGIN_MS = 1_000;
  /** The shortest lease: shorter ones would lapse under an ordinary round trip on a loaded host. */
  static final long MIN_LEASE_MS = 400;

  private static final Logger LOG = LoggerFactory.getLogger(ClaimLease.class);

  /** How a ping reaches the other members. */
  interface Peers {
    /** The other members this node sees now (ids). */
    Set<String> ids();

    /**
     * The cluster's master as this node sees it (the oldest member, which alone removes members), when it is another
     * member; {@code null} when this node is the master.
     */
    default String master() {
      return null;
    }

    /** Asks one of them for an answer; completes when it answered. */
    CompletionStage<?> ping(String id);
  }

  /**
   * The lease's length and renewal period, from the cluster's failure detection.
   *
   * @param takeoverMs the earliest the others can take a node's jobs over after its last heartbeat got through
   */
  record Timing(long leaseMs, long renewMs, long takeoverMs) {

    /**
     * @param failureDetectionMs {@code hazelcast.max.no.heartbeat.seconds} (cluster.failureDetectionSeconds)
     * @param heartbeatMs        {@code hazelcast.heartbeat.interval.seconds}
     * @param configuredLeaseMs  {@code schedule.leaseMs} (0: derived)
     * @throws ConfigException if no lease fits the inequality
     */
    static Timing of(long failureDetectionMs, long heartbeatMs, long configuredLeaseMs) {
      long takeover = failureDetectionMs - heartbeatMs;
      long max = takeover - MARGIN_MS;
      if (max < MIN_LEASE_MS) {
        throw new ConfigException("cluster.failureDetectionSeconds", "with cluster.minimumSize, schedule nodes claim "
          + "cluster-once ticks only under a lease shorter than failure detection (" + failureDetectionMs + " ms) minus "
          + "the heartbeat interval (" + heartbeatMs + " ms) minus " + MARGIN_MS + " ms, and at least " + MIN_LEASE_MS
          + " ms long: raise failure detection to at least " + (heartbeatMs + MARGIN_MS + MIN_LEASE_MS) + " ms");
      }
      long lease = configuredLeaseMs > 0 ? configuredLeaseMs : Math.max(MIN_LEASE_MS, Math.min(max, takeover / 2));
      if (lease > max || lease < MIN_LEASE_MS) {
        throw new ConfigException("schedule.leaseMs", "must be between " + MIN_LEASE_MS + " and " + max + " ms (failure "
          + "detection " + failureDetectionMs + " ms minus the heartbeat interval " + heartbeatMs + " ms minus "
          + MARGIN_MS + " ms), so that a node cut off from the others stops claiming before they can take its jobs "
          + "over; got " + configuredLeaseMs);
      }
      return new Timing(lease, Math.max(50, lease / 4), takeover);
    }
  }

  /**
   * Until when the lease holds: the send time of the ({@code minimumSize - 1})-th most recently answered ping plus
   * {@code leaseMs}; {@link Long#MIN_VALUE} if fewer peers ever answered, {@link Long#MAX_VALUE} without a minimum.
   */
  static long expiresAt(Collection<Long> answeredSentAt, int minimumSize, long leaseMs) {
    int needed = minimumSize - 1;
    if (needed <= 0) {
      return Long.MAX_VALUE;
    }
    if (answeredSentAt.size() < needed) {
      return Long.MIN_VALUE;
    }
    List<Long> sorted = new ArrayList<>(answeredSentAt);
    sorted.sort(java.util.Comparator.reverseOrder());
    return sorted.get(needed - 1) + leaseMs;
  }

  private final int minimumSize;
  private final Timing timing;
  private final LongSupplier now;
  private final Peers peers;
  /** Per peer, the send time of its latest answered ping (monotonic ms). */
  private final Map<String, Long> answered = new ConcurrentHashMap<>();
  /** Per peer, the send time of its ping still unanswered. */
  private final Map<String, Long> asking = new ConcurrentHashMap<>();
  private volatile long expiresAt = Long.MIN_VALUE;
  private final AtomicBoolean held = new AtomicBoolean();
  private final AtomicLong losses = new AtomicLong();
  private volatile boolean everHeld;

  /**
   * @param now monotonic milliseconds (never the wall clock: a step must not stretch a lease)
   */
  ClaimLease(int minimumSize, Timing timing, LongSupplier now, Peers peers) {
    this.minimumSize = minimumSize;
    this.timing = timing;
    this.now = now;
    this.peers = peers;
  }

  int minimumSize() {
    return minimumSize;
  }

  Timing timing() {
    return timing;
  }

  /** Pings every other member that has no ping in flight younger than the lease (every {@code renewMs}). */
  void renew() {
    long sent = now.getAsLong();
    Set<String> ids = peers.ids();
    answered.keySet().retainAll(ids);
    asking.keySet().retainAll(ids);
    recompute();
    for (String id : ids) {
      Long pending = asking.get(id);
      if (pending != null && sent - pending < timing.leaseMs()) {
        continue; // an answer to it would still renew the lease
      }
      asking.put(id, sent);
      CompletionStage<?> answer;
      try {
        answer = peers.ping(id);
      } catch (RuntimeException e) {
        asking.remove(id, sent);
        continue;
      }
      answer.whenComplete((v, err) -> {
        asking.remove(id, sent);
        if (err == null) {
          answered(id, sent);
        }
      });
    }
    held();
  }

  /** A peer answered a ping sent at {@code sentAt}. */
  void answered(String peer, long sentAt) {
    answered.merge(peer, sentAt, Math::max);
    recompute();
    held();
  }

  private void recompute() {
    long quorum = expiresAt(answered.values(), minimumSize, timing.leaseMs());
    String master = peers.master();
    if (master != null && quorum != Long.MAX_VALUE && quorum != Long.MIN_VALUE) {
      Long sent = answered.get(master);
      quorum = sent == null ? Long.MIN_VALUE : Math.min(quorum, sent + timing.leaseMs());
    }
    expiresAt = quorum;
  }

  /** Whether this node may claim now; logs when the lease is lost or regained. */
  boolean held() {
    boolean h = now.getAsLong() < expiresAt;
    if (held.get() != h && held.compareAndSet(!h, h)) {
      if (h) {
        if (everHeld) {
          LOG.warn("Schedule claim lease regained: this node heard from {} within {} ms, enough for cluster.minimumSize "
            + "{}. Claiming cluster-once ticks again.", heard(), timing.leaseMs(), minimumSize);
        }
        everHeld = true;
      } else {
        losses.incrementAndGet();
        LOG.warn("Schedule claim lease lost: in the last {} ms this node heard from {}; it needs {} with "
            + "cluster.minimumSize {} (counting itself), the master among them unless it is the master. It claims no cluster-once tick until it hears from enough "
            + "again: it may be cut off from the majority, which takes its jobs over once failure detection removes it "
            + "(after {} ms at the earliest). Every-node jobs go on. Fix the network between the nodes (or a node "
            + "overloaded beyond answering within {} ms).", timing.leaseMs(), heard(), minimumSize - 1, minimumSize,
          timing.takeoverMs(), timing.leaseMs());
      }
    }
    return h;
  }

  /** How many times the lease was lost: a claim that straddles a loss is abandoned ({@link Fence#guard}). */
  long losses() {
    return losses.get();
  }

  /** Milliseconds the lease still holds (0 once lost). */
  long remainingMs() {
    long left = expiresAt - now.getAsLong();
    return expiresAt == Long.MIN_VALUE ? 0 : Math.max(0, left);
  }

  private String heard() {
    long cutoff = now.getAsLong() - timing.leaseMs();
    long fresh = answered.values().stream().filter(t -> t > cutoff).count();
    String master = peers.master();
    Long fromMaster = master == null ? null : answered.get(master);
    return fresh + " other member(s) of the " + peers.ids().size() + " it sees"
      + (master == null ? " (it is the master)" : fromMaster != null && fromMaster > cutoff ? ", the master among them"
      : ", not from the master " + master);
  }
}
