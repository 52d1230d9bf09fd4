package io.steward.schedule;

import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schedule registry ({@code steward.schedule.nodes}) after a split brain heals: each side's oldest member
 * removed the other side's entries when it saw them leave, and a merge brings an entry back only if its side held
 * a copy of the entry's partition (and then as a merge event, not an add). A node missing from the registry fires
 * nothing ({@link ScheduleNodes#fires}), while its fence is down and it lists every job. Two real nodes in this JVM;
 * the entries are removed by hand, as the merge leaves them.
 */
class ScheduleRegistryTest {

  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.create(ScheduleRegistryTest.class, 2);
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("schedule"), null);
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void jobs_fire_again_when_every_node_is_missing_from_the_schedule_registry_after_a_merge() throws Exception {
    String name = "registry-" + System.nanoTime();
    AtomicLong fires = new AtomicLong();
    AtomicLong lastFireAt = new AtomicLong();
    MessageConsumer<Object> consumer = a.vertx().eventBus().consumer(name + ".fires", m -> {
      fires.incrementAndGet();
      lastFireAt.set(System.currentTimeMillis());
    });
    consumer.completion().await(10, TimeUnit.SECONDS);
    try {
      JsonObject job = new JsonObject().put("name", name).put("every", "200ms")
        .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires"));
      a.vertx().eventBus().request(Addresses.Schedule.PUT, job).await(20, TimeUnit.SECONDS);
      await("the job fires", 30_000, () -> fires.get() >= 3);

      // What the merge leaves: neither node's entry (removed by the other side's oldest member; this side's copy
      // of the entry's partition lost with the members that were cut off).
      IMap<String, String> registry = Cluster.hazelcast(a.vertx()).getMap(ScheduleNodes.NODES);
      registry.delete(a.id());
      registry.delete(b.id());
      long removedAt = System.currentTimeMillis();

      await("the job fires again after both nodes left the schedule registry", 30_000,
        () -> lastFireAt.get() > removedAt + 1_000 && fires.get() >= 3);
      await("both nodes are listed again", 30_000,
        () -> registry.containsKey(a.id()) && registry.containsKey(b.id()));
    } finally {
      a.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", name))
        .await(20, TimeUnit.SECONDS);
      consumer.unregister().await(10, TimeUnit.SECONDS);
    }
  }

  private static void await(String what, long timeoutMs, java.util.function.BooleanSupplier condition) throws Exception {
    Poll.until(a.vertx(), what, timeoutMs, () -> Future.succeededFuture(condition.getAsBoolean()))
      .await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }
}
