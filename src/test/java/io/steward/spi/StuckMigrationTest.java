package io.steward.spi;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stuck-migration watch on a moved clock, with the migration thread's stack as Hazelcast 5.6 showed it in
 * campaign seed 2160 (thread dump of the member that never merged back): parked in the promotion commit's retry.
 */
class StuckMigrationTest {

  private static final StackTraceElement[] STUCK = {
    new StackTraceElement("jdk.internal.misc.Unsafe", "park", null, -2),
    new StackTraceElement("com.hazelcast.spi.impl.AbstractInvocationFuture", "get", "AbstractInvocationFuture.java", 616),
    new StackTraceElement("com.hazelcast.internal.partition.impl.MigrationManagerImpl$RepairPartitionTableTask",
      "commitPromotionsToDestination", "MigrationManagerImpl.java", 1885),
    new StackTraceElement("com.hazelcast.internal.partition.impl.MigrationManagerImpl$RepairPartitionTableTask",
      "commitPromotionsToDestination", "MigrationManagerImpl.java", 1895),
    new StackTraceElement("com.hazelcast.internal.partition.impl.MigrationThread", "run", "MigrationThread.java", 66),
  };
  private static final StackTraceElement[] IDLE = {
    new StackTraceElement("jdk.internal.misc.Unsafe", "park", null, -2),
    new StackTraceElement("com.hazelcast.internal.partition.impl.MigrationQueue", "poll", "MigrationQueue.java", 48),
    new StackTraceElement("com.hazelcast.internal.partition.impl.MigrationThread", "run", "MigrationThread.java", 66),
  };

  @Test
  void a_promotion_commit_seen_without_a_break_for_the_bound_is_stuck() {
    StuckMigration s = new StuckMigration(60_000, () -> 0);
    assertThat(s.observe(STUCK, 1_000)).isFalse();
    assertThat(s.observe(STUCK, 30_000)).isFalse();
    assertThat(s.observe(IDLE, 32_000)).as("it finished: a healthy commit").isFalse();
    assertThat(s.observe(STUCK, 34_000)).isFalse();
    assertThat(s.observe(STUCK, 93_000)).as("59 s since it was seen again").isFalse();
    assertThat(s.observe(STUCK, 94_000)).isTrue();
    assertThat(s.observe(null, 95_000)).as("no migration thread found").isFalse();
  }

  @Test
  void the_bound_zero_turns_the_watch_off() {
    StuckMigration s = new StuckMigration(0, () -> 0);
    assertThat(s.observe(STUCK, 0)).isFalse();
    assertThat(s.observe(STUCK, 10_000_000)).isFalse();
  }

  @Test
  void once_stuck_the_node_reports_it_and_stops_once() {
    AtomicLong now = new AtomicLong();
    StuckMigration s = new StuckMigration(60_000, now::get);
    AtomicInteger exits = new AtomicInteger();
    AtomicReference<StackTraceElement[]> stack = new AtomicReference<>(STUCK);
    s.check(stack::get, exits::incrementAndGet);
    now.set(59_999);
    s.check(stack::get, exits::incrementAndGet);
    assertThat(s.stuck()).isNull();
    assertThat(exits).hasValue(0);
    now.set(60_000);
    s.check(stack::get, exits::incrementAndGet);
    assertThat(s.stuck()).contains("stuck in a promotion commit for 60000 ms", "restart the node");
    assertThat(exits).hasValue(1);
    now.set(70_000);
    s.check(stack::get, exits::incrementAndGet);
    assertThat(exits).as("stopped once").hasValue(1);
  }

  @Test
  void without_the_exit_the_node_only_reports_it() {
    AtomicLong now = new AtomicLong();
    StuckMigration s = new StuckMigration(1_000, now::get);
    s.check(() -> STUCK, null);
    now.set(1_000);
    s.check(() -> STUCK, null);
    assertThat(s.stuck()).isNotNull();
  }
}
