package io.steward.cache;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.steward.testing.Bus.call;
import static io.steward.testing.Bus.entry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cache after a real Hazelcast split-brain merge in this JVM, with {@code cluster.minimumSize} set: two clusters
 * of the same name form apart (each member lists only its own side), take increments, and are then allowed to find
 * each other (the lone side's member list is widened at run time), so that Hazelcast merges the smaller side into
 * the larger one with the caches' merge policy.
 */
class CacheSplitBrainTest {

  private static final List<String> MODULES = List.of("cache");
  private static final JsonObject CACHES = new JsonObject().put("counters", new JsonObject());

  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private JsonObject node(int port, List<Integer> side) {
    JsonArray members = new JsonArray();
    side.forEach(p -> members.add("127.0.0.1:" + p));
    return new JsonObject()
      .put("cluster", new JsonObject().put("port", port).put("members", members).put("minimumSize", 2))
      .put("cache", new JsonObject().put("caches", CACHES));
  }

  private static JsonObject increment(StewardNode node, String key, String opId) throws Exception {
    return call(node.vertx(), Addresses.Cache.UPDATE, entry("counters", key).put("increment", 1).put("opId", opId));
  }

  @Test
  void after_a_split_with_minimum_size_the_majority_sides_counter_wins_the_merge_even_when_the_other_side_wrote_last()
      throws Exception {
    cluster = TestCluster.create(CacheSplitBrainTest.class, 4);
    int base = cluster.config(MODULES, null).getJsonObject("cluster").getInteger("port");
    int pa = base;
    int pd = base + 1;
    int pb = base + 2;
    int pc = base + 3;
    // The larger side (b, c) forms first; a and d form a cluster of their own that does not know b and c.
    Future<StewardNode> fb = cluster.start(MODULES, node(pb, List.of(pb, pc)));
    Future<StewardNode> fc = cluster.start(MODULES, node(pc, List.of(pb, pc)));
    StewardNode b = fb.await(90, TimeUnit.SECONDS);
    fc.await(90, TimeUnit.SECONDS);
    Future<StewardNode> fa = cluster.start(MODULES, node(pa, List.of(pa, pd)));
    Future<StewardNode> fd = cluster.start(MODULES, node(pd, List.of(pa, pd)));
    StewardNode a = fa.await(90, TimeUnit.SECONDS);
    StewardNode d = fd.await(90, TimeUnit.SECONDS);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(b.vertx());
    assertThat(hzA.getCluster().getMembers()).hasSize(2);
    assertThat(hzB.getCluster().getMembers()).hasSize(2);

    for (int i = 0; i < 10; i++) {
      assertThat(increment(b, "c", "majority-" + i).getInteger("value")).isEqualTo(i + 1);
    }
    // The other side writes last: a latest-update policy would prefer its copy (ties in the same second too).
    assertThat(increment(a, "c", "minority-0").getInteger("value")).isEqualTo(1);
    assertThat(increment(a, "only-minority", "minority-1").getInteger("value")).isEqualTo(1);

    // d leaves cleanly (its entries move to a): a is now the smaller side. Then a learns where b and c are.
    cluster.stop(d).await(60, TimeUnit.SECONDS);
    Poll.until(a.vertx(), "a alone", 30_000, () -> Future.succeededFuture(hzA.getCluster().getMembers().size() == 1))
      .await(40, TimeUnit.SECONDS);
    // Hazelcast fires MERGED once the merge operations of the smaller side's entries have completed.
    Promise<Void> merged = Promise.promise();
    hzA.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
        merged.tryComplete();
      }
    });
    hzA.getConfig().getNetworkConfig().getJoin().getTcpIpConfig().addMember("127.0.0.1:" + pb)
      .addMember("127.0.0.1:" + pc);
    merged.future().await(120, TimeUnit.SECONDS);
    assertThat(hzB.getCluster().getMembers()).hasSize(3);

    JsonObject counter = call(b.vertx(), Addresses.Cache.GET, entry("counters", "c"));
    assertThat(counter.getValue("value")).as("the majority's ten acknowledged increments survive the merge").isEqualTo(10);
    assertThat(call(b.vertx(), Addresses.Cache.GET, entry("counters", "only-minority")).getValue("value"))
      .as("a key only the smaller side has is kept").isEqualTo(1);
    assertThat(increment(b, "c", "majority-3").getBoolean("duplicate"))
      .as("the surviving copy still knows the majority's update ids").isTrue();
  }
}
