package io.steward.tasks;

import com.hazelcast.cluster.Address;
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
import io.steward.testing.UnbackedWrites;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI's campaign seed 33535 ("unique-keys x3": one task's life overlapped three later tasks of its key): a durable
 * task ended on a node cut off by a partition not yet detected; its final record and the release of its key were
 * applied by that node alone (Hazelcast answers a write whose backup is never acknowledged as a success once the
 * backup timeout passes), the key moved to new tasks, then the node was killed: the survivors found the task's
 * running record, ran it again, and two tasks of one key ran. Here the backup member stops answering (its partition
 * threads held) while the task ends: the key must stay bound to it until its final record is on both members.
 */
class UnconfirmedFinalRecordTest {

  private TestCluster cluster;
  private HeldPartitions held;

  @AfterEach
  void stop() throws Exception {
    if (held != null) {
      held.close();
    }
    UnbackedWrites.done();
    cluster.close();
  }

  private static Future<JsonObject> request(StewardNode node, String address, JsonObject body) {
    return node.vertx().eventBus().<JsonObject>request(address, body,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).map(m -> m.body());
  }

  private static JsonObject await(Future<JsonObject> f) throws Exception {
    return f.await(40, TimeUnit.SECONDS);
  }

  /** Tasks of type test.block that completed on {@code node}: made final, their waiters answered, their key released. */
  private static double completed(StewardNode node) {
    return Metrics.registry(node.vertx()).find("steward_tasks_finished").tag("type", "test.block").functionCounters()
      .stream().mapToDouble(c -> c.count()).sum();
  }

  private static double unconfirmed(StewardNode node) {
    Counter c = Metrics.registry(node.vertx()).find("steward_tasks_unconfirmed_writes").tag("write", "final").counter();
    return c == null ? 0 : c.count();
  }

  /**
   * Submits temporary tasks on {@code node} until the id of its next task has its record's partition owned by that
   * node (the other member holds its backup); returns that id.
   */
  private static String nextIdOwnedBy(StewardNode node) throws Exception {
    return nextIdOwnedBy(node, id -> true);
  }

  /** As above, for an id that {@code also} accepts. */
  private static String nextIdOwnedBy(StewardNode node, Predicate<String> also) throws Exception {
    HazelcastInstance hz = Cluster.hazelcast(node.vertx());
    Member member = hz.getCluster().getLocalMember();
    JsonObject temporary = new JsonObject().put("type", "test.count").put("restart", "temporary")
      .put("payload", new JsonObject().put("key", "warm"));
    String last = await(request(node, Addresses.Tasks.SUBMIT, temporary)).getString("id");
    String prefix = last.substring(0, last.lastIndexOf('-') + 1);
    long seq = Long.parseLong(last.substring(prefix.length()));
    while (!member.equals(hz.getPartitionService().getPartition(prefix + (seq + 1)).getOwner()) || !also.test(prefix + (seq + 1))) {
      last = await(request(node, Addresses.Tasks.SUBMIT, temporary)).getString("id");
      seq = Long.parseLong(last.substring(prefix.length()));
    }
    return prefix + (seq + 1);
  }

  /** Two tasks members with a 1 s backup timeout, partitions settled. */
  private List<StewardNode> twoMembers() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(UnconfirmedFinalRecordTest.class, 2);
    return UnbackedWrites.twoMembers(cluster, List.of("tasks"), null);
  }

  /**
   * Also CI's seed 33535, again (its third failing run): the task's own node kept the key while the final record was
   * unconfirmed, but a submit of the key on another node asked that node for the task, was told it had ended (the
   * state in memory, before the record was confirmed), and moved the key to a new task. Three members: a runs the
   * task and owns its record, b backs the record up and stops answering, c (which backs the key's binding up) submits
   * the key again.
   */
  @Test
  void a_key_stays_bound_to_a_task_whose_final_record_has_no_backup_yet() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(UnconfirmedFinalRecordTest.class, 3);
    List<StewardNode> nodes = UnbackedWrites.members(cluster, 3, List.of("tasks"), null);
    StewardNode a = nodes.get(0);
    StewardNode c = nodes.get(2);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    Member memberA = hzA.getCluster().getLocalMember();
    Address addressB = hzB.getCluster().getLocalMember().getAddress();
    Address addressC = Cluster.hazelcast(c.vertx()).getCluster().getLocalMember().getAddress();

    // A key whose binding a owns and c backs up; a task id whose record a owns and b backs up.
    String key = null;
    for (int i = 0; key == null; i++) {
      String k = "final-" + i + "-" + UUID.randomUUID();
      if (memberA.equals(hzA.getPartitionService().getPartition(k).getOwner())
          && addressC.equals(UnbackedWrites.backupOf(hzA, k))) {
        key = k;
      }
    }
    String next = nextIdOwnedBy(a, id -> addressB.equals(UnbackedWrites.backupOf(hzA, id)));
    // c looks a task of a up now, so that its event bus knows a's per-node address before b stops answering.
    String warm = next.substring(0, next.lastIndexOf('-') + 1) + (Long.parseLong(next.substring(next.lastIndexOf('-') + 1)) - 1);
    request(c, Addresses.Tasks.GET, new JsonObject().put("id", warm)).transform(ar -> Future.succeededFuture())
      .await(40, TimeUnit.SECONDS);

    String gate = "final-" + UUID.randomUUID();
    JsonObject first = await(request(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.block")
      .put("payload", new JsonObject().put("gate", gate)).put("restart", "transient").put("key", key)));
    String t1 = first.getString("id");
    assertThat(t1).isEqualTo(next);
    assertThat(TestTypes.gate(gate).awaitStarted()).as("the first task started").isTrue();

    // b stops answering (it still heartbeats: nobody notices), then the task ends on a.
    held = HeldPartitions.hold(hzB);
    TestTypes.gate(gate).open();
    assertThat(TestTypes.gate(gate).returned.await(30, TimeUnit.SECONDS)).as("the first task's body returned").isTrue();
    // Wait until a has either completed the task (its final record applied, backup or not, and its key released) or
    // counted the final record's write as unconfirmed: either way a has dealt with the missing backup.
    Poll.until(a.vertx(), "the first task completed, or its final record counted unconfirmed", 30_000,
      () -> Future.succeededFuture(completed(a) >= 1 || unconfirmed(a) >= 1)).await(40, TimeUnit.SECONDS);

    // Had the key moved, a's death now would bring the first task back (b's copy says it runs) beside a second one.
    // (Temporary second tasks: only the key's binding is written, which a owns and c backs up.)
    for (StewardNode node : List.of(c, a)) {
      String marker = gate + "-second-" + (node == a ? "a" : "c");
      Future<JsonObject> second = request(node, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.count")
        .put("payload", new JsonObject().put("key", marker)).put("restart", "temporary").put("key", key));
      Throwable failed = second.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null)).await(40, TimeUnit.SECONDS);
      String where = node == a ? "on a, the task's node" : "on c, another node";
      if (failed != null) {
        assertThat(failed).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) failed).failureCode()).as("%s: %s", where, failed.getMessage()).isEqualTo(503);
      } else {
        assertThat(second.result().getString("id"))
          .as("%s, the key moved to a new task while the first task's final record was on one member only: %s", where,
            second.result())
          .isEqualTo(t1);
        assertThat(second.result().getBoolean("existing")).isTrue();
      }
      assertThat(TestTypes.runs(marker)).as("a second task of the key ran (%s)", where).isZero();
    }

    // b answers again: the final record reaches both members, and only then does the key move.
    held.close();
    Poll.until(a.vertx(), "the first task completed", 30_000, () -> Future.succeededFuture(completed(a) >= 1))
      .await(40, TimeUnit.SECONDS);
    assertThat(await(request(c, Addresses.Tasks.GET, new JsonObject().put("id", t1))).getString("state"))
      .isEqualTo("succeeded");
    JsonObject third = await(request(c, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.count")
      .put("payload", new JsonObject().put("key", gate + "-third")).put("restart", "temporary").put("key", key)));
    assertThat(third.getString("id")).isNotEqualTo(t1);
    assertThat(third.getBoolean("existing", false)).isFalse();
  }

  /**
   * Found reading the code behind CI seed 33535: a durable task whose final record could not be confirmed while its
   * node's tasks module stopped released its key, although the record on the backup member still said running; had
   * the node then died before its backups were repaired, a survivor would have run the task again beside a new task
   * of the key. The key stays bound to the task: a survivor that runs it again does so under its key.
   */
  @Test
  void a_task_that_ends_unconfirmed_while_its_module_stops_keeps_its_key() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(UnconfirmedFinalRecordTest.class, 2);
    List<StewardNode> nodes = UnbackedWrites.twoMembers(cluster, List.of(), null);
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    // One submit instance: no child deployment, whose stop (unregistering its consumers in the cluster) would wait
    // for the held member before the module's own stop began.
    TasksConfig config = TasksConfig.from(StewardNode.configLoader().resolve(new JsonObject().put("tasks",
      new JsonObject().put("submitInstances", 1)), java.util.Map.of(), java.util.Map.of()).section("tasks"));
    String tasksOfA = a.vertx().deployVerticle(new TasksVerticle(config)).await(30, TimeUnit.SECONDS);
    nodes.get(1).vertx().deployVerticle(new TasksVerticle(config)).await(30, TimeUnit.SECONDS);
    String key = UnbackedWrites.ownedBy(a, "stopping", k -> true); // its binding on a: what a's unbind changes
    String next = nextIdOwnedBy(a);

    String gate = "stopping-" + UUID.randomUUID();
    String t1 = await(request(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.block")
      .put("payload", new JsonObject().put("gate", gate)).put("restart", "transient").put("key", key))).getString("id");
    assertThat(t1).isEqualTo(next);
    assertThat(TestTypes.gate(gate).awaitStarted()).as("the task started").isTrue();

    // b stops answering; a's tasks module stops (it waits for the running task), then the task ends.
    held = HeldPartitions.hold(hzB);
    Future<Void> stopped = a.vertx().undeploy(tasksOfA);
    TestTypes.gate(gate).open();
    Poll.until(a.vertx(), "the task completed on a", 30_000, () -> Future.succeededFuture(completed(a) >= 1))
      .await(40, TimeUnit.SECONDS);
    assertThat(unconfirmed(a)).as("the final record was left unconfirmed").isGreaterThanOrEqualTo(1);

    String binding = hzA.<String, String>getMap(TaskStore.KEYS).get(key);
    assertThat(binding).as("the key was released while the task's record on b said running").isNotNull();
    assertThat(Processors.boundId(binding)).isEqualTo(t1);
    held.close();
    held = null;
    stopped.await(40, TimeUnit.SECONDS);
  }

  /**
   * Campaign seed 1000: a keyed submit whose key binding's backup never acknowledged failed with Hazelcast's
   * {@code IndeterminateOperationStateException}, which (unlike {@code MemberLeftException}) does not implement
   * {@code IndeterminateOperationState}: the submit was answered 500 with an ERROR ("unexpected ... this is a bug")
   * instead of the documented 503 (nothing was started).
   */
  @Test
  void a_keyed_submit_whose_binding_no_backup_confirmed_is_refused_503_without_an_error_line() throws Exception {
    List<StewardNode> nodes = twoMembers();
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    Member memberA = hzA.getCluster().getLocalMember();
    String key = null;
    for (int i = 0; key == null; i++) {
      String k = "binding-" + i + "-" + UUID.randomUUID();
      if (memberA.equals(hzA.getPartitionService().getPartition(k).getOwner())) {
        key = k;
      }
    }
    String marker = "binding-" + UUID.randomUUID();
    try (LogCapture logs = LogCapture.open()) {
      held = HeldPartitions.hold(hzB);
      Future<JsonObject> submit = request(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.count")
        .put("payload", new JsonObject().put("key", marker)).put("restart", "temporary").put("key", key));
      Throwable failed = submit.transform(ar -> Future.succeededFuture(ar.failed() ? ar.cause() : null))
        .await(40, TimeUnit.SECONDS);
      assertThat(failed).as("a submit whose key binding no backup confirmed was accepted: %s", submit.result())
        .isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) failed).failureCode()).as(failed.getMessage()).isEqualTo(503);
      assertThat(failed.getMessage()).contains("could not be bound");
      assertThat(logs.atLeast(Level.ERROR)).as("ERROR lines").extracting(e -> e.getFormattedMessage()).isEmpty();
    }
    held.close();
    held = null;
    assertThat(TestTypes.runs(marker)).as("the refused submit's task never ran").isZero();
  }

  /**
   * Campaign seed 1009: the owner of a durable task, paused past failure detection while the task's attempt ended,
   * could not record the task's restart when it resumed (its backup, the survivor, had removed it), restarted it
   * anyway while the survivor had taken it over and run it, and the final record said nothing of a duplicate. A
   * restart (or a start) whose record could not be written cannot know whether another node took the task over:
   * the task must say {@code possibleDuplicate}. Here the record's backup member stops answering while the first
   * attempt fails, so that the restart's record is not confirmed; it answers again before the second attempt.
   */
  @Test
  void a_restart_whose_record_was_not_confirmed_reports_a_possible_duplicate() throws Exception {
    List<StewardNode> nodes = twoMembers();
    StewardNode a = nodes.get(0);
    HazelcastInstance hzA = Cluster.hazelcast(a.vertx());
    HazelcastInstance hzB = Cluster.hazelcast(nodes.get(1).vertx());
    // The next task id's record is owned by a: b holds its backup.
    String next = nextIdOwnedBy(a);
    String gate = "restart-" + UUID.randomUUID();
    String id = await(request(a, Addresses.Tasks.SUBMIT, new JsonObject().put("type", "test.attempts")
      .put("payload", new JsonObject().put("gate", gate).put("fail", new io.vertx.core.json.JsonArray().add(1)))
      .put("restart", "transient"))).getString("id");
    assertThat(id).isEqualTo(next);
    assertThat(TestTypes.gate(gate + "-1").awaitStarted()).as("the first attempt started").isTrue();

    held = HeldPartitions.hold(hzB);
    TestTypes.gate(gate + "-1").open(); // the first attempt fails: the task restarts, its record unconfirmed
    Poll.until(a.vertx(), "a record write of the task left unconfirmed", 30_000,
      () -> Future.succeededFuture(io.steward.spi.MissedBackups.of(hzA).unconfirmed() >= 1)).await(40, TimeUnit.SECONDS);
    held.close();
    held = null;

    assertThat(TestTypes.gate(gate + "-2").awaitStarted()).as("the second attempt started").isTrue();
    TestTypes.gate(gate + "-2").open();
    JsonObject done = await(request(a, Addresses.Tasks.AWAIT, new JsonObject().put("id", id)));
    assertThat(done.getString("state")).as("%s", done).isEqualTo("succeeded");
    assertThat(done.getBoolean("possibleDuplicate", false))
      .as("a restart no backup confirmed, so another node may have taken the task over: %s", done).isTrue();
  }
}
