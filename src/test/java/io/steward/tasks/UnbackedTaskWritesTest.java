package io.steward.tasks;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.UnbackedWrites;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tasks-module writes whose synchronous backup does not acknowledge them. Two tasks members A and B in this JVM with
 * a 1 s backup timeout, shared by the cases; in each, B stops answering (its partition threads held) while A writes
 * an entry it owns, whose backup B holds. Hazelcast answers such a write as done once the backup timeout passes,
 * although only A applied it: were A then cut off, removed by the others and killed, the promoted backup on B would
 * not have it (found by reading, after the campaign's schedule findings of this kind on 2026-12-07).
 */
class UnbackedTaskWritesTest {

  private static final DeliveryOptions ON_A = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private static final int SUPERVISORS = 16;
  private static UnbackedWrites.Members members;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    JsonObject supervisors = new JsonObject()
      .put("limited", new JsonObject().put("workers", 2).put("clusterLimit", 1).put("partitionBy", "customer"));
    for (int i = 0; i < SUPERVISORS; i++) {
      supervisors.put("pausable-" + i, new JsonObject().put("workers", 1));
    }
    members = UnbackedWrites.start(UnbackedTaskWritesTest.class, List.of("tasks"),
      new JsonObject().put("tasks", new JsonObject().put("supervisors", supervisors)));
    a = members.a();
    b = members.b();
  }

  @AfterAll
  static void stop() throws Exception {
    members.close();
  }

  /**
   * A cluster-limit slot counts as taken only once both copies of the limit's entry hold it: a slot granted by an
   * entry owner that a partition then cuts off and removes would be granted again by the promoted backup on the other
   * side, and the limit exceeded for as long as the first attempt runs. The limited task must not start until the
   * backup holds the grant.
   */
  @Test
  void a_limited_task_does_not_start_on_a_slot_its_backup_has_not_acknowledged() throws Exception {
    // A customer whose limit entry A owns: B holds its backup.
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    String customer = UnbackedWrites.ownedBy(a, "customer", c -> hzA.getPartitionService()
      .getPartition(LimitSlots.key("limited", c)).getOwner().localMember());
    String gate = "slot-" + UUID.randomUUID();
    try (LogCapture logs = LogCapture.open(); HeldPartitions held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()))) {
      a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.block")
          .put("supervisor", "limited").put("restart", "temporary")
          .put("payload", new JsonObject().put("gate", gate).put("customer", customer)), ON_A)
        .await(30, TimeUnit.SECONDS);
      // A's ask for the slot has been answered one way or the other: refused (its WARN), or the task started.
      Poll.until(a.vertx(), "A's ask for the slot answered", 30_000, () -> Future.succeededFuture(
          TestTypes.gate(gate).started.getCount() == 0
            || logs.messages().stream().anyMatch(m -> m.contains("Could not take a cluster-limit slot"))))
        .await(40, TimeUnit.SECONDS);
      assertThat(TestTypes.gate(gate).started.getCount())
        .as("the task started on a slot only A's copy of the limit entry holds (B, its backup, held)").isEqualTo(1);
    }
    assertThat(TestTypes.gate(gate).awaitStarted()).as("once B answers, the slot is confirmed and the task starts").isTrue();
    TestTypes.gate(gate).open();
  }

  /**
   * A supervisor's pause (and resume) is answered only once both copies of its entry hold it: a pause only a cut-off
   * owner held would be gone once the others promote the backup, and the supervisor's tasks would start there.
   */
  @Test
  void a_pause_or_resume_its_backup_did_not_acknowledge_is_answered_504() throws Exception {
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Member memberA = hzA.getCluster().getLocalMember();
    List<String> owned = new java.util.ArrayList<>();
    for (int i = 0; i < SUPERVISORS; i++) {
      if (memberA.equals(hzA.getPartitionService().getPartition("pausable-" + i).getOwner())) {
        owned.add("pausable-" + i);
      }
    }
    assertThat(owned).as("supervisors whose pause entry A owns, of %d", SUPERVISORS).hasSizeGreaterThanOrEqualTo(2);
    String toPause = owned.get(0);
    String toResume = owned.get(1);
    a.vertx().eventBus().request(Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", toResume), ON_A)
      .await(30, TimeUnit.SECONDS);

    try (HeldPartitions held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()))) {
      Future<Object> pause = a.vertx().eventBus().request(Addresses.Tasks.PAUSE, new JsonObject().put("supervisor", toPause), ON_A)
        .map(m -> m.body());
      Future<Object> resume = a.vertx().eventBus().request(Addresses.Tasks.RESUME, new JsonObject().put("supervisor", toResume), ON_A)
        .map(m -> m.body());
      UnbackedWrites.assertIndeterminate("pause", pause);
      UnbackedWrites.assertIndeterminate("resume", resume);
    }
  }
}
