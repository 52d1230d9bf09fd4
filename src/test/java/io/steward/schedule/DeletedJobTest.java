package io.steward.schedule;

import com.hazelcast.cluster.Address;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.spi.impl.eventservice.EventRegistration;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A deleted job does not fire after its delete was acknowledged (issue 16, campaign finding {@code deleted-jobs},
 * seeds 104-106 and 110), even on a node that has not yet heard of the delete through the jobs map's entry
 * listener: in the campaign, the node firing a job got the tombstone's event 1-3 s after the delete was answered
 * (while a killed member was being removed) and went on firing. Here node B stops hearing the jobs map's events on
 * purpose (its listener's registration is removed through Hazelcast's event service), as if they were late; the
 * delete is made on A, the job fires on B. Two real members in this JVM, new for each case.
 */
class DeletedJobTest {

  private static final long PERIOD_MS = 200;
  private static final DeliveryOptions ON_A = new DeliveryOptions().setLocalOnly(true);

  private TestCluster cluster;
  private StewardNode a;
  private StewardNode b;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.create(DeletedJobTest.class, 2);
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("schedule"), null);
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void a_cluster_once_job_deleted_while_its_node_has_not_heard_of_the_delete_does_not_fire_after_the_answer() throws Exception {
    deletedWhileTheFiringNodeLags("cluster-once");
  }

  @Test
  void an_every_node_job_deleted_while_a_node_has_not_heard_of_the_delete_does_not_fire_there_after_the_answer() throws Exception {
    deletedWhileTheFiringNodeLags("every-node");
  }

  @Test
  void a_forget_for_a_job_that_is_not_deleted_leaves_it_firing() throws Exception {
    String name = ownedByB("live");
    Fires fires = Fires.listen(a.vertx(), name + ".fires").await(10, TimeUnit.SECONDS);
    put(name, "cluster-once");
    await("B fires the job", () -> fires.firedByAfter(b.id(), 0) >= 1);
    JsonObject answer = (JsonObject) a.vertx().eventBus().request(Addresses.node(b.id(), Addresses.Schedule.NODE_FORGET),
      new JsonObject().put("name", name)).await(30, TimeUnit.SECONDS).body();
    assertThat(answer.getBoolean("dropped")).as("B reads the job's entry, not the message: " + answer).isFalse();
    long askedAt = System.currentTimeMillis();
    await("B goes on firing the job", () -> fires.firedByAfter(b.id(), askedAt) >= 3);
  }

  private void deletedWhileTheFiringNodeLags(String runOn) throws Exception {
    String name = ownedByB("deleted-" + runOn);
    String control = ownedByB("control-" + runOn);
    Fires fires = Fires.listen(a.vertx(), name + ".fires").await(10, TimeUnit.SECONDS);
    Fires controlFires = Fires.listen(a.vertx(), control + ".fires").await(10, TimeUnit.SECONDS);
    put(name, runOn);
    put(control, "cluster-once");
    await("B fires both jobs", () -> fires.firedByAfter(b.id(), 0) >= 2 && controlFires.firedByAfter(b.id(), 0) >= 2);

    assertThat(stopHearingTheJobsMap(b)).as("B's listeners of the jobs map removed").isPositive();
    await("B still fires the job", () -> fires.firedByAfter(b.id(), System.currentTimeMillis() - 2 * PERIOD_MS) >= 1);

    // Answered by A's module (local only: the bus would otherwise pick either node's consumer, and B's would apply the
    // tombstone to B's replica itself).
    Object answer = a.vertx().eventBus().request(Addresses.Schedule.DELETE, new JsonObject().put("name", name), ON_A)
      .await(30, TimeUnit.SECONDS).body();
    long answeredAt = System.currentTimeMillis();
    // A window of time measured by events: five more ticks of the control job that B fires.
    await("B fires five ticks of the control job after the delete's answer",
      () -> controlFires.firedByAfter(b.id(), answeredAt + PERIOD_MS / 2) >= 5);

    assertThat(fires.byTick().entrySet().stream().filter(e -> e.getKey() > answeredAt)
      .map(e -> e.getKey() + " by " + (e.getValue().contains(b.id()) ? "B" : "") + (e.getValue().contains(a.id()) ? "A" : ""))
      .sorted().toList())
      .as("ticks of the deleted job (" + runOn + ") fired after the delete was answered at " + answeredAt + " with " + answer
        + " (B does not hear the jobs map's events)")
      .isEmpty();
    assertThat(((JsonObject) answer).containsKey("unconfirmed")).as("every node confirmed: " + answer).isFalse();
  }

  /** Removes node's registrations of entry listeners on the jobs map (its replica's listener): it hears no change. */
  private static int stopHearingTheJobsMap(StewardNode node) {
    HazelcastInstanceImpl hz = ((HazelcastInstanceProxy) Cluster.hazelcast(node.vertx())).getOriginal();
    Address me = hz.node.getThisAddress();
    IMap<String, String> jobs = hz.getMap(JobStore.JOBS);
    int removed = 0;
    for (EventRegistration r : hz.node.getNodeEngine().getEventService().getRegistrations(MapService.SERVICE_NAME, JobStore.JOBS)) {
      if (me.equals(r.getSubscriber()) && jobs.removeEntryListener(r.getId())) {
        removed++;
      }
    }
    return removed;
  }

  /** A job name whose key B's member owns, so that B fires it if it is cluster-once. */
  private String ownedByB(String prefix) {
    HazelcastInstance hz = Cluster.hazelcast(b.vertx());
    for (int i = 0; ; i++) {
      String name = prefix + "-" + i;
      if (hz.getPartitionService().getPartition(name).getOwner().localMember()) {
        return name;
      }
    }
  }

  private void put(String name, String runOn) throws Exception {
    JsonObject job = new JsonObject().put("name", name).put("every", PERIOD_MS + "ms").put("runOn", runOn)
      .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires"));
    a.vertx().eventBus().request(Addresses.Schedule.PUT, job, ON_A).await(30, TimeUnit.SECONDS);
  }

  private void await(String what, java.util.function.BooleanSupplier condition) throws Exception {
    Poll.until(a.vertx(), what, 30_000, () -> Future.succeededFuture(condition.getAsBoolean()))
      .await(35, TimeUnit.SECONDS);
  }
}
