package io.steward.schedule;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Campaign seed 33535 (replayed on 2026-12-07: deleted-jobs x185): a job deleted through a node that a partition had
 * cut off, not yet detected, was answered "deleted" once Hazelcast's backup timeout passed, although only that node
 * (the owner of the job's key) held the tombstone; the others removed it, promoted their backup (the live job) and
 * fired the job; the node was killed before any merge, and the delete was gone. A job write (put, delete, pause,
 * resume) whose backup does not acknowledge it must not be answered as done: 504, its outcome unknown. Here the
 * backup member stops answering (its partition threads held) during the writes.
 */
class UnconfirmedJobWriteTest {

  private static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";
  private static final DeliveryOptions ON_A = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private TestCluster cluster;
  private HeldPartitions held;

  @AfterEach
  void stop() throws Exception {
    if (held != null) {
      held.close();
    }
    System.clearProperty(BACKUP_TIMEOUT);
    cluster.close();
  }

  @Test
  void job_writes_whose_backup_did_not_acknowledge_them_are_answered_504_not_done() throws Exception {
    System.setProperty(BACKUP_TIMEOUT, "1000"); // read by Hazelcast at each member's start
    cluster = TestCluster.create(UnconfirmedJobWriteTest.class, 2);
    // A write whose backup stays held is left unconfirmed after 1 s rather than the default 10 (MissedBackups).
    JsonObject quick = new JsonObject().put("cluster", new JsonObject().put("backupConfirmMs", 1_000));
    StewardNode a = cluster.start(List.of("schedule"), quick).await(90, TimeUnit.SECONDS);
    StewardNode b = cluster.start(List.of("schedule"), quick).await(90, TimeUnit.SECONDS);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
    Member memberA = hzA.getCluster().getLocalMember();
    String deleted = ownedBy(hzA, memberA, "deleted");
    String paused = ownedBy(hzA, memberA, "paused");
    String created = ownedBy(hzA, memberA, "created");
    request(a, Addresses.Schedule.PUT, job(deleted)).await(30, TimeUnit.SECONDS);
    request(a, Addresses.Schedule.PUT, job(paused)).await(30, TimeUnit.SECONDS);

    try (LogCapture logs = LogCapture.open()) {
      held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()));
      assertIndeterminate("delete", request(a, Addresses.Schedule.DELETE, new JsonObject().put("name", deleted)));
      assertIndeterminate("pause", request(a, Addresses.Schedule.PAUSE, new JsonObject().put("name", paused)));
      assertIndeterminate("put", request(a, Addresses.Schedule.PUT, job(created)));
      assertThat(logs.atLeast(Level.ERROR)).as("ERROR lines").extracting(e -> e.getFormattedMessage()).isEmpty();
    }
  }

  private static void assertIndeterminate(String what, Future<Object> answer) throws Exception {
    Throwable failed = answer.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
      .await(40, TimeUnit.SECONDS);
    assertThat(failed).as("a %s that only the job's owner applied (its backup never acknowledged it) was answered done: %s",
      what, answer.result()).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failed).failureCode()).as(failed.getMessage()).isEqualTo(504);
  }

  private static Future<Object> request(StewardNode node, String address, JsonObject body) {
    return node.vertx().eventBus().request(address, body, ON_A).map(m -> m.body());
  }

  private static JsonObject job(String name) {
    return new JsonObject().put("name", name).put("every", "1h")
      .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires"));
  }

  private static String ownedBy(HazelcastInstance hz, Member member, String prefix) {
    for (int i = 0; ; i++) {
      String name = prefix + "-" + i;
      if (member.equals(hz.getPartitionService().getPartition(name).getOwner())) {
        return name;
      }
    }
  }
}
