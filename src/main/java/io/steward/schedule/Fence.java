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
 * Stalls reported to peers are in Hazelcast's cluster time, compared across nodes with {@link FenceRule#MARGIN_MS}.
 *
 * <p>The fence comes down when the peers, asked through Hazelcast's executor after two heartbeat intervals, show
 * that this node is a member again by the rule of {@link FenceRule}: a peer that was not stalled meanwhile sees
 * exactly its members (so it merged back, or was never removed), or every peer sees them and nobody was removed
 * (a member that merged back into this node's cluster after a split brain, with a new UUID at its old address,
 * counts as still here), or no merge came within {@code fenceAloneMs}. Until then it asks again every second. A peer that stalled together with this node cannot vouch for it. A
 * node alone in its view cannot ask anyone: it waits {@code fenceAloneMs} for a merge, then carries on as the sole
 * survivor (or at once if it never had a peer).
 *
 * <p>The same fence holds a node whose wall clock is further from the cluster clock than
 * {@code schedule.clockFenceMs} while most other schedule nodes are within it ({@link ClockBound}), checked every
 * second and once before the node registers: its ticks follow the cluster clock, but
 * a clock that far off is broken time sync, and the step that corrects it moves this node's cluster time with it
 * until the master's next heartbeat. That fence comes down by itself, not by a peer's word, once the offset has
 * been within the bound for {@link ClockBound#SETTLE_MS}; while it is up, the registry says so ({@link ClockPeers}),
 * so that the other schedule nodes fire this node's cluster-once jobs ({@link ScheduleNodes}). Every-node jobs are
 * not claimed and go on here. The master's offset is zero by construction (the cluster clock is its wall clock), so
 * a master whose clock is wrong is not fenced, and then neither is anyone else: it shifts every node's ticks alike,
 * and every other node shows the offset.
 *
 * <p>With {@code cluster.minimumSize}, the guard also refuses while the claim lease ({@link ClaimLease}) does not
 * hold: a node cut off from the majority stops claiming before the majority can take its jobs over.
 */
final class Fence {

  /** The two clocks a stall is measured on; tests inject clocks that disagree, as they do across a suspend. */
  interface Clocks {
    /** {@code System.nanoTime}: CLOCK_MONOTONIC, which stands still while the VM or host is suspended. */
    long nanoTime();

    /** {@code System.currentTimeMillis}: the wall clock, which a suspend (or a step) moves on. */
    long wallMillis();

    Clocks SYSTEM = new Clocks() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public long wallMillis() {
        return System.currentTimeMillis();
      }
    };
  }

  /** What the clock fence needs of the schedule registry ({@link ScheduleNodes}). */
  interface ClockPeers {
    /** The offsets to the cluster clock that the other live schedule nodes last published, ms. */
    List<Long> offsets();

    /** This node's offset, just measured (published in its registry entry when it moved). */
    void publish(long offsetMs);

    /** The clock fence went up ({@code true}) or came down. */
    void fenced(boolean fenced);

    ClockPeers NONE = new ClockPeers() {
      @Override
      public List<Long> offsets() {
        return List.of();
      }

      @Override
      public void publish(long offsetMs) {
      }

      @Override
      public void fenced(boolean fenced) {
      }
    };
  }

  private static final Logger LOG = LoggerFactory.getLogger(Fence.class);
  static final String EXECUTOR = "steward.schedule.fence";
  private static final long BEAT_MS = 100;
  private static final long PROBE_TIMEOUT_MS = 2_000;
  private static final long CLOCK_CHECK_MS = 1_000;

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
  private volatile Clocks clocks;
  private final ClockBound clockBound;
  private final ClockPeers peers;
  /** Why the clock fence is up (this node's offset to the cluster clock), or null while it is down. */
  private volatile String clockReason;
  private long clockTimer = -1;
  /** The stall or merge fence (the clock fence is {@link #clockReason}). */
  private volatile boolean up;
  private volatile String reason;
  private volatile long raisedAt;
  /**
   * Where the {@code fenceAloneMs} wait runs from (monotonic ms): the raise that began this fence episode, or the
   * latest merge or stall long enough to have got this node removed (failure detection) since. A shorter stall
   * while fenced delays the next question to the peers but not this wait, so repeated short stalls of a loaded node
   * cannot put off the last resort for good.
   */
  private volatile long aloneFrom;
  private final long failureDetectionMs;
  private volatile boolean stopped;
  private UUID lifecycleId;
  private UUID membershipId;
  private volatile boolean everHadPeers;
  /** This node's latest stall (wall clock ms), reported to peers that ask ({@link MembersProbe}). */
  private volatile long stallStart;
  private volatile long stallEnd;
  /** The stall of the current fence episode (0, 0 if a merge raised it), and the members seen before it. */
  private volatile long episodeStallStart;
  private volatile long episodeStallEnd;
  private java.util.Set<String> viewBefore = java.util.Set.of();
  /** The address of each member of {@link #viewBefore}: one that merged back after a split has a new UUID there. */
  private java.util.Map<String, String> addressesBefore = java.util.Map.of();
  private volatile java.util.Set<Member> viewAtBeat = java.util.Set.of();
  private volatile boolean merging;
  private volatile ClaimLease lease;
  private long leaseTimer = -1;
  private volatile com.hazelcast.core.IExecutorService leaseExecutor;
  static final String CONTEXT_KEY = "steward.schedule.fence";

  /**
   * @param shards   scheduler event loops that beat
   * @param onChange told {@code true} when the fence goes up and {@code false} when it comes down
   */
  Fence(Vertx vertx, HazelcastInstance hz, int shards, long pauseFenceMs, long aloneMs, Consumer<Boolean> onChange) {
    this(vertx, hz, shards, pauseFenceMs, aloneMs, 0, onChange, ClockPeers.NONE, Clocks.SYSTEM);
  }

  /**
   * @param clockFenceMs the largest offset to the cluster clock this node may have and claim ticks (0: no bound)
   * @param peers        the other schedule nodes' offsets, and where this node's offset and clock fence are published
   */
  Fence(Vertx vertx, HazelcastInstance hz, int shards, long pauseFenceMs, long aloneMs, long clockFenceMs,
        Consumer<Boolean> onChange, ClockPeers peers, Clocks clocks) {
    this.vertx = vertx;
    this.clocks = clocks;
    this.clockBound = new ClockBound(clockFenceMs);
    this.peers = peers;
    this.hz = hz;
    this.pauseFenceNanos = pauseFenceMs * 1_000_000;
    this.verifyDelayMs = 2_000L * heartbeatSeconds(hz);
    this.aloneMs = aloneMs;
    this.failureDetectionMs = failureDetectionMs(hz);
    this.onChange = onChange;
    this.beats = new AtomicLongArray(shards);
    this.wallBeats = new AtomicLongArray(shards);
    for (int i = 0; i < shards; i++) {
      reset(i);
    }
  }

  /** Tests move the clocks of a running module's fence, as a suspend or a GC pause moves them (FenceMergeTest). */
  void clocks(Clocks moved) {
    this.clocks = moved;
  }

  /** Half the failure detection time of this cluster: a node stalled that long cannot have been removed yet. */
  static long defaultPauseFenceMs(HazelcastInstance hz) {
    String v = hz.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    long seconds = v == null ? 60 : Long.parseLong(v.trim());
    return Math.max(1_000, seconds * 1_000 / 2);
  }

  /** Hazelcast's failure detection ({@code hazelcast.max.no.heartbeat.seconds}; 60 s by default), ms. */
  static long failureDetectionMs(HazelcastInstance hz) {
    String v = hz.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    return (v == null ? 60 : Long.parseLong(v.trim())) * 1_000;
  }

  /** Hazelcast's heartbeat interval ({@code hazelcast.heartbeat.interval.seconds}; 5 s by default), ms. */
  static long heartbeatMs(HazelcastInstance hz) {
    return heartbeatSeconds(hz) * 1_000;
  }

  private static long heartbeatSeconds(HazelcastInstance hz) {
    String v = hz.getConfig().getProperty("hazelcast.heartbeat.interval.seconds");
    return v == null ? 5 : Math.max(1, Long.parseLong(v.trim()));
  }

  void start() {
    everHadPeers = hasPeers();
    viewAtBeat = hz.getCluster().getMembers();
    hz.getUserContext().put(CONTEXT_KEY, this);
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
    if (clockBound.maxMs() > 0) {
      clockTimer = vertx.setPeriodic(CLOCK_CHECK_MS, t -> checkClock());
    }
    ClaimLease l = lease;
    if (l != null) {
      // Creating the executor's proxy may wait for the other members: on a worker, never on the event loop.
      vertx.executeBlocking(() -> hz.getExecutorService(EXECUTOR), false).onSuccess(executor -> {
        leaseExecutor = executor;
        if (stopped) {
          return;
        }
        l.renew();
        leaseTimer = vertx.setPeriodic(l.timing().renewMs(), t -> {
          if (!stopped && hz.getLifecycleService().isRunning()) {
            l.renew();
          }
        });
      }).onFailure(err -> LOG.warn("Could not start renewing the schedule claim lease ({}): this node claims no "
        + "cluster-once tick. Restart it once the cluster is healthy.", err.getMessage()));
    }
    lifecycleId = hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGING) {
        merging = true;
        raise("this node is merging back into the cluster after a split brain");
      } else if (event.getState() == LifecycleEvent.LifecycleState.MERGED
        || event.getState() == LifecycleEvent.LifecycleState.MERGE_FAILED) {
        merging = false;
      }
    });
  }

  void stop() {
    stopped = true;
    if (clockTimer >= 0) {
      vertx.cancelTimer(clockTimer);
    }
    if (leaseTimer >= 0) {
      vertx.cancelTimer(leaseTimer);
    }
    try {
      hz.getUserContext().remove(CONTEXT_KEY, this);
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
    beats.set(shard, clocks.nanoTime());
    wallBeats.set(shard, clocks.wallMillis());
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
  private long monotonicMs() {
    return clocks.nanoTime() / 1_000_000;
  }

  /** This node's wall clock minus the cluster clock (Hazelcast's: this node's wall clock plus its offset), ms. */
  long clockOffsetMs() {
    return clocks.wallMillis() - hz.getCluster().getClusterTime();
  }

  /**
   * Measures the offset to the cluster clock, and raises or lowers the clock fence ({@link ClockBound}). Every
   * second, and once before this node registers as a schedule node (so a skewed node never claims a tick).
   */
  synchronized void checkClock() {
    if (stopped || clockBound.maxMs() <= 0 || !hz.getLifecycleService().isRunning()) {
      return;
    }
    long offset = clockOffsetMs();
    peers.publish(offset);
    switch (clockBound.observe(offset, peers.offsets(), monotonicMs())) {
      case FENCE -> clockFence(offset);
      case CLEAR -> clockClear(offset);
      default -> {
      }
    }
  }

  private synchronized void clockFence(long offset) {
    epoch.incrementAndGet();
    clockReason = "this node's wall clock is " + Math.abs(offset) + " ms " + (offset > 0 ? "ahead of" : "behind")
      + " the cluster clock (the Hazelcast master's), beyond schedule.clockFenceMs (" + clockBound.maxMs() + " ms), "
      + "while most other schedule nodes are within it";
    LOG.warn("Schedule fence raised: {}. This node claims no cluster-once tick, and the other schedule nodes fire its "
        + "jobs, until its clock has been back within the bound for {} s; every-node jobs go on here, on the cluster "
        + "clock. Fix time sync (NTP: chrony or systemd-timesyncd) on this host (with two schedule nodes the master's "
        + "clock wins the tie: if this host's clock is right, fix the master's; /nodes shows each node's offset).",
      clockReason,
      ClockBound.SETTLE_MS / 1_000);
    peers.fenced(true);
    onChange.accept(true);
  }

  private synchronized void clockClear(long offset) {
    clockReason = null;
    LOG.warn("Schedule clock fence lowered: for {} s this node's wall clock has been within schedule.clockFenceMs "
      + "({} ms) of the cluster clock, or no longer the odd one out (now {} ms).{}", ClockBound.SETTLE_MS / 1_000,
      clockBound.maxMs(), offset,
      up ? " The stall fence stays up until a peer vouches for this node." : " Claiming ticks again.");
    peers.fenced(false);
    if (!up) {
      onChange.accept(false);
    }
  }

  /** Called every {@link #BEAT_MS} by each scheduler loop; raises the fence if that loop was silent too long. */
  void beat(int shard) {
    long now = clocks.nanoTime();
    long wall = clocks.wallMillis();
    long last = beats.getAndSet(shard, now);
    long lastWall = wallBeats.getAndSet(shard, wall);
    long silent = silentMs(now - last, wall - lastWall);
    if (silent * 1_000_000 > pauseFenceNanos) {
      stalled(silent, "scheduler event loop " + shard + " was silent for " + silence(now - last, wall - lastWall)
        + " (a GC pause, SIGSTOP, a suspended VM, or a blocked event loop)");
    } else {
      viewAtBeat = hz.getCluster().getMembers();
    }
  }

  /** A stall of {@code silentMs} ending now: remembered for the peers that ask, then the fence goes up. */
  private synchronized void stalled(long silentMs, String why) {
    long end = hz.getCluster().getClusterTime(); // the clock the nodes agree on: stalls are compared across nodes
    stallStart = end - silentMs;
    stallEnd = end;
    if (episodeStallEnd == 0 || !up) {
      episodeStallStart = stallStart;
    }
    episodeStallEnd = end;
    raise(why, FenceRule.restartsAloneWait(up, silentMs, failureDetectionMs));
  }

  /**
   * What a peer's probe is answered ({@link MembersProbe}): members, this node's stall, whether merging. The stall is
   * the latest one, or, while this node's own fence is up, the span of every stall since it went up: a node that
   * stalled with the asking peer and again later must not pass for one that kept running (seed 88: a fenced node
   * vouched for a peer with its latest 2 s stall, though it had been stopped during the peer's stall too).
   */
  String status() {
    long start = stallStart;
    long end = stallEnd;
    long episodeEnd = episodeStallEnd;
    if (up && episodeEnd != 0) {
      start = Math.min(start, episodeStallStart);
      end = Math.max(end, episodeEnd);
    }
    return FenceRule.Answer.encode(MembersProbe.members(hz), start, end, merging);
  }

  static long beatMs() {
    return BEAT_MS;
  }

  /** The view of one scheduler loop: checks its own silence at each claim, before and after. */
  Scheduler.Guard guard(int shard) {
    return new Scheduler.Guard() {
      @Override
      public boolean fenced() {
        long silent = clocks.nanoTime() - beats.get(shard);
        long silentWall = clocks.wallMillis() - wallBeats.get(shard);
        long silentMs = silentMs(silent, silentWall);
        if (silentMs * 1_000_000 > pauseFenceNanos) {
          stalled(silentMs, "scheduler event loop " + shard + " found itself silent for " + silence(silent, silentWall)
            + " at a claim");
        }
        return isUp() || !leaseHeld();
      }

      @Override
      public long epoch() {
        // A claim that straddles a lost lease is abandoned, even if the lease came back before its answer.
        ClaimLease l = lease;
        return epoch.get() + (l == null ? 0 : l.losses());
      }
    };
  }

  /**
   * With {@code cluster.minimumSize}: the claim lease ({@link ClaimLease}), renewed by pinging the other members
   * through Hazelcast's executor (the connections its failure detection watches) every {@code renewMs}.
   */
  void lease(ClaimLease lease) {
    this.lease = lease;
  }

  /** Whether the claim lease holds (always without {@code cluster.minimumSize}). */
  boolean leaseHeld() {
    ClaimLease l = lease;
    return l == null || l.held();
  }

  ClaimLease claimLease() {
    return lease;
  }

  /** The other members this node sees, pinged for the claim lease with the fence's probe. */
  ClaimLease.Peers leasePeers() {
    return new ClaimLease.Peers() {
      @Override
      public java.util.Set<String> ids() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        if (!hz.getLifecycleService().isRunning()) {
          return ids;
        }
        for (Member m : hz.getCluster().getMembers()) {
          if (!m.localMember()) {
            ids.add(m.getUuid().toString());
          }
        }
        return ids;
      }

      @Override
      public String master() {
        if (!hz.getLifecycleService().isRunning()) {
          return null;
        }
        // Hazelcast lists the members oldest first, and the oldest is the master.
        java.util.Iterator<Member> members = hz.getCluster().getMembers().iterator();
        if (!members.hasNext()) {
          return null;
        }
        Member oldest = members.next();
        return oldest.localMember() ? null : oldest.getUuid().toString();
      }

      @Override
      public java.util.concurrent.CompletionStage<?> ping(String id) {
        java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
        Member target = null;
        for (Member m : hz.getCluster().getMembers()) {
          if (m.getUuid().toString().equals(id)) {
            target = m;
          }
        }
        com.hazelcast.core.IExecutorService executor = leaseExecutor;
        if (target == null || executor == null) {
          answer.completeExceptionally(new IllegalStateException("not a member any more"));
          return answer;
        }
        executor.submitToMember(new MembersProbe(), target, new com.hazelcast.core.ExecutionCallback<String>() {
          @Override
          public void onResponse(String response) {
            answer.complete(response);
          }

          @Override
          public void onFailure(Throwable t) {
            answer.completeExceptionally(t);
          }
        });
        return answer;
      }
    };
  }

  /** Whether this node claims no tick: the stall or merge fence, or the clock fence, is up. */
  boolean isUp() {
    return up || clockReason != null;
  }

  /** Whether the clock fence is up (this node's offset to the cluster clock is beyond the bound). */
  boolean clockFenced() {
    return clockReason != null;
  }

  /** Why the node is fenced, or null. */
  String reason() {
    String clock = clockReason;
    String stall = up ? reason : null;
    return stall == null ? clock : clock == null ? stall : stall + "; and " + clock;
  }

  synchronized void raise(String why) {
    raise(why, true);
  }

  private synchronized void raise(String why, boolean restartAloneWait) {
    epoch.incrementAndGet();
    raisedAt = monotonicMs();
    if (restartAloneWait || !up) {
      aloneFrom = raisedAt;
    }
    if (up || stopped) {
      return;
    }
    up = true;
    reason = why;
    java.util.Set<Member> before = episodeStallEnd != 0 ? viewAtBeat : hz.getCluster().getMembers();
    viewBefore = ids(before);
    addressesBefore = addresses(before);
    LOG.warn("Schedule fence raised: {}. This node claims no tick until a peer confirms it is still a member "
      + "(its view of the cluster may be stale; the others may have taken its jobs over).", why);
    onChange.accept(true);
    vertx.setTimer(verifyDelayMs, t -> verify());
  }

  private void verify() {
    if (stopped || !up) {
      return;
    }
    try {
      ask();
    } catch (RuntimeException e) {
      // Hazelcast refuses while a merge resets this member, for one: ask again, or the fence would stay up for good.
      LOG.debug("Schedule fence: could not ask the peers yet ({}); asking again in 1 s", e.toString());
      vertx.setTimer(1_000, t -> verify());
    }
  }

  private void ask() {
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
      } else if (monotonicMs() - aloneFrom >= aloneMs) {
        lower("alone in the cluster for " + aloneMs + " ms without a merge: carrying on as the sole survivor");
      } else {
        vertx.setTimer(1_000, t -> verify());
      }
      return;
    }
    String mine = MembersProbe.members(hz);
    long asked = monotonicMs();
    List<java.util.concurrent.CompletableFuture<FenceRule.Answer>> asking = new ArrayList<>();
    for (Member peer : peers) {
      java.util.concurrent.CompletableFuture<FenceRule.Answer> one = new java.util.concurrent.CompletableFuture<>();
      asking.add(one);
      String name = peer.getAddress().toString();
      try {
        one.completeOnTimeout(null, PROBE_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        hz.getExecutorService(EXECUTOR).submitToMember(new MembersProbe(), peer, new com.hazelcast.core.ExecutionCallback<String>() {
          @Override
          public void onResponse(String theirs) {
            try {
              one.complete(theirs == null ? null : FenceRule.Answer.parse(name, theirs));
            } catch (RuntimeException e) {
              one.complete(null);
            }
          }

          @Override
          public void onFailure(Throwable t) {
            one.complete(null);
          }
        });
      } catch (RuntimeException e) {
        one.complete(null);
      }
    }
    java.util.concurrent.CompletableFuture.allOf(asking.toArray(new java.util.concurrent.CompletableFuture[0]))
      .whenComplete((v, err) -> vertx.runOnContext(x -> {
        try {
          List<FenceRule.Answer> answers = asking.stream().map(java.util.concurrent.CompletableFuture::join).toList();
          answer(asked, mine, answers);
        } catch (RuntimeException e) {
          LOG.debug("Schedule fence: could not weigh the peers' answers ({}); asking again in 1 s", e.toString());
          vertx.setTimer(1_000, t -> verify());
        }
      }));
  }

  private void answer(long asked, String mine, List<FenceRule.Answer> answers) {
    if (stopped || !up) {
      return;
    }
    synchronized (this) {
      // While this node merges, its side's entries are still on their way to the other side's partitions: claims
      // made now could read the other side's older claim state.
      java.util.Set<Member> now = hz.getCluster().getMembers();
      java.util.Map<String, String> addresses = new java.util.HashMap<>(addressesBefore);
      addresses.putAll(addresses(now));
      String why = !merging && raisedAt <= asked && mine.equals(String.join(",", new java.util.TreeSet<>(ids(now))))
        ? FenceRule.lower(ids(now), viewBefore, addresses, episodeStallStart, episodeStallEnd, answers,
          aloneFrom, monotonicMs(), aloneMs)
        : null;
      if (why != null) {
        lower(why);
        return;
      }
    }
    LOG.debug("Schedule fence stays up: no peer can vouch for this node yet ({} asked, {} answered)", answers.size(),
      answers.stream().filter(java.util.Objects::nonNull).count());
    vertx.setTimer(1_000, t -> verify());
  }

  private static java.util.Set<String> ids(java.util.Set<Member> members) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (Member m : members) {
      out.add(m.getUuid().toString());
    }
    return out;
  }

  private static java.util.Map<String, String> addresses(java.util.Set<Member> members) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (Member m : members) {
      out.put(m.getUuid().toString(), m.getAddress().toString());
    }
    return out;
  }

  private synchronized void lower(String why) {
    if (!up || stopped) {
      return;
    }
    up = false;
    reason = null;
    episodeStallStart = 0;
    episodeStallEnd = 0;
    if (clockReason != null) {
      LOG.warn("Schedule fence lowered: {}. The clock fence stays up: {}.", why, clockReason);
      return;
    }
    LOG.warn("Schedule fence lowered: {}. Claiming ticks again.", why);
    onChange.accept(false);
  }
}
