package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI seed 33535 fired one tick of a cluster-once job ({@code churn-1015}) on two nodes: while a restarted node
 * took partitions over, two nodes both held the job, and its delete came between their two claims of the tick.
 * The delete removed the job's claim state, so the second claim was judged against no state at all and won a tick
 * the first node had already won and fired. Two real members in this JVM; the second claim is the one a node that
 * still holds the job (it has not heard of the delete yet) sends for the tick.
 */
class ClaimAfterDeleteTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(ClaimAfterDeleteTest.class, 2);
    JsonObject extra = new JsonObject().put("schedule", new JsonObject().put("historyFlushMs", 100));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("schedule"), extra);
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_tick_won_before_the_job_was_deleted_is_not_won_again_by_a_node_that_still_holds_the_job_and_the_job_created_again_fires() throws Exception {
    String name = "churn-" + UUID.randomUUID().toString().substring(0, 8);
    String address = name + ".fires";
    AtomicLong firstTick = new AtomicLong(JobState.NONE);
    MessageConsumer<Object> consumer = a.vertx().eventBus().consumer(address,
      m -> firstTick.compareAndSet(JobState.NONE, Long.parseLong(m.headers().get(ActionRunner.TICK_HEADER))));
    consumer.completion().await(10, TimeUnit.SECONDS);
    try {
      JsonObject job = new JsonObject().put("name", name).put("every", "200ms")
        .put("action", new JsonObject().put("type", "publish").put("address", address));
      a.vertx().eventBus().request(Addresses.Schedule.PUT, job).await(20, TimeUnit.SECONDS);
      Poll.until(a.vertx(), "the job's first fire", 20_000, () -> Future.succeededFuture(firstTick.get() != JobState.NONE))
        .await(25, TimeUnit.SECONDS);
      long tick = firstTick.get();
      long version = JobRecord.fromStored(Cluster.hazelcast(b.vertx()).<String, String>getMap(JobStore.JOBS).get(name)).version();

      a.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", name)).await(20, TimeUnit.SECONDS);

      // A node that still holds the job claims the tick already won and fired, as the scheduler claims it.
      IMap<String, JobState> state = Cluster.hazelcast(b.vertx()).getMap(ScheduleNode.STATE);
      JobState.Claim again = new JobState.Claim(tick, "stale-node", System.currentTimeMillis(), false, Overlap.SKIP, 0, 1, version);
      long[] answer = state.submitToKey(name, new ClaimTick(again, List.of(), 20)).toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(ClaimResult.decode(answer).kind())
        .as("a claim of tick %d, won and fired before the delete, made after it", tick)
        .isNotEqualTo(ClaimResult.Kind.WON);

      // Created again under the same name: it counts its ticks from its new definition and fires them.
      AtomicLong recreated = new AtomicLong(JobState.NONE);
      MessageConsumer<Object> second = a.vertx().eventBus().consumer(address,
        m -> recreated.compareAndSet(JobState.NONE, Long.parseLong(m.headers().get(ActionRunner.TICK_HEADER))));
      second.completion().await(10, TimeUnit.SECONDS);
      try {
        a.vertx().eventBus().request(Addresses.Schedule.PUT, job).await(20, TimeUnit.SECONDS);
        Poll.until(a.vertx(), "the re-created job's first fire", 20_000, () -> Future.succeededFuture(recreated.get() != JobState.NONE))
          .await(25, TimeUnit.SECONDS);
        assertThat(recreated.get()).as("the re-created job's first fired tick").isGreaterThan(tick);
      } finally {
        second.unregister().await(10, TimeUnit.SECONDS);
      }
    } finally {
      consumer.unregister().await(10, TimeUnit.SECONDS);
    }
  }
}
