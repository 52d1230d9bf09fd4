package io.steward.schedule;

import com.hazelcast.core.HazelcastInstance;
import io.steward.spi.Cluster;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fence's stall detection (and its clock bound), end to end on a real two-member cluster in this JVM (issue 15, item 10): node A's
 * fence reads clocks the test moves, as a suspend of the VM or the host moves them (the wall clock jumps, the
 * monotonic clock does not), or as a step of the wall clock and a stall disagree; node B's fence reads the system
 * clocks and is the witness A asks. A SIGSTOP cannot show the first case: a stopped process's monotonic clock goes
 * on. The split-brain and pause scenarios with real processes are in SplitBrainScheduleIT and KillDuringScheduleIT.
 */
class FenceStallTest {

  private static final long PAUSE_FENCE_MS = 2_000;

  /** The system clocks, shifted by what the test says happened. */
  static final class MovedClocks implements Fence.Clocks {
    volatile long nanoShift;
    volatile long wallShift;

    @Override
    public long nanoTime() {
      return System.nanoTime() + nanoShift;
    }

    @Override
    public long wallMillis() {
      return System.currentTimeMillis() + wallShift;
    }
  }

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private Fence fenceA;
  private Fence fenceB;
  private final MovedClocks clocksA = new MovedClocks();
  private final List<Boolean> changesA = new CopyOnWriteArrayList<>();
  private long beatTimer = -1;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(FenceStallTest.class, 2);
    // No schedule module: the only fences on these members are the test's.
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("fanout"), null);
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private void fences() {
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(b.vertx());
    fenceA = new Fence(a.vertx(), hzA, 1, PAUSE_FENCE_MS, 60_000, 0, changesA::add, Fence.ClockPeers.NONE, clocksA);
    fenceB = new Fence(b.vertx(), hzB, 1, PAUSE_FENCE_MS, 60_000, 0, up -> { }, Fence.ClockPeers.NONE, Fence.Clocks.SYSTEM);
    fenceA.start();
    fenceB.start();
    fenceA.beat(0);
    fenceB.beat(0);
    assertThat(fenceA.isUp()).as("no stall yet").isFalse();
  }

  /** A's scheduler loop beats every 100 ms, as a shard does ({@link ShardVerticle}). */
  private void beating() {
    beatTimer = a.vertx().setPeriodic(Fence.beatMs(), t -> fenceA.beat(0));
  }

  @AfterEach
  void stopFences() {
    if (beatTimer >= 0) {
      a.vertx().cancelTimer(beatTimer);
    }
    if (fenceA != null) {
      fenceA.stop();
    }
    if (fenceB != null) {
      fenceB.stop();
    }
  }

  private static void await(StewardNode node, String what, java.util.function.BooleanSupplier condition) throws Exception {
    Poll.until(node.vertx(), what, 30_000, () -> Future.succeededFuture(condition.getAsBoolean()))
      .await(35, TimeUnit.SECONDS);
  }

  @Test
  void a_suspend_only_the_wall_clock_saw_fences_the_node_until_a_peer_that_kept_running_vouches_for_it() throws Exception {
    fences();
    beating();
    clocksA.wallShift += 30_000; // 30 s suspended: CLOCK_MONOTONIC stood still, the wall clock went on
    fenceA.beat(0);

    assertThat(fenceA.isUp()).as("fenced after a 30 s suspend the monotonic clock did not see").isTrue();
    assertThat(fenceA.guard(0).fenced()).as("a claim now is refused").isTrue();
    assertThat(fenceA.reason()).contains("30").contains("by the wall clock").contains("monotonic clock");
    assertThat(changesA).containsExactly(true);
    assertThat(fenceB.isUp()).as("the peer kept running").isFalse();

    // B did not stall, sees the same two members: it vouches for A after two heartbeats (the verification delay).
    long raised = System.nanoTime();
    await(a, "B vouches for A and its fence comes down", () -> !fenceA.isUp());
    assertThat((System.nanoTime() - raised) / 1_000_000).as("up until a peer was asked").isGreaterThanOrEqualTo(1_500);
    assertThat(changesA).containsExactly(true, false);
    assertThat(fenceA.guard(0).fenced()).isFalse();
  }

  @Test
  void a_claim_that_finds_its_loop_suspended_is_refused_before_any_beat_notices() throws Exception {
    fences();
    long epoch = fenceA.guard(0).epoch();
    clocksA.wallShift += 10_000;

    assertThat(fenceA.guard(0).fenced()).as("the claim's own check").isTrue();
    assertThat(fenceA.guard(0).epoch()).as("a claim in flight across the stall is abandoned").isNotEqualTo(epoch);
    assertThat(fenceA.reason()).contains("at a claim");
  }

  @Test
  void a_stall_the_monotonic_clock_saw_fences_the_node_though_the_wall_clock_was_stepped_back() throws Exception {
    fences();
    clocksA.nanoShift += 12_000_000_000L; // a 12 s GC pause or SIGSTOP...
    clocksA.wallShift -= 3_000; // ...while NTP stepped the wall clock back 3 s
    fenceA.beat(0);

    assertThat(fenceA.isUp()).as("fenced after a 12 s stall").isTrue();
    assertThat(fenceA.reason()).contains("silent for 12");
  }

  @Test
  void a_wall_clock_beyond_the_bound_fences_the_node_until_it_has_been_back_within_the_bound_for_the_settle_time() throws Exception {
    List<Boolean> clockChanges = new CopyOnWriteArrayList<>();
    clocksA.wallShift = 10_000; // this node's wall clock is 10 s ahead of the cluster clock from the start
    List<Long> published = new CopyOnWriteArrayList<>();
    Fence.ClockPeers peers = new Fence.ClockPeers() {
      @Override
      public List<Long> offsets() {
        return List.of(0L); // one other schedule node, on time
      }

      @Override
      public void publish(long offsetMs) {
        published.add(offsetMs);
      }

      @Override
      public void fenced(boolean fenced) {
        clockChanges.add(fenced);
      }
    };
    fenceA = new Fence(a.vertx(), Cluster.hazelcast(a.vertx()), 1, PAUSE_FENCE_MS, 60_000, 5_000, changesA::add,
      peers, clocksA);
    fenceA.start();
    fenceA.checkClock(); // as the registry does before this node registers

    assertThat(fenceA.isUp()).as("fenced before it ever registers").isTrue();
    assertThat(fenceA.clockFenced()).isTrue();
    assertThat(fenceA.guard(0).fenced()).isTrue();
    assertThat(fenceA.reason()).contains("ahead of the cluster clock").contains("schedule.clockFenceMs (5000 ms)");
    assertThat(clockChanges).containsExactly(true);
    assertThat(changesA).containsExactly(true);
    assertThat(published).as("the offset, published for the other nodes").allMatch(o -> o > 9_000 && o < 11_000);

    clocksA.wallShift = 0; // NTP fixed it
    long fixed = System.nanoTime();
    await(a, "the clock fence comes down", () -> !fenceA.isUp());
    assertThat((System.nanoTime() - fixed) / 1_000_000).as("within the bound for the settle time first")
      .isGreaterThanOrEqualTo(ClockBound.SETTLE_MS - 1_000);
    assertThat(fenceA.clockFenced()).isFalse();
    assertThat(fenceA.reason()).isNull();
    assertThat(clockChanges).containsExactly(true, false);
    assertThat(changesA).containsExactly(true, false);
  }

  @Test
  void beats_a_tenth_of_a_second_apart_on_both_clocks_are_no_stall() throws Exception {
    fences();
    for (int i = 0; i < 50; i++) {
      clocksA.nanoShift += 100_000_000L;
      clocksA.wallShift += 100;
      fenceA.beat(0);
    }
    assertThat(fenceA.isUp()).isFalse();
    assertThat(fenceA.guard(0).fenced()).isFalse();
    assertThat(changesA).isEmpty();
  }

  @Test
  void a_fenced_node_answers_a_peer_with_every_stall_since_its_fence_went_up_not_only_the_latest() throws Exception {
    fences();
    clocksA.wallShift += 10_000; // stopped for 10 s (seed 88: SIGSTOPped while its peer stalled too)...
    fenceA.beat(0);
    FenceRule.Answer first = FenceRule.Answer.parse("a", fenceA.status());
    assertThat(first.stallEnd() - first.stallStart()).as("the stall it reports").isBetween(9_900L, 11_000L);
    clocksA.wallShift += 2_500; // ...then a 2.5 s blocked loop while still fenced
    fenceA.beat(0);
    assertThat(fenceA.isUp()).isTrue();

    FenceRule.Answer answer = FenceRule.Answer.parse("a", fenceA.status());
    assertThat(answer.stallStart()).as("the reported stall begins with the first one, so a peer that stalled during "
      + "it is not vouched for").isLessThanOrEqualTo(first.stallStart());
    assertThat(answer.stallEnd()).isGreaterThanOrEqualTo(first.stallEnd());
    assertThat(answer.stalledDuring(first.stallStart() + 1_000, first.stallStart() + 3_000)).isTrue();
  }
}
