package io.steward.tasks;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.spi.impl.NodeEngine;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
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

/**
 * Campaign seed 107: two nodes, {@code cluster.minimumSize} 2, a partition not yet detected. A durable submit on one
 * side was acknowledged in 5 ms although its record's backup never reached the other member; that node was then
 * killed, and the task was unknown (404). Here the backup member stops answering (its partition threads are held, as
 * in the first seconds of a partition): the submit must not be acknowledged.
 */
class UnbackedSubmitTest {

  private static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";
  private TestCluster cluster;
  private volatile HeldPartitions held;

  @AfterEach
  void stop() throws Exception {
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    if (held != null) {
      held.close();
    }
    System.clearProperty(BACKUP_TIMEOUT);
    cluster.close();
  }

  private static JsonObject submit(StewardNode node, JsonObject body) throws Exception {
    return (JsonObject) node.vertx().eventBus().request(Addresses.Tasks.SUBMIT, body,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
  }

  private static JsonObject durable(String key) {
    return new JsonObject().put("type", "test.count").put("payload", new JsonObject().put("key", key))
      .put("restart", "transient");
  }

  /**
   * About 12 s (a two-member cluster of its own, started with a 1 s backup timeout); behind {@code -Dsplitbrain=true}
   * to keep CI under 15 minutes: {@code mvn -B -o test -Dtest=UnbackedSubmitTest -Dsplitbrain=true
   * -Dsurefire.failIfNoSpecifiedTests=false}. TasksTest's burst case (every build) keeps the record sets' path
   * exercised.
   */
  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void a_durable_submit_whose_record_backup_is_not_acknowledged_is_not_acknowledged() throws Exception {
    TestTypes.register();
    System.setProperty(BACKUP_TIMEOUT, "1000"); // read by Hazelcast at each member's start
    cluster = TestCluster.create(UnbackedSubmitTest.class, 2);
    JsonObject extra = new JsonObject().put("cluster", new JsonObject().put("minimumSize", 2));
    // Together: with minimumSize 2, a lone first node waits for the second to come up.
    Future<StewardNode> fa = cluster.start(List.of("tasks"), extra);
    Future<StewardNode> fb = cluster.start(List.of("tasks"), extra);
    List<StewardNode> nodes = List.of(fa.await(90, TimeUnit.SECONDS), fb.await(90, TimeUnit.SECONDS));
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
    Member memberA = hzA.getCluster().getLocalMember();
    Member memberB = hzB.getCluster().getLocalMember();

    // Temporary submits on a (ids from the same counter, no record written) until its next task id's record is owned
    // by a, so that its backup is b's to acknowledge.
    JsonObject temporary = new JsonObject().put("type", "test.count").put("restart", "temporary");
    String last = submit(a, temporary.copy().put("payload", new JsonObject().put("key", "warm"))).getString("id");
    String prefix = last.substring(0, last.lastIndexOf('-') + 1);
    long seq = Long.parseLong(last.substring(prefix.length()));
    while (!memberA.equals(hzA.getPartitionService().getPartition(prefix + (seq + 1)).getOwner())) {
      last = submit(a, temporary.copy().put("payload", new JsonObject().put("key", "warm"))).getString("id");
      seq = Long.parseLong(last.substring(prefix.length()));
    }
    String next = prefix + (seq + 1);

    // b stops answering: every one of its partition threads is held (b still heartbeats: nobody has noticed).
    held = HeldPartitions.hold(hzB);

    String key = "unbacked-" + UUID.randomUUID();
    Future<Object> answer = a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, durable(key),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(r -> r.body());
    Throwable failure = answer.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
      .await(40, TimeUnit.SECONDS);
    assertThat(failure).as("a submit whose record only a holds (b never acknowledged its backup) was answered %s",
      answer.succeeded() ? answer.result() : "").isInstanceOf(ReplyException.class);
    ReplyException e = (ReplyException) failure;
    // 504 even once a's record is taken back: b was sent the record's backup and may still apply it (on its own side,
    // were it cut off), so the outcome is unknown (campaign seed 1003: a 503 "nothing applied" that ran). Never {id}.
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(504);
    assertThat(e.getMessage()).contains(next).contains("get");
  }

  /**
   * Campaign seed 1025: a keyed durable submit bound its key, then its record's write waited for a backup that never
   * acknowledged it; meanwhile two submits of the same key on other nodes were answered {@code {id, existing: true}}
   * (after the accepting node's 3 s "still being accepted" wait, the asking node read the record, applied by its owner
   * only, and took it for a live task), then the first submit was refused and the task never existed. A second submit
   * must not be acknowledged for a task whose acceptance is not confirmed: 503 "still being accepted; retry". Once the
   * first is refused, the key is free for a new task. About 20 s (three members, a 5 s backup timeout, longer than the 3 s wait);
   * behind {@code -Dsplitbrain=true}: {@code mvn -B -o test -Dtest=UnbackedSubmitTest -Dsplitbrain=true
   * -Dsurefire.failIfNoSpecifiedTests=false}.
   */
  @Test
  @EnabledIfSystemProperty(named = "splitbrain", matches = "true")
  void a_second_submit_of_a_key_is_not_told_existing_while_the_first_tasks_record_is_unconfirmed() throws Exception {
    TestTypes.register();
    System.setProperty(BACKUP_TIMEOUT, "5000"); // longer than the accepting node's 3 s wait, as in the campaign
    cluster = TestCluster.create(UnbackedSubmitTest.class, 3);
    List<StewardNode> nodes = List.of(cluster.start(List.of("tasks")).await(90, TimeUnit.SECONDS),
      cluster.start(List.of("tasks")).await(90, TimeUnit.SECONDS), cluster.start(List.of("tasks")).await(90, TimeUnit.SECONDS));
    StewardNode a = nodes.get(0);
    StewardNode c = nodes.get(2);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    HazelcastInstance hzC = Cluster.hazelcast(c.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
    Member memberA = hzA.getCluster().getLocalMember();
    Address addressB = hzB.getCluster().getLocalMember().getAddress();
    Address addressC = hzC.getCluster().getLocalMember().getAddress();

    // A key whose binding a owns and c backs up, and a next task id whose record a owns and b backs up (as in the
    // campaign: the key's binding confirmed, the record's backup on the member that stops answering).
    String key = null;
    for (int i = 0; key == null; i++) {
      String k = "existing-" + i + "-" + UUID.randomUUID();
      if (ownedBy(hzA, k, memberA) && addressC.equals(backupOf(hzA, k))) {
        key = k;
      }
    }
    JsonObject temporary = new JsonObject().put("type", "test.count").put("restart", "temporary");
    String last = submit(a, temporary.copy().put("payload", new JsonObject().put("key", "warm"))).getString("id");
    String prefix = last.substring(0, last.lastIndexOf('-') + 1);
    long seq = Long.parseLong(last.substring(prefix.length()));
    while (!ownedBy(hzA, prefix + (seq + 1), memberA) || !addressB.equals(backupOf(hzA, prefix + (seq + 1)))) {
      last = submit(a, temporary.copy().put("payload", new JsonObject().put("key", "warm"))).getString("id");
      seq = Long.parseLong(last.substring(prefix.length()));
    }
    String t1 = prefix + (seq + 1);
    // c looks a task of a up through a now, so that its event bus knows a's per-node address before b stops answering
    // (that first lookup reads the bus's subscriptions from Hazelcast, maybe from b).
    c.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", last),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).await(40, TimeUnit.SECONDS);

    // The key's binding is confirmed (b answers); b stops answering just before the record is written (a real write).
    CompletableFuture<Void> writing = new CompletableFuture<>();
    TaskStore.calls = new TaskStore.RecordCalls() {
      @Override
      public CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
        if (batch.containsKey(t1) && !writing.isDone()) {
          try {
            held = HeldPartitions.hold(hzB);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          writing.complete(null);
        }
        return TaskStore.RecordCalls.super.putAll(records, batch);
      }
    };
    String marker = "existing-" + UUID.randomUUID();
    JsonObject keyed = durable(marker).put("key", key);
    Future<Object> first = a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, keyed,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(r -> r.body());
    writing.get(30, TimeUnit.SECONDS);

    // A second submit of the key, on a third node, while the first's record has no backup.
    Future<Object> second = c.vertx().eventBus().request(Addresses.Tasks.SUBMIT, keyed,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(r -> r.body());
    Throwable secondFailure = second.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
      .await(40, TimeUnit.SECONDS);
    Throwable firstFailure = first.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
      .await(40, TimeUnit.SECONDS);
    assertThat(firstFailure).as("the first submit, whose record b never acknowledged, was answered %s",
      first.succeeded() ? first.result() : "").isInstanceOf(ReplyException.class);
    assertThat(secondFailure).as("a second submit of the key was acknowledged %s for task %s, which was refused: %s",
      second.succeeded() ? second.result() : "", t1, firstFailure.getMessage()).isInstanceOf(ReplyException.class);
    ReplyException e = (ReplyException) secondFailure;
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(503);
    assertThat(e.getMessage()).contains(t1).contains("still being accepted").contains("retry");

    // b answers again: the first task's record says refused, and the key is free for a new task.
    held.close();
    held = null;
    JsonObject record = (JsonObject) c.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", t1),
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
    assertThat(record.getString("state")).isEqualTo("refused");
    JsonObject third = submit(c, keyed);
    assertThat(third.getString("id")).as("a submit of the key once its task was refused: %s", third).isNotEqualTo(t1);
    assertThat(third.getBoolean("existing", false)).as("%s", third).isFalse();
  }

  private static boolean ownedBy(HazelcastInstance hz, String key, Member member) {
    return member.equals(hz.getPartitionService().getPartition(key).getOwner());
  }

  /** The address of the member that holds the first backup of {@code key}'s partition (Hazelcast's internal view). */
  private static Address backupOf(HazelcastInstance hz, String key) {
    NodeEngine engine = ((MapProxyImpl<?, ?>) hz.getMap(TaskStore.KEYS)).getNodeEngine();
    int partition = hz.getPartitionService().getPartition(key).getPartitionId();
    return engine.getPartitionService().getPartition(partition).getReplicaAddress(1);
  }
}
