package io.steward.schedule;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.steward.bus.Addresses;
import io.steward.node.StewardNode;
import io.steward.observe.Metrics;
import io.steward.spi.Cluster;
import io.steward.testing.HeldPartitions;
import io.steward.testing.LogCapture;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Schedule writes whose synchronous backup does not acknowledge them: claims and job writes. Two schedule members
 * A and B in this JVM with a 1 s backup timeout, shared by the cases; in each, B stops answering (its partition
 * threads held) while A writes entries it owns, whose backups B holds. Hazelcast answers such a write as done
 * once the backup timeout passes (and a multi-key write without waiting for the backup at all), although only A
 * applied it: were A then cut off, removed and killed, the promoted backup on B would not have it.
 */
class UnbackedScheduleWritesTest {

  private static final String BACKUP_TIMEOUT = "hazelcast.operation.backup.timeout.millis";
  private static final DeliveryOptions ON_A = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  private HeldPartitions held;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty(BACKUP_TIMEOUT, "1000"); // read by Hazelcast at each member's start
    cluster = TestCluster.create(UnbackedScheduleWritesTest.class, 2);
    // A write whose backup stays held is left unconfirmed after 1 s rather than the default 10 (MissedBackups).
    JsonObject quick = new JsonObject().put("cluster", new JsonObject().put("backupConfirmMs", 1_000));
    a = cluster.start(List.of("schedule"), quick).await(90, TimeUnit.SECONDS);
    b = cluster.start(List.of("schedule"), quick).await(90, TimeUnit.SECONDS);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Poll.until(a.vertx(), "no migration running", 60_000,
        () -> a.vertx().executeBlocking(() -> hzA.getPartitionService().isClusterSafe()))
      .await(70, TimeUnit.SECONDS);
  }

  @AfterEach
  void release() {
    if (held != null) {
      held.close();
      held = null;
    }
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty(BACKUP_TIMEOUT);
    cluster.close();
  }

  /**
   * A node fires a cluster-once tick only once the tick's claim is on both copies of the job's state: if the member
   * owning the job's key dies right after the claim, the member holding its backup takes over with that claim, and
   * cannot win the same tick again. CI's campaign seed 33535 on 2026-12-07 (no-tick-fired-twice: one tick fired by two
   * nodes, with a kill among its faults) led here: claims batched per partition ({@code submitToKeys}) were answered as
   * soon as the owner had applied them, without waiting for the backup at all (Hazelcast's invokeOnPartitions does not
   * wait for synchronous backups), and a single claim whose backup never acknowledged was answered as won once the
   * backup timeout passed. Here the backup member stops answering (its partition threads held): the owner must fire
   * nothing it claims meanwhile, batched or not.
   */
  @Test
  void no_tick_fires_on_a_claim_that_its_backup_did_not_acknowledge_batched_or_single() throws Exception {
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());

    // Three jobs in one partition owned by A (their claims of a tick go as one batch), one alone in another.
    List<String> names = new ArrayList<>(samePartitionOwnedBy(hzA, "batched", 3));
    String single = null;
    int batchPartition = hzA.getPartitionService().getPartition(names.get(0)).getPartitionId();
    for (int i = 0; single == null; i++) {
      String n = "single-" + i;
      var p = hzA.getPartitionService().getPartition(n);
      if (p.getOwner().localMember() && p.getPartitionId() != batchPartition) {
        single = n;
      }
    }
    names.add(single);
    Map<String, Fires> fires = new HashMap<>();
    for (String name : names) {
      fires.put(name, Fires.listen(a.vertx(), name + ".fires").await(10, TimeUnit.SECONDS));
      // Every second on the second, on every job: their ticks come due together.
      a.vertx().eventBus().request(Addresses.Schedule.PUT, new JsonObject().put("name", name).put("cron", "* * * * * *")
        .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires")), ON_A).await(30, TimeUnit.SECONDS);
    }
    Poll.until(a.vertx(), "A fires every job twice", 30_000,
        () -> Future.succeededFuture(names.stream().allMatch(n -> fires.get(n).firedByAfter(a.id(), 0) >= 2)))
      .await(40, TimeUnit.SECONDS);

    held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()));
    long heldAt = System.currentTimeMillis();
    double errorsBefore = claimErrors(a);
    // Four claims refused, or four ticks fired on claims made while B was held: either way A has decided.
    Poll.until(a.vertx(), "A's claims made while B is held are refused (or fired)", 30_000,
        () -> Future.succeededFuture(claimErrors(a) - errorsBefore >= 4
          || names.stream().mapToLong(n -> firedAfter(fires.get(n), a.id(), heldAt)).sum() >= 4))
      .await(40, TimeUnit.SECONDS);

    Map<String, List<Long>> unbacked = new HashMap<>();
    for (String name : names) {
      List<Long> ticks = fires.get(name).byTick().entrySet().stream()
        .filter(e -> e.getKey() > heldAt + 100 && e.getValue().contains(a.id())).map(Map.Entry::getKey).sorted().toList();
      if (!ticks.isEmpty()) {
        unbacked.put(name, ticks);
      }
    }
    assertThat(unbacked).as("ticks A fired on claims its backup (B, held since %d) never acknowledged; jobs %s are "
      + "claimed in one batch, %s alone", heldAt, names.subList(0, 3), single).isEmpty();
  }

  private static long firedAfter(Fires f, String node, long heldAt) {
    return f.byTick().entrySet().stream().filter(e -> e.getKey() > heldAt + 100 && e.getValue().contains(node)).count();
  }

  private static double claimErrors(StewardNode node) {
    Counter c = Metrics.registry(node.vertx()).find("steward_schedule_claims").tag("result", "error").counter();
    return c == null ? 0 : c.count();
  }

  private static List<String> samePartitionOwnedBy(HazelcastInstance hz, String prefix, int count) {
    Member me = hz.getCluster().getLocalMember();
    Map<Integer, List<String>> byPartition = new HashMap<>();
    for (int i = 0; ; i++) {
      String name = prefix + "-" + i;
      var p = hz.getPartitionService().getPartition(name);
      if (me.equals(p.getOwner())) {
        List<String> same = byPartition.computeIfAbsent(p.getPartitionId(), k -> new ArrayList<>());
        same.add(name);
        if (same.size() == count) {
          return same;
        }
      }
    }
  }

  /**
   * Campaign seed 33535 (replayed on 2026-12-07: deleted-jobs x185): a job deleted through a node that a partition had
   * cut off, not yet detected, was answered "deleted" once Hazelcast's backup timeout passed, although only that node
   * (the owner of the job's key) held the tombstone; the others removed it, promoted their backup (the live job) and
   * fired the job; the node was killed before any merge, and the delete was gone. A job write (put, delete, pause,
   * resume) whose backup does not acknowledge it must not be answered as done: 504, its outcome unknown. Here the
   * backup member stops answering (its partition threads held) during the writes.
   */
  @Test
  void job_writes_whose_backup_did_not_acknowledge_them_are_answered_504_not_done() throws Exception {
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    Member memberA = hzA.getCluster().getLocalMember();
    String deleted = ownedBy(hzA, memberA, "deleted");
    String paused = ownedBy(hzA, memberA, "paused");
    String created = ownedBy(hzA, memberA, "created");
    request(a, Addresses.Schedule.PUT, job(deleted)).await(30, TimeUnit.SECONDS);
    request(a, Addresses.Schedule.PUT, job(paused)).await(30, TimeUnit.SECONDS);

    try (LogCapture logs = LogCapture.open()) {
      held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()));
      Future<Object> delete = request(a, Addresses.Schedule.DELETE, new JsonObject().put("name", deleted));
      Future<Object> pause = request(a, Addresses.Schedule.PAUSE, new JsonObject().put("name", paused));
      Future<Object> put = request(a, Addresses.Schedule.PUT, job(created));
      assertIndeterminate("delete", delete);
      assertIndeterminate("pause", pause);
      assertIndeterminate("put", put);
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
