package io.steward.schedule;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * Keeps a node that may hold a stale view of the cluster from claiming ticks.
 *
 * <p>The claim is only as good as the replica it runs on. A node that stops for longer than failure detection
 * (a GC pause, SIGSTOP) is removed by the others, who promote the backups of its partitions and go on firing its
 * jobs; when it resumes, it still believes it owns those partitions until Hazelcast tells it otherwise, and a
 * claim it made there would succeed on stale data. So every scheduler event loop beats here every 100 ms; a
 * beat, or a claim, that finds its loop silent for longer than {@code pauseFenceMs} (half the failure detection
 * time by default, so a node is fenced before the others can have removed it) raises the fence, as does a
 * split-brain merge. Claims won while the fence was raised, or that straddled it, are abandoned.
 *
 * <p>Silence is the longer of the elapsed monotonic time ({@code System.nanoTime}, Linux's CLOCK_MONOTONIC) and
 * the elapsed wall clock: the monotonic clock does not advance while the VM or the host is suspended, the wall
 * clock does (Java has no CLOCK_BOOTTIME), so a suspend counts as a stall; a wall clock stepped forward by more
 * than {@code pauseFenceMs} raises the fence too, which only costs a confirmation. Waits (the verification delay,
 * {@code fenceAloneMs}) are measured on the monotonic clock alone, so a step of the wall clock cannot shorten them.
 *
 * <p>The fence comes down when a peer, asked through Hazelcast's executor after two heartbeat intervals,
 * reports exactly the members this node sees (so the peers count it as a member again: it merged back, or was
 * never removed). A node alone in its view cannot ask anyone: it waits {@code fenceAloneMs} for a merge, then
 * carries on as the sole survivor (or at once if it never had a peer).
 */
final class Fence {

  private static final Logger LOG = LoggerFactory.getLogger(Fence.class);
  static final String EXECUTOR = "steward.schedule.fence";
  private static final long BEAT_MS = 100;
  private static final long PROBE_TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final long pauseFenceNanos;
  private final long verifyDelayMs;
  private final long aloneMs;
  private final AtomicLongArray beats;
  /** The wall clock at each loop's last beat, ms: see {@link #silentMs}. */
  private final AtomicLongArray wallBeats;
  private final AtomicLong epoch = new AtomicLong();
  private final Consumer<Boolean> onChange;
  private volatile boolean up;
  private volatile String reason;
  private volatile long raisedAt;
  private volatile boolean stopped;
  private UUID lifecycleId;
  private UUID membershipId;
  private volatile boolean everHadPeers;

  /**
   * @param shards   scheduler event loops that beat
   * @param onChange told {@code true} when the fence goes up and {@code false} when it comes down
   */
  Fence(Vertx vertx, HazelcastInstance hz, int shards, long pauseFenceMs, long aloneMs, Consumer<Boolean> onChange) {
    this.vertx = vertx;
    this.hz = hz;
    this.pauseFenceNanos = pauseFenceMs * 1_000_000;
    this.verifyDelayMs = 2_000L * heartbeatSeconds(hz);
    this.aloneMs = aloneMs;
    this.onChange = onChange;
    this.beats = new AtomicLongArray(shards);
    this.wallBeats = new AtomicLongArray(shards);
    for (int i = 0; i < shards; i++) {
      reset(i);
    }
  }

  /** Half the failure detection time of this cluster: a node stalled that long cannot have been removed yet. */
  static long defaultPauseFenceMs(HazelcastInstance hz) {
    String v = hz.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    long seconds = v == null ? 60 : Long.parseLong(v.trim());
    return Math.max(1_000, seconds * 1_000 / 2);
  }

  private static long heartbeatSeconds(HazelcastInstance hz) {
    String v = hz.getConfig().getProperty("hazelcast.heartbeat.interval.seconds");
    return v == null ? 5 : Math.max(1, Long.parseLong(v.trim()));
  }

  void start() {
    everHadPeers = hasPeers();
    membershipId = hz.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
      @Override
      public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
        if (!event.getMember().isLiteMember()) {
          everHadPeers = true;
        }
      }

      @Override
      public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
        // a peer that leaves does not make this node's view stale
      }
    });
    lifecycleId = hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGING) {
        raise("this node is merging back into the cluster after a split brain");
      }
    });
  }

  void stop() {
    stopped = true;
    try {
      if (lifecycleId != null) {
        hz.getLifecycleService().removeLifecycleListener(lifecycleId);
      }
      if (membershipId != null) {
        hz.getCluster().removeMembershipListener(membershipId);
      }
    } catch (RuntimeException ignored) {
      // shutting down
    }
  }

  private boolean hasPeers() {
    for (Member m : hz.getCluster().getMembers()) {
      if (!m.localMember() && !m.isLiteMember()) {
        return true;
      }
    }
    return false;
  }

  /** A scheduler loop (re)starts beating now. */
  void reset(int shard) {
    beats.set(shard, System.nanoTime());
    wallBeats.set(shard, System.currentTimeMillis());
  }

  /** How long a loop was silent: the longer of the monotonic and the wall-clock time elapsed, ms. */
  static long silentMs(long nanosElapsed, long wallElapsedMs) {
    return Math.max(nanosElapsed / 1_000_000, wallElapsedMs);
  }

  private static String silence(long nanosElapsed, long wallElapsedMs) {
    long mono = nanosElapsed / 1_000_000;
    return wallElapsedMs > mono + 1_000 ? silentMs(nanosElapsed, wallElapsedMs) + " ms by the wall clock (" + mono
      + " ms by the monotonic clock: the VM or host was suspended, or the wall clock was stepped)" : mono + " ms";
  }

  /** Milliseconds on the monotonic clock, for waits that a step of the wall clock must not shorten. */
  private static long monotonicMs() {
    return System.nanoTime() / 1_000_000;
  }

  /** Called every {@link #BEAT_MS} by each scheduler loop; raises the fence if that loop was silent too long. */
  void beat(int shard) {
    long now = System.nanoTime();
    long wall = System.currentTimeMillis();
    long last = beats.getAndSet(shard, now);
    long lastWall = wallBeats.getAndSet(shard, wall);
    if (silentMs(now - last, wall - lastWall) * 1_000_000 > pauseFenceNanos) {
      raise("scheduler event loop " + shard + " was silent for " + silence(now - last, wall - lastWall) + " (a GC pause, "
        + "SIGSTOP, a suspended VM, or a blocked event loop)");
    }
  }

  static long beatMs() {
    return BEAT_MS;
  }

  /** The view of one scheduler loop: checks its own silence at each claim, before and after. */
  Scheduler.Guard guard(int shard) {
    return new Scheduler.Guard() {
      @Override
      public boolean fenced() {
        long silent = System.nanoTime() - beats.get(shard);
        long silentWall = System.currentTimeMillis() - wallBeats.get(shard);
        if (silentMs(silent, silentWall) * 1_000_000 > pauseFenceNanos) {
          raise("scheduler event loop " + shard + " found itself silent for " + silence(silent, silentWall) + " at a claim");
        }
        return up;
      }

      @Override
      public long epoch() {
        return epoch.get();
      }
    };
  }

  boolean isUp() {
    return up;
  }

  String reason() {
    return reason;
  }

  synchronized void raise(String why) {
    epoch.incrementAndGet();
    raisedAt = monotonicMs();
    if (up || stopped) {
      return;
    }
    up = true;
    reason = why;
    LOG.warn("Schedule fence raised: {}. This node claims no tick until a peer confirms it is still a member "
      + "(its view of the cluster may be stale; the others may have taken its jobs over).", why);
    onChange.accept(true);
    vertx.setTimer(verifyDelayMs, t -> verify());
  }

  private void verify() {
    if (stopped || !up) {
      return;
    }
    if (monotonicMs() - raisedAt < verifyDelayMs) {
      vertx.setTimer(verifyDelayMs, t -> verify()); // raised again meanwhile: let heartbeats flow first
      return;
    }
    List<Member> peers = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      if (!m.localMember() && !m.isLiteMember()) {
        peers.add(m);
      }
    }
    if (peers.isEmpty()) {
      if (!everHadPeers) {
        lower("this node has been alone in its cluster all along: nobody else could have taken its jobs over");
      } else if (monotonicMs() - raisedAt >= aloneMs) {
        lower("alone in the cluster for " + aloneMs + " ms without a merge: carrying on as the sole survivor");
      } else {
        vertx.setTimer(1_000, t -> verify());
      }
      return;
    }
    Member peer = peers.get((int) (epoch.get() % peers.size()));
    String mine = MembersProbe.members(hz);
    long asked = monotonicMs();
    boolean[] answered = new boolean[1];
    long timeout = vertx.setTimer(PROBE_TIMEOUT_MS, t -> {
      synchronized (answered) {
        if (answered[0]) {
          return;
        }
        answered[0] = true;
      }
      vertx.setTimer(1_000, t2 -> verify());
    });
    try {
      hz.getExecutorService(EXECUTOR).submitToMember(new MembersProbe(), peer, new com.hazelcast.core.ExecutionCallback<String>() {
        @Override
        public void onResponse(String theirs) {
          vertx.runOnContext(v -> answer(answered, timeout, asked, peer, mine, theirs, null));
        }

        @Override
        public void onFailure(Throwable t) {
          vertx.runOnContext(v -> answer(answered, timeout, asked, peer, mine, null, t));
        }
      });
    } catch (RuntimeException e) {
      answer(answered, timeout, asked, peer, mine, null, e);
    }
  }

  private void answer(boolean[] answered, long timeout, long asked, Member peer, String mine, String theirs, Throwable err) {
    synchronized (answered) {
      if (answered[0]) {
        return;
      }
      answered[0] = true;
    }
    vertx.cancelTimer(timeout);
    if (err == null && theirs.equals(mine) && raisedAt <= asked && theirs.equals(MembersProbe.members(hz))) {
      lower("peer " + peer.getAddress() + " sees the same " + theirs.split(",").length + " member(s) as this node");
      return;
    }
    LOG.debug("Schedule fence stays up: peer {} {}", peer.getAddress(), err != null ? "did not answer (" + err.getMessage() + ")"
      : "sees other members than this node");
    vertx.setTimer(1_000, t -> verify());
  }

  private synchronized void lower(String why) {
    if (!up || stopped) {
      return;
    }
    up = false;
    reason = null;
    LOG.warn("Schedule fence lowered: {}. Claiming ticks again.", why);
    onChange.accept(false);
  }
}
