package io.steward.schedule;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stall fence raised before a split brain comes down once the merge is done (issue 16, fault campaign seed 88:
 * "schedule fence never lowered"). Two schedule nodes with {@code cluster.minimumSize} 2 stall together (both
 * fences read clocks the test moves, as a loaded or suspended host moves them), then split: each side removes the
 * other, and B merges into A with a new member UUID. Both nodes now list both members, but on the code before the
 * fix A's fence stayed up until {@code schedule.fenceAloneMs}: B had stalled with A, so it could not vouch as a
 * witness, and "nobody left" compared member UUIDs, so B's new UUID counted as a member gone. Every job A places
 * stayed silent in a whole cluster.
 *
 * <p>About 40 s on a quiet machine (two real members, a split and a merge): behind {@code -Dsplitbrain=true}, as the
 * other in-JVM split-brain tests are. Run it with
 * {@code mvn -B -o test -Dtest=FenceMergeTest -Dsplitbrain=true -Dsurefire.failIfNoSpecifiedTests=false}; the rule it
 * exercises is unit-tested in every build by {@link FenceRuleTest}.
 */
@EnabledIfSystemProperty(named = "splitbrain", matches = "true")
class FenceMergeTest {

  private static final int JOBS = 8;
  /** Far beyond the test's deadlines: the last-resort wait must not be what lowers the fence here. */
  private static final int FENCE_ALONE_MS = 120_000;
  /** Two heartbeats (1 s each in TestCluster) before the first question, then one every second: well within this. */
  private static final long LOWER_BOUND_MS = 20_000;

  /** The system clocks, shifted by what the test says happened. */
  static final class MovedClocks implements Fence.Clocks {
    volatile long nanoShift;

    @Override
    public long nanoTime() {
      return System.nanoTime() + nanoShift;
    }

    @Override
    public long wallMillis() {
      return System.currentTimeMillis();
    }
  }

  @Test
  void a_fence_raised_before_a_split_comes_down_once_the_other_side_has_merged_back_with_a_new_member_uuid()
    throws Exception {
    JsonObject extra = new JsonObject()
      .put("cluster", new JsonObject().put("minimumSize", 2))
      .put("schedule", new JsonObject().put("fenceAloneMs", FENCE_ALONE_MS).put("instances", 1));
    try (TestCluster cluster = TestCluster.create(FenceMergeTest.class, 2)) {
      // With cluster.minimumSize 2 the first node's start waits for the second.
      Future<StewardNode> first = cluster.start(List.of("schedule"), extra);
      StewardNode second = cluster.start(List.of("schedule"), extra).await(90, TimeUnit.SECONDS);
      StewardNode one = first.await(90, TimeUnit.SECONDS);
      // A is the master (the oldest member: whichever joined first).
      boolean oneIsMaster = Cluster.hazelcast(one.vertx()).getCluster().getMembers().iterator().next().localMember();
      StewardNode a = oneIsMaster ? one : second;
      StewardNode b = oneIsMaster ? second : one;
      HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
      HazelcastInstance hzB = Cluster.hazelcast(b.vertx());

      List<Fires> fires = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        String address = "test.fencemerge." + i;
        fires.add(Fires.listen(a.vertx(), address).await(10, TimeUnit.SECONDS));
        a.vertx().eventBus().request(Addresses.Schedule.PUT, new JsonObject().put("name", "fencemerge-" + i)
            .put("every", "300ms").put("action", new JsonObject().put("type", "send").put("address", address).put("reply", false)))
          .await(20, TimeUnit.SECONDS);
      }
      long putAt = System.currentTimeMillis();
      await(a, "both nodes fire the jobs placed on them", 60_000,
        () -> firedBy(fires, a.id(), putAt) > 0 && firedBy(fires, b.id(), putAt) > 0);

      // Both stall together (seed 88: A was silent for 2 s under load, then SIGSTOPped; B was silent for 5 s).
      Fence fenceA = fence(hzA);
      Fence fenceB = fence(hzB);
      MovedClocks clocksA = new MovedClocks();
      MovedClocks clocksB = new MovedClocks();
      fenceA.clocks(clocksA);
      fenceB.clocks(clocksB);
      clocksA.nanoShift += 5_000_000_000L;
      clocksB.nanoShift += 5_000_000_000L;
      await(a, "both fences raised by the stall", 10_000, () -> fenceA.isUp() && fenceB.isUp());
      assertThat(fenceA.reason()).contains("silent for 5");

      // The split: each side removes the other. Neither finds the other by itself meanwhile (Hazelcast's split-brain
      // handler looks every 10 s through the join list): the test merges B into A, as seed 88's merge went.
      Member memberA = hzA.getCluster().getLocalMember();
      Member memberB = hzB.getCluster().getLocalMember();
      UUID oldB = memberB.getUuid();
      hzA.getConfig().getNetworkConfig().getJoin().getTcpIpConfig().setMembers(List.of(address(memberA)));
      hzB.getConfig().getNetworkConfig().getJoin().getTcpIpConfig().setMembers(List.of(address(memberB)));
      node(hzA).getClusterService().suspectMember(seenBy(hzA, memberB), "test: split brain", true);
      node(hzB).getClusterService().suspectMember(seenBy(hzB, memberA), "test: split brain", true);
      await(a, "each side sees only itself", 30_000,
        () -> hzA.getCluster().getMembers().size() == 1 && hzB.getCluster().getMembers().size() == 1);

      Promise<Void> merged = Promise.promise();
      hzB.getLifecycleService().addLifecycleListener(e -> {
        if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
          merged.tryComplete();
        }
      });
      Address target = memberA.getAddress();
      node(hzB).getClusterService().merge(target);
      merged.future().await(60, TimeUnit.SECONDS);
      long mergedAt = System.currentTimeMillis();
      UUID newB = hzB.getCluster().getLocalMember().getUuid();
      assertThat(newB).as("B merged with a new member UUID").isNotEqualTo(oldB);
      await(a, "both list both members", 30_000,
        () -> hzA.getCluster().getMembers().size() == 2 && hzB.getCluster().getMembers().size() == 2);
      assertThat(fenceA.isUp()).as("A's fence is still up right after the merge").isTrue();

      await(a, "A's fence comes down within " + LOWER_BOUND_MS + " ms of the merge (schedule.fenceAloneMs is "
        + FENCE_ALONE_MS + " ms): it stays up with reason: " + fenceA.reason(), LOWER_BOUND_MS, () -> !fenceA.isUp());
      long loweredA = System.currentTimeMillis();
      assertThat(loweredA - mergedAt).isLessThan(LOWER_BOUND_MS);
      await(b, "B's fence comes down too", LOWER_BOUND_MS, () -> !fenceB.isUp());

      long lowered = System.currentTimeMillis();
      await(a, "A fires its jobs again", 30_000, () -> firedBy(fires, a.id(), lowered) > 0);
      await(a, "every job fires again", 30_000, () -> fires.stream().allMatch(f -> f.after(lowered) > 0));
      for (Fires f : fires) {
        assertThat(f.doubled()).as("no tick fired twice").isEmpty();
      }
    }
  }

  private static long firedBy(List<Fires> fires, String node, long after) {
    return fires.stream().mapToLong(f -> f.firedByAfter(node, after)).sum();
  }

  /** {@code member} as {@code hz} lists it (a member may not suspect itself). */
  private static Member seenBy(HazelcastInstance hz, Member member) {
    return hz.getCluster().getMembers().stream().filter(m -> m.getUuid().equals(member.getUuid())).findFirst().orElseThrow();
  }

  private static Fence fence(HazelcastInstance hz) {
    return (Fence) hz.getUserContext().get(Fence.CONTEXT_KEY);
  }

  private static String address(Member m) {
    return m.getAddress().getHost() + ":" + m.getAddress().getPort();
  }

  private static Node node(HazelcastInstance hz) {
    return hz instanceof HazelcastInstanceProxy p ? p.getOriginal().node : ((HazelcastInstanceImpl) hz).node;
  }

  private static void await(StewardNode node, String what, long ms, java.util.function.BooleanSupplier condition)
    throws Exception {
    Poll.until(node.vertx(), what, ms, () -> Future.succeededFuture(condition.getAsBoolean()))
      .await(ms + 5_000, TimeUnit.MILLISECONDS);
  }
}
