package io.steward.schedule;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 2051 (four nodes, {@code cluster.minimumSize} 3, two equal halves): a job deleted through one half
 * fired on the other as soon as the halves were one again, before the merge brought its tombstone. That half had lost
 * the job's partition (its owner and backup were on the other half), but its nodes' replicas of the jobs map still had
 * the job, and fired it once the cluster had the minimum again. The same holds whenever a partition is lost: a job
 * the cluster no longer has (its API answers "no such job") was fired on by every node that had it in its replica.
 *
 * <p>Here three members; two are terminated at once (no goodbye), so the survivor loses the partitions whose owner and
 * backup were both on them. The jobs whose entries went with those partitions must stop firing on the survivor; the
 * others fire on.
 */
class JobsInLostPartitionsTest {

  private static final long PERIOD_MS = 200;
  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true);

  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_job_whose_entry_was_lost_with_its_partition_stops_firing_on_the_nodes_that_still_had_it() throws Exception {
    cluster = TestCluster.create(JobsInLostPartitionsTest.class, 3);
    List<StewardNode> nodes = cluster.startBlocking(3, List.of("schedule"), null);
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    await(a, "no migration running", () -> hzA.getPartitionService().isClusterSafe());

    Map<String, Fires> fires = new LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      String name = "job-" + i;
      fires.put(name, Fires.listen(a.vertx(), name + ".fires").await(10, TimeUnit.SECONDS));
      JsonObject job = new JsonObject().put("name", name).put("every", PERIOD_MS + "ms")
        .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires"));
      a.vertx().eventBus().request(Addresses.Schedule.PUT, job, HERE).await(30, TimeUnit.SECONDS);
    }
    await(a, "every job fires", () -> fires.values().stream().allMatch(f -> f.size() >= 2));

    try (LogCapture logs = LogCapture.open()) {
      Cluster.hazelcast(nodes.get(1).vertx()).getLifecycleService().terminate();
      Cluster.hazelcast(nodes.get(2).vertx()).getLifecycleService().terminate();
      assertThat(logs.await(m -> m.contains("PartitionsLost - Partitions lost: "), 60_000)).as("partitions lost").isTrue();
    }
    IMap<String, String> jobs = hzA.getMap(JobStore.JOBS);
    await(a, "a alone", () -> hzA.getCluster().getMembers().size() == 1);
    List<String> lost = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (String name : fires.keySet()) {
      (jobs.get(name) == null ? lost : kept).add(name);
    }
    assertThat(lost).as("jobs whose entry went with a lost partition (owner and backup on the two terminated)").isNotEmpty();
    assertThat(kept).as("jobs a still holds").isNotEmpty();

    // Windows of time measured by the kept jobs' own fires on the survivor.
    String clock = kept.get(0);
    long settled = System.currentTimeMillis();
    await(a, "five ticks of a kept job after the loss", () -> fires.get(clock).firedByAfter(a.id(), settled) >= 5);
    long from = System.currentTimeMillis();
    await(a, "five more ticks of a kept job", () -> fires.get(clock).firedByAfter(a.id(), from) >= 5);
    for (String name : kept) {
      assertThat(fires.get(name).firedByAfter(a.id(), from)).as("kept job " + name + " fires on").isPositive();
    }
    for (String name : lost) {
      assertThat(fires.get(name).firedByAfter(a.id(), from)).as("job " + name + ", which the cluster no longer has, "
        + "fired on the survivor").isZero();
    }
    JsonObject listed = (JsonObject) a.vertx().eventBus().request(Addresses.Schedule.GET, new JsonObject().put("name", lost.get(0)), HERE)
      .transform(ar -> Future.succeededFuture(ar.succeeded() ? ar.result().body() : new JsonObject().put("failed", ar.cause().getMessage())))
      .await(30, TimeUnit.SECONDS);
    assertThat(listed.containsKey("failed")).as("the API does not know the lost job either: " + listed).isTrue();

    for (int i = 1; i < 3; i++) {
      cluster.stop(nodes.get(i)); // its Hazelcast is gone: its stop cannot finish cleanly
      nodes.get(i).vertx().close();
    }
  }

  private static void await(StewardNode node, String what, java.util.function.BooleanSupplier condition) throws Exception {
    Poll.until(node.vertx(), what, 60_000, () -> node.vertx().executeBlocking(condition::getAsBoolean))
      .await(70, TimeUnit.SECONDS);
  }
}
