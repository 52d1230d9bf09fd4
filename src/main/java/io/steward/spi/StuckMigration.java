package io.steward.spi;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A member whose partition migrations are stuck for good, and the way out: stop the node, so that its supervisor
 * (systemd, Kubernetes, the operator) starts it again and it joins as a new member (campaign seed 2160).
 *
 * <p>Hazelcast 5.6 and 5.7 run a promotion (a backup made owner after a member left) in stages on the destination,
 * each rescheduled with the operation's original call timeout (the failure detection time). A JVM pause longer than
 * that between two stages (a GC pause, SIGSTOP, a suspended VM) makes the next stage rejected as timed out: the
 * promotion never ends and never gives back its permit, the master retries the commit forever on its migration
 * thread, and every later migration waits behind it. Such a member can never merge with the rest after a split
 * ("Still have pending migration tasks, cannot lock cluster state" every second) nor take partitions over: without
 * {@code cluster.minimumSize} it fires its jobs on its own for good. Hazelcast's main line fixes it (the later
 * stages get no call timeout); no released version has the fix yet.
 *
 * <p>Seen from outside, its migration thread has been in the promotion commit for longer than any healthy commit takes
 * (a commit to a member that does not answer ends when failure detection removes it). That is what this watches, every
 * few seconds: past {@code cluster.stuckMigrationMs} it logs one ERROR, the {@code /health} cluster check answers DOWN,
 * the gauge {@code steward_node_migration_stuck} is 1, and, unless {@code cluster.stuckMigrationExit} is false, the
 * node stops with exit code {@value #EXIT_CODE}.
 */
public final class StuckMigration {

  /** The exit code of a node stopped because its migrations are stuck (EX_SOFTWARE). */
  public static final int EXIT_CODE = 70;
  static final String FRAME = "commitPromotionsToDestination";
  private static final Logger LOG = LoggerFactory.getLogger(StuckMigration.class);
  private static final String KEY = StuckMigration.class.getName();

  private final long boundMs;
  private final LongSupplier clockMs;
  private long since = -1;
  private volatile String stuck;

  /** The decision alone ({@link #observe}). */
  StuckMigration(long boundMs, LongSupplier clockMs) {
    this.boundMs = boundMs;
    this.clockMs = clockMs;
  }

  /** This member's watch, or null when none was started (a lite member, a test's bare instance). */
  public static StuckMigration of(HazelcastInstance hz) {
    return (StuckMigration) hz.getUserContext().get(KEY);
  }

  public static StuckMigration start(HazelcastInstance hz, long boundMs, MeterRegistry registry) {
    StuckMigration s = new StuckMigration(boundMs, () -> System.nanoTime() / 1_000_000);
    hz.getUserContext().put(KEY, s);
    if (registry != null) {
      Gauge.builder("steward_node_migration_stuck", s, x -> x.stuck == null ? 0 : 1)
        .description("1 when this member's partition migrations have been stuck past cluster.stuckMigrationMs (a "
          + "Hazelcast promotion cut by a JVM pause): it can no longer merge or take partitions; restart the node")
        .register(registry);
    }
    return s;
  }

  /** Why this member is stuck (for /health), or null. */
  public String stuck() {
    return stuck;
  }

  /**
   * One look at the migration thread's stack: true once it has been in a promotion commit for {@code boundMs} or more
   * without leaving it between two looks.
   */
  boolean observe(StackTraceElement[] stack, long nowMs) {
    if (boundMs <= 0 || stack == null || !inPromotionCommit(stack)) {
      since = -1;
      return false;
    }
    if (since < 0) {
      since = nowMs;
    }
    return nowMs - since >= boundMs;
  }

  static boolean inPromotionCommit(StackTraceElement[] stack) {
    for (StackTraceElement e : stack) {
      if (FRAME.equals(e.getMethodName()) && e.getClassName().startsWith("com.hazelcast.internal.partition.")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Looks once ({@code stack}: that of Hazelcast's migration thread of this member, null when not found) and acts the first
   * time the bound is passed: ERROR, health DOWN, and {@code exit} (when given) run.
   */
  public void check(Supplier<StackTraceElement[]> stack, Runnable exit) {
    if (stuck != null) {
      return;
    }
    long now = clockMs.getAsLong();
    if (!observe(stack.get(), now)) {
      return;
    }
    long forMs = now - since;
    stuck = "Hazelcast's partition migration on this member has been stuck in a promotion commit for " + forMs
      + " ms (a JVM pause longer than failure detection during a promotion: a Hazelcast defect); this member can no "
      + "longer merge with the others or take partitions over; restart the node";
    LOG.error("{}. {}", stuck, exit == null
      ? "cluster.stuckMigrationExit is false: the node stays up, /health answers DOWN (a liveness probe can restart it)."
      : "Stopping the node now (exit code " + EXIT_CODE + ") so that its supervisor starts it again as a new member; "
        + "set cluster.stuckMigrationExit false to keep it up instead.");
    if (exit != null) {
      exit.run();
    }
  }

  /** Hazelcast's migration thread of {@code hz} ({@code hz.<instance>.migration}), or null. */
  public static Thread migrationThread(HazelcastInstance hz) {
    String name = "hz." + hz.getName() + ".migration";
    // The threads alone, without their stacks (Thread.getAllStackTraces would walk every thread's stack).
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 64];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      if (name.equals(threads[i].getName())) {
        return threads[i];
      }
    }
    return null;
  }

  /**
   * Stops the JVM with {@link #EXIT_CODE}: shutdown hooks first (logs flushed, the store closed), then a halt if they
   * have not finished within {@code graceMs} (a graceful Hazelcast shutdown waits for migrations, which are stuck).
   */
  public static void exit(long graceMs) {
    Thread halt = new Thread(() -> {
      try {
        TimeUnit.MILLISECONDS.sleep(graceMs); // the deadline itself: hooks still running by then are given up
      } catch (InterruptedException e) {
        return;
      }
      Runtime.getRuntime().halt(EXIT_CODE);
    }, "steward-stuck-migration-halt");
    halt.setDaemon(true);
    halt.start();
    Thread exit = new Thread(() -> System.exit(EXIT_CODE), "steward-stuck-migration-exit");
    exit.start();
  }
}
