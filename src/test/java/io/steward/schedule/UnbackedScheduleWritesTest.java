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
import io.steward.testing.UnbackedWrites;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
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

  private static final DeliveryOptions ON_A = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private static UnbackedWrites.Members members;
  private static StewardNode a;
  private static StewardNode b;

  @BeforeAll
  static void start() throws Exception {
    members = UnbackedWrites.start(UnbackedScheduleWritesTest.class, List.of("schedule"), null);
    a = members.a();
    b = members.b();
  }

  @AfterAll
  static void stop() throws Exception {
    members.close();
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
    int batchPartition = hzA.getPartitionService().getPartition(names.get(0)).getPartitionId();
    String single = UnbackedWrites.ownedBy(a, "single",
      n -> hzA.getPartitionService().getPartition(n).getPartitionId() != batchPartition);
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

    Map<String, List<Long>> unbacked = new HashMap<>();
    long heldAt;
    try (HeldPartitions held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()))) {
      long since = System.currentTimeMillis();
      heldAt = since;
      double errorsBefore = claimErrors(a);
      // Four claims refused, or four ticks fired on claims made while B was held: either way A has decided.
      Poll.until(a.vertx(), "A's claims made while B is held are refused (or fired)", 30_000,
          () -> Future.succeededFuture(claimErrors(a) - errorsBefore >= 4
            || names.stream().mapToLong(n -> firedAfter(fires.get(n), a.id(), since)).sum() >= 4))
        .await(40, TimeUnit.SECONDS);
      // Read while B is still held: claims in flight when it answers again are acknowledged then, and fire rightly.
      for (String name : names) {
        List<Long> ticks = fires.get(name).byTick().entrySet().stream()
          .filter(e -> e.getKey() > since + 100 && e.getValue().contains(a.id())).map(Map.Entry::getKey).sorted().toList();
        if (!ticks.isEmpty()) {
          unbacked.put(name, ticks);
        }
      }
    }
    for (String name : names) { // the other cases count claim errors: these jobs must not add theirs
      request(a, Addresses.Schedule.DELETE, new JsonObject().put("name", name)).await(30, TimeUnit.SECONDS);
    }
    assertThat(unbacked).as("ticks A fired on claims its backup (B, held since %d) never acknowledged; jobs %s are "
      + "claimed in one batch, %s alone", heldAt, names.subList(0, 3), single).isEmpty();
  }

  /**
   * The end of a run hands a queued tick ({@code overlap: queue}) to the node that ran the previous one, through the
   * job's state; a queued tick handed over by an end only the owner applied (its backup held) would be queued still in
   * the backup's copy, and run again by whoever holds the job after the owner's death. Two ticks a second apart, the
   * first answered only once B is held: the second must not start while the end is unconfirmed.
   */
  @Test
  void a_queued_tick_is_not_started_on_a_run_end_its_backup_did_not_acknowledge() throws Exception {
    String name = UnbackedWrites.ownedBy(a, "queued", n -> true);
    java.util.concurrent.ConcurrentLinkedQueue<io.vertx.core.eventbus.Message<Object>> work = new java.util.concurrent.ConcurrentLinkedQueue<>();
    a.vertx().eventBus().consumer(name + ".work", work::add).completion().await(10, TimeUnit.SECONDS);
    // Two ticks, a second apart, at least 3 s from now, in one minute; none after them for most of a minute.
    java.time.ZonedDateTime first = java.time.Instant.ofEpochMilli(System.currentTimeMillis() + 3_000)
      .atZone(java.time.ZoneOffset.UTC).withNano(0).plusSeconds(1);
    if (first.getSecond() >= 58) {
      first = first.plusMinutes(1).withSecond(1);
    }
    String cron = first.getSecond() + "," + (first.getSecond() + 1) + " " + first.getMinute() + " " + first.getHour() + " * * *";
    request(a, Addresses.Schedule.PUT, new JsonObject().put("name", name).put("cron", cron).put("overlap", "queue")
      .put("action", new JsonObject().put("type", "send").put("address", name + ".work").put("timeoutMs", 60_000)))
      .await(30, TimeUnit.SECONDS);
    Poll.until(a.vertx(), "the first tick runs and the second is queued behind it", 30_000,
        () -> Future.succeededFuture(!work.isEmpty() && claims(a, "queued") >= 1))
      .await(40, TimeUnit.SECONDS);
    long firstTick = Long.parseLong(work.peek().headers().get(ActionRunner.TICK_HEADER));

    try (HeldPartitions held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()))) {
      double errorsBefore = claimErrors(a);
      work.poll().reply(new JsonObject().put("done", firstTick)); // the first run ends: its end is written while B is held
      Poll.until(a.vertx(), "the run's end refused (or the queued tick started)", 30_000,
          () -> Future.succeededFuture(claimErrors(a) - errorsBefore >= 1 || !work.isEmpty()))
        .await(40, TimeUnit.SECONDS);
      assertThat(work).as("ticks started on a run end only A's copy of the job state holds (B, its backup, held)")
        .extracting(m -> m.headers().get(ActionRunner.TICK_HEADER)).isEmpty();
    }
  }

  private static double claims(StewardNode node, String result) {
    Counter c = Metrics.registry(node.vertx()).find("steward_schedule_claims").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  private static long firedAfter(Fires f, String node, long heldAt) {
    return f.byTick().entrySet().stream().filter(e -> e.getKey() > heldAt + 100 && e.getValue().contains(node)).count();
  }

  private static double claimErrors(StewardNode node) {
    return claims(node, "error");
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
    String deleted = UnbackedWrites.ownedBy(a, "deleted", n -> true);
    String paused = UnbackedWrites.ownedBy(a, "paused", n -> true);
    String created = UnbackedWrites.ownedBy(a, "created", n -> true);
    request(a, Addresses.Schedule.PUT, job(deleted)).await(30, TimeUnit.SECONDS);
    request(a, Addresses.Schedule.PUT, job(paused)).await(30, TimeUnit.SECONDS);

    try (LogCapture logs = LogCapture.open(); HeldPartitions held = HeldPartitions.hold(Cluster.hazelcast(b.vertx()))) {
      Future<Object> delete = request(a, Addresses.Schedule.DELETE, new JsonObject().put("name", deleted));
      Future<Object> pause = request(a, Addresses.Schedule.PAUSE, new JsonObject().put("name", paused));
      Future<Object> put = request(a, Addresses.Schedule.PUT, job(created));
      UnbackedWrites.assertIndeterminate("delete", delete);
      UnbackedWrites.assertIndeterminate("pause", pause);
      UnbackedWrites.assertIndeterminate("put", put);
      assertThat(logs.atLeast(Level.ERROR)).as("ERROR lines").extracting(e -> e.getFormattedMessage()).isEmpty();
    }
  }

  private static Future<Object> request(StewardNode node, String address, JsonObject body) {
    return node.vertx().eventBus().request(address, body, ON_A).map(m -> m.body());
  }

  private static JsonObject job(String name) {
    return new JsonObject().put("name", name).put("every", "1h")
      .put("action", new JsonObject().put("type", "publish").put("address", name + ".fires"));
  }
}
