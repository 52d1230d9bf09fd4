package io.steward.tasks;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Campaign seed 1003 in one JVM, with a real Hazelcast split-brain merge: a durable submit whose record write failed
 * as one sent to a member that then left does (answered 504, its record taken back) while that member, cut off, applied
 * the write on its own side, took the task over there and was running it when the sides merged. After the merge the
 * submitter's tombstone stands: the task is {@code refused}, the cut-off node drops its copy when its attempt ends, and
 * nobody runs it again. Two clusters of the same name form apart (each member lists only its own side) and are then
 * allowed to find each other, as in CacheSplitBrainTest.
 *
 * <p>About 20-50 s (two clusters merge); behind {@code -Dsplitbrain=true} to keep CI under 15 minutes:
 * {@code mvn -B -o test -Dtest=RefusedSubmitMergeTest -Dsplitbrain=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class RefusedSubmitMergeTest {

  private static final List<String> MODULES = List.of("tasks");
  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private TestCluster cluster;

  @AfterEach
  void stop() throws Exception {
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject node(int port, List<Integer> side) {
    JsonArray members = new JsonArray();
    side.forEach(p -> members.add("127.0.0.1:" + p));
    return new JsonObject().put("cluster", new JsonObject().put("port", port).put("members", members))
      .put("tasks", new JsonObject().put("orphanSweepMs", 500));
  }

  private static JsonObject get(StewardNode node, String id) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", id), HERE)
      .await(40, TimeUnit.SECONDS).body();
  }

  private static String state(HazelcastInstance hz, String id) {
    String v = hz.<String, String>getMap(TaskStore.RECORDS).get(id);
    return v == null ? null : new JsonObject(v).getString("state");
  }

  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void a_submit_answered_504_that_a_cut_off_side_applied_and_ran_does_not_run_after_the_merge_and_get_answers_refused()
      throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(RefusedSubmitMergeTest.class, 3);
    int base = cluster.config(MODULES, null).getJsonObject("cluster").getInteger("port");
    int pa = base;
    int pb = base + 1;
    int pc = base + 2;
    // The larger side (b, c) forms first; a forms a cluster of its own that does not know b and c.
    Future<StewardNode> fb = cluster.start(MODULES, node(pb, List.of(pb, pc)));
    Future<StewardNode> fc = cluster.start(MODULES, node(pc, List.of(pb, pc)));
    StewardNode b = fb.await(90, TimeUnit.SECONDS);
    fc.await(90, TimeUnit.SECONDS);
    StewardNode a = cluster.start(MODULES, node(pa, List.of(pa))).await(90, TimeUnit.SECONDS);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(b.vertx());
    assertThat(hzA.getCluster().getMembers()).hasSize(1);
    assertThat(hzB.getCluster().getMembers()).hasSize(2);

    // On b's side: the submit's write fails as a write whose member left does; b takes it back and answers 504.
    String gate = "merge-" + UUID.randomUUID();
    TaskStore.calls = new TaskStore.RecordCalls() {
      @Override
      public CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
        if (batch.values().stream().noneMatch(v -> v.contains(gate))) {
          return records.putAllAsync(batch);
        }
        return CompletableFuture.failedFuture(new IndeterminateOperationStateException("injected: the member that held "
          + "the record's partition left the cluster while the write was in flight"));
      }
    };
    JsonObject body = new JsonObject().put("type", "test.attempts").put("payload", new JsonObject().put("gate", gate))
      .put("restart", "transient");
    ReplyException refused = catchThrowableOfType(ReplyException.class,
      () -> b.vertx().eventBus().request(Addresses.Tasks.SUBMIT, body, HERE).await(40, TimeUnit.SECONDS));
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    assertThat(refused).as("the submit is not accepted").isNotNull();
    assertThat(refused.failureCode()).as(refused.getMessage()).isEqualTo(504);
    String id = refused.getMessage().replaceAll("(?s).*durable task (\\S+) .*", "$1");
    JsonObject tombstone = new JsonObject(b.vertx().executeBlocking(
      () -> hzB.<String, String>getMap(TaskStore.RECORDS).get(id), false).await(30, TimeUnit.SECONDS));
    assertThat(tombstone.getString("state")).as(tombstone.encode()).isEqualTo("refused");

    // On a's side: the member that held the write applied it (as b wrote it: pending, b's), and a, which sees b gone,
    // takes the task over and runs its first attempt, held open.
    JsonObject late = tombstone.copy().put("state", "pending");
    late.remove("error");
    late.remove("refusedAt");
    a.vertx().executeBlocking(() -> {
      hzA.<String, String>getMap(TaskStore.RECORDS).set(id, late.encode());
      return true;
    }, false).await(30, TimeUnit.SECONDS);
    assertThat(TestTypes.gate(gate + "-1").awaitStarted()).as("a took the late copy over and runs it").isTrue();
    assertThat(a.vertx().executeBlocking(() -> state(hzA, id), false).await(30, TimeUnit.SECONDS)).isEqualTo("running");

    // The sides merge (a, the smaller, into b's): the tombstone beats a's running copy, however often it was taken over.
    Promise<Void> merged = Promise.promise();
    hzA.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
        merged.tryComplete();
      }
    });
    hzA.getConfig().getNetworkConfig().getJoin().getTcpIpConfig().addMember("127.0.0.1:" + pb).addMember("127.0.0.1:" + pc);
    merged.future().await(120, TimeUnit.SECONDS);
    assertThat(hzB.getCluster().getMembers()).hasSize(3);
    assertThat(b.vertx().executeBlocking(() -> state(hzB, id), false).await(30, TimeUnit.SECONDS))
      .as("the record after the merge").isEqualTo("refused");

    // a's attempt ends: its record is not written over, a drops its copy, and get answers the tombstone everywhere.
    TestTypes.gate(gate + "-1").open();
    Poll.until(a.vertx(), "a drops its copy of the refused task", 30_000,
        () -> a.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", id), HERE)
          .map(m -> "refused".equals(((JsonObject) m.body()).getString("state"))))
      .await(40, TimeUnit.SECONDS);
    JsonObject got = get(b, id);
    assertThat(got.getString("state")).as(got.encode()).isEqualTo("refused");
    assertThat(got.getString("error")).as(got.encode()).contains("could not confirm");
    assertThat(b.vertx().executeBlocking(() -> state(hzB, id), false).await(30, TimeUnit.SECONDS))
      .as("the record once a's attempt ended").isEqualTo("refused");
    assertThat(TestTypes.runs(gate + "-1")).as("runs on the cut-off side").isEqualTo(1);
    assertThat(TestTypes.runs(gate + "-2")).as("runs after the merge").isZero();
  }
}
