package io.steward.spi;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The second chance of a write whose synchronous backup acknowledgement Hazelcast reported missed. The owner applied
 * the write and answered, but no acknowledgement came within {@code hazelcast.operation.backup.timeout.millis} (5 s).
 * That happens when the backup member is paused or cut off, and also in a healthy cluster while partitions migrate
 * (a member joined or left): a backup that reaches a member which is not, or not yet, the partition's replica is
 * dropped without an acknowledgement, and anti-entropy copies the partition to it a moment later. Answering every
 * such write 504 made a node's join fail healthy writes (StorePostgresClusterTest: 58 of 1000 puts right after the
 * second node joined; MissedBackupsTest).
 *
 * <p>So the write is acknowledged after all when, within {@link #CONFIRM_PROPERTY} ms, Hazelcast reports the
 * cluster safe ({@code PartitionService.isClusterSafe()}: no migration running and every backup replica at its
 * owner's version, which includes the write) and no member was removed since the write was sent (else the safe
 * state may be one where the member that applied it is gone), and this node did not stall lately ({@link Stalls}: the
 * others may have removed it, and its member list is stale until it hears). Otherwise it stays unconfirmed: the caller
 * answers 504, as before. Counted by outcome for the node's metric {@code steward_node_backup_acks_missed_total}.
 *
 * <p>One per Hazelcast instance ({@link #of}), kept in its user context. The checks run on one thread of their own
 * (started at the first missed acknowledgement), since {@code isClusterSafe} blocks on every member's answer.
 */
public final class MissedBackups {

  /** Hazelcast config property: how long a write whose backup acknowledgement was missed waits to be confirmed. */
  public static final String CONFIRM_PROPERTY = "steward.backup.confirm.millis";
  static final long DEFAULT_CONFIRM_MS = 10_000;
  private static final long RECHECK_MS = 200;
  private static final String KEY = MissedBackups.class.getName();
  private static final Logger LOG = LoggerFactory.getLogger(MissedBackups.class);

  private final HazelcastInstance hz;
  private final long confirmMs;
  private final AtomicLong removals = new AtomicLong();
  private final LongAdder confirmed = new LongAdder();
  private final LongAdder unconfirmed = new LongAdder();
  private final Set<Waiter> waiting = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile ScheduledExecutorService checker;
  private volatile boolean stopped;

  /** Where a write stood when it was sent: the removals seen so far and the members then. */
  public record Sent(long removals, Set<Member> members) {
  }

  private record Waiter(Sent sent, CompletableFuture<Boolean> done) {
  }

  private MissedBackups(HazelcastInstance hz) {
    this.hz = hz;
    String configured = hz.getConfig().getProperty(CONFIRM_PROPERTY);
    this.confirmMs = configured == null ? DEFAULT_CONFIRM_MS : Long.parseLong(configured.trim());
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // a join alone loses nothing
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        if (event.getMember().isLiteMember()) {
          return; // holds no data: its departure cannot take a write with it (a client app, a gateway)
        }
        removals.incrementAndGet();
        waiting.forEach(w -> w.done().complete(false));
      }
    });
    hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN) {
        stopped = true;
        waiting.forEach(w -> w.done().complete(false));
        ScheduledExecutorService s = checker;
        if (s != null) {
          s.shutdownNow();
        }
      }
    });
  }

  /** This instance's (created, with its listeners, at the first call). */
  public static MissedBackups of(HazelcastInstance hz) {
    return (MissedBackups) hz.getUserContext().computeIfAbsent(KEY, k -> new MissedBackups(hz));
  }

  /** Taken just before a write is sent. */
  public Sent sent() {
    return new Sent(removals.get(), hz.getCluster().getMembers());
  }

  /**
   * Completes true once the cluster is safe with no data member removed since {@code sent} and every data member of
   * then still here (a merge changes member UUIDs; lite members hold no data and do not count), false after {@link #CONFIRM_PROPERTY} ms, at a removal, or at
   * shutdown. Never fails.
   */
  public CompletableFuture<Boolean> confirm(Sent sent) {
    Waiter w = new Waiter(sent, new CompletableFuture<>());
    // Counted before the caller hears (a dependent of done registered here would run after the caller's own).
    CompletableFuture<Boolean> counted = w.done().thenApply(ok -> {
      waiting.remove(w);
      (ok ? confirmed : unconfirmed).increment();
      return ok;
    });
    if (stopped || confirmMs <= 0 || !unchanged(sent) || Stalls.recent() != null) {
      w.done().complete(false);
      return counted;
    }
    w.done().completeOnTimeout(false, confirmMs, TimeUnit.MILLISECONDS);
    waiting.add(w);
    check(0);
    return counted;
  }

  /** Writes confirmed after a missed acknowledgement so far. */
  public long confirmed() {
    return confirmed.sum();
  }

  /** Writes left unconfirmed (answered 504) after a missed acknowledgement so far. */
  public long unconfirmed() {
    return unconfirmed.sum();
  }

  /** Writes waiting to be confirmed now. */
  public int waiting() {
    return waiting.size();
  }

  /** How long a write waits to be confirmed, in ms. */
  public long confirmMs() {
    return confirmMs;
  }

  private boolean unchanged(Sent sent) {
    if (removals.get() != sent.removals()) {
      return false;
    }
    Set<Member> now = hz.getCluster().getMembers();
    for (Member m : sent.members()) {
      if (!m.isLiteMember() && !now.contains(m)) {
        return false;
      }
    }
    return true;
  }

  private void check(long delayMs) {
    if (stopped || !scheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      checker().schedule(this::checkNow, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      scheduled.set(false); // shut down meanwhile: the lifecycle listener failed the waiters
    }
  }

  private void checkNow() {
    scheduled.set(false);
    // Only the writes waiting before the check starts: a check begun earlier may have compared the replicas
    // before a later write was applied.
    List<Waiter> batch = List.copyOf(waiting);
    if (batch.isEmpty()) {
      return;
    }
    boolean safe;
    try {
      safe = hz.getPartitionService().isClusterSafe();
    } catch (RuntimeException e) {
      LOG.debug("Could not ask whether the cluster is safe: {}", e.toString());
      safe = false;
    }
    if (safe) {
      boolean stalled = Stalls.recent() != null;
      for (Waiter w : batch) {
        w.done().complete(!stalled && unchanged(w.sent()));
      }
    }
    if (!waiting.isEmpty()) {
      check(RECHECK_MS);
    }
  }

  private ScheduledExecutorService checker() {
    ScheduledExecutorService s = checker;
    if (s == null) {
      synchronized (this) {
        s = checker;
        if (s == null) {
          s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "steward-backup-confirm-" + hz.getName());
            t.setDaemon(true);
            return t;
          });
          checker = s;
          if (stopped) {
            s.shutdownNow();
          }
        }
      }
    }
    return s;
  }
}
