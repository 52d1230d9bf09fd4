package io.steward.tasks;

import com.hazelcast.core.HazelcastException;
import com.hazelcast.core.IndeterminateOperationStateException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.map.IMap;
import io.steward.bus.Addresses;
import io.steward.spi.Cluster;
import io.steward.node.StewardNode;
import io.steward.testing.Poll;
import io.steward.testing.TestCluster;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A durable submit whose record write fails after writing part of its batch (Hazelcast's putAll is not atomic
 * across partitions; a timeout says nothing of the outcome): the client's answer is honest, and a task it was
 * told was refused never runs, even once its node is gone and a survivor adopts what that node left behind.
 */
class RefusedSubmitTest {

  private static final String MARK = "refused-";
  private static final String HELD = "held-";
  /** A supervisor of capacity one (one worker, no queue). */
  private static final String SINGLE = "single";
  private static TestCluster cluster;
  private static StewardNode a;
  private static StewardNode b;
  /** Ids of the records the injected fault wrote before failing its batch. */
  private static final Set<String> WRITTEN = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void start() throws Exception {
    TestTypes.register();
    cluster = TestCluster.create(RefusedSubmitTest.class, 3);
    JsonObject tasks = new JsonObject().put("orphanSweepMs", 500)
      .put("supervisors", new JsonObject().put(SINGLE, new JsonObject().put("workers", 1).put("maxQueued", 0)));
    List<StewardNode> nodes = cluster.startBlocking(2, List.of("tasks"), new JsonObject().put("tasks", tasks));
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterEach
  void heal() {
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
  }

  @AfterAll
  static void stop() throws Exception {
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    cluster.close();
  }

  /**
   * Writes the marked records of a batch (and only those), then fails the batch as split-brain protection does when
   * it refuses one of its sets (a refusal that says that set was not applied; the others of the batch were).
   */
  private static class PartialBatch implements TaskStore.RecordCalls {
    @Override
    public CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
      Map<String, String> marked = batch.entrySet().stream().filter(e -> e.getValue().contains(MARK))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
      if (marked.isEmpty()) {
        return records.putAllAsync(batch);
      }
      WRITTEN.addAll(marked.keySet());
      return records.putAllAsync(marked).thenCompose(v -> CompletableFuture.failedFuture(failure(marked.size(), batch.size())));
    }

    RuntimeException failure(int written, int of) {
      return new SplitBrainProtectionException("injected: a set of the batch was refused by split-brain protection after "
        + written + " of " + of + " were written");
    }
  }

  /**
   * As {@link PartialBatch}, but the batch fails as a set whose owner left, or whose backup never acknowledged, does:
   * the member that was sent the record may still apply it (on its own side of a split).
   */
  private static final class IndeterminateBatch extends PartialBatch {
    @Override
    RuntimeException failure(int written, int of) {
      return new IndeterminateOperationStateException("injected: no backup acknowledged the set of " + written + " of "
        + of + " records (or its owner left)");
    }
  }

  /** Holds the batch that carries a {@link #HELD} record until the test completes {@link #outcome}. */
  private static final class HeldBatch implements TaskStore.RecordCalls {
    final CompletableFuture<String> held = new CompletableFuture<>();
    final CompletableFuture<Void> outcome = new CompletableFuture<>();

    @Override
    public CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
      Optional<String> id = batch.entrySet().stream().filter(e -> e.getValue().contains(HELD)).map(Map.Entry::getKey)
        .findFirst();
      if (id.isEmpty()) {
        return records.putAllAsync(batch);
      }
      held.complete(id.get());
      return outcome;
    }
  }

  private static JsonObject counted(String key) {
    return new JsonObject().put("type", "test.count").put("payload", new JsonObject().put("key", key))
      .put("restart", "transient");
  }

  private static ReplyException submitFails(StewardNode node, JsonObject body) {
    return catchThrowableOfType(ReplyException.class, () -> node.vertx().eventBus()
      .request(Addresses.Tasks.SUBMIT, body, new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000))
      .await(40, TimeUnit.SECONDS));
  }

  /** A request to node a itself (a submit there runs on its supervisors). */
  private static JsonObject call(String address, JsonObject body) throws Exception {
    return (JsonObject) a.vertx().eventBus().request(address, body,
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
  }

  private static int admitted(String supervisor) throws Exception {
    return call(Addresses.moduleHealth(a.id(), "tasks"), new JsonObject()).getJsonObject("supervisors")
      .getJsonObject(supervisor).getInteger("admitted");
  }

  private static IMap<String, String> records() {
    return Cluster.hazelcast(b.vertx()).getMap(TaskStore.RECORDS);
  }

  @Test
  void a_durable_submits_record_batch_is_handed_to_hazelcast_off_the_event_loop() throws Exception {
    // Hazelcast's putAllAsync finds every partition's owner before it goes asynchronous, and sleeps while one has none
    // (a member just died): campaign seed 112 blocked node1's event loop 7.5 s there (TaskStore.writeRecords).
    String key = "off-loop-" + UUID.randomUUID();
    CompletableFuture<String> thread = new CompletableFuture<>();
    TaskStore.calls = new TaskStore.RecordCalls() {
      @Override
      public CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
        if (batch.values().stream().anyMatch(v -> v.contains(key))) {
          thread.complete(Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (an event loop)" : ""));
        }
        return records.putAllAsync(batch);
      }
    };
    JsonObject submitted = call(Addresses.Tasks.SUBMIT, counted(key));
    assertThat(submitted.getString("id")).isNotNull();
    assertThat(thread.get(30, TimeUnit.SECONDS)).as("the thread that called putAllAsync").doesNotContain("event loop");
  }

  @Test
  void a_submit_refused_after_its_record_was_partly_written_leaves_no_record_and_never_runs_after_a_takeover() throws Exception {
    StewardNode c = cluster.start(List.of("tasks"), new JsonObject().put("tasks", new JsonObject().put("orphanSweepMs", 500)))
      .await(60, TimeUnit.SECONDS);
    String key = MARK + UUID.randomUUID();
    WRITTEN.clear();
    TaskStore.calls = new PartialBatch();

    ReplyException e = submitFails(c, counted(key));
    assertThat(e).as("the submit is refused").isNotNull();
    assertThat(WRITTEN).as("the fault wrote the record before failing").hasSize(1);
    String id = WRITTEN.iterator().next();
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(503);

    // The node that refused it goes; a survivor adopts every live record it left behind, then has nothing to run.
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    cluster.stop(c).await(60, TimeUnit.SECONDS);
    String gone = c.id();
    Poll.until(a.vertx(), "no live record owned by the stopped node", 30_000,
        () -> b.vertx().executeBlocking(() -> records().values().stream().map(JsonObject::new)
          .noneMatch(r -> gone.equals(r.getString("node")) && !TaskState.of(r.getString("state")).isFinal()), false))
      .await(40, TimeUnit.SECONDS);
    ReplyException refused = catchThrowableOfType(ReplyException.class, () -> b.vertx().eventBus()
      .request(Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 5_000),
        new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS));
    assertThat(refused).as("the refused task is refused to the cluster, not run by a survivor").isNotNull();
    assertThat(refused.failureCode()).as(refused.getMessage()).isEqualTo(503);
    assertThat(refused.getMessage()).contains("refused");
    assertThat(TestTypes.runs(key)).as("runs of the refused task").isZero();
    assertThat(state(id)).as("the record left behind is the refusal's tombstone").isEqualTo("refused");
    assertThat(e.getMessage()).contains("nothing was run");
  }

  @Test
  void a_submit_whose_record_write_failed_indeterminately_is_answered_504_though_its_record_was_taken_back() throws Exception {
    // Campaign seed 1003: the record's write went to a paused member, failed with MemberLeftException when it was
    // removed, was taken back on the new owner (where there was nothing) and answered 503 "nothing applied"; the paused
    // member applied it on its own side of the split, took the task over there, and the record came back at the merge.
    String key = MARK + UUID.randomUUID();
    WRITTEN.clear();
    TaskStore.calls = new IndeterminateBatch();

    ReplyException e = submitFails(a, counted(key));
    assertThat(e).as("the submit is not accepted").isNotNull();
    String id = WRITTEN.iterator().next();
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(504);
    assertThat(e.getMessage()).contains(id).contains("get");
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;

    // Its record was taken back all the same: a tombstone that get shows, and that no node runs.
    assertThat(state(id)).as("the record of the submit answered 504").isEqualTo("refused");
    JsonObject got = (JsonObject) b.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", id),
      new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS).body();
    assertThat(got.getString("state")).as(got.encode()).isEqualTo("refused");
    assertThat(got.getString("error")).as(got.encode()).contains("could not");
    assertThat(TestTypes.runs(key)).as("runs of the task taken back").isZero();
  }

  /** The state of a task's record in the cluster, or null. */
  private static String state(String id) throws Exception {
    String v = b.vertx().executeBlocking(() -> records().get(id), false).await(30, TimeUnit.SECONDS);
    return v == null ? null : new JsonObject(v).getString("state");
  }

  @Test
  void a_submit_whose_record_can_be_neither_confirmed_nor_taken_back_answers_504_and_keeps_its_key() throws Exception {
    String key = MARK + UUID.randomUUID();
    WRITTEN.clear();
    TaskStore.calls = new PartialBatch() {
      @Override
      public CompletionStage<Boolean> withdraw(IMap<String, String> records, String id, Processors.Withdraw withdraw) {
        return CompletableFuture.failedFuture(new HazelcastException("injected: the member holding " + id + " left"));
      }
    };

    ReplyException e = submitFails(a, counted(key).put("key", key));
    assertThat(e).as("the submit is not accepted").isNotNull();
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(504);
    assertThat(e.getMessage()).contains("the outcome is unknown");
    String id = WRITTEN.iterator().next();
    assertThat(e.getMessage()).contains(id);
    assertThat(Cluster.hazelcast(a.vertx()).<String, String>getMap(TaskStore.KEYS).get(key))
      .as("the key stays bound to the task that may exist, so a retry with it does not start a second one").isEqualTo(id);
  }
  @Test
  void a_submit_answered_504_leaves_no_live_record_that_no_node_runs() throws Exception {
    String key = MARK + UUID.randomUUID();
    WRITTEN.clear();
    TaskStore.calls = new PartialBatch() {
      @Override
      public CompletionStage<Boolean> withdraw(IMap<String, String> records, String id, Processors.Withdraw withdraw) {
        return CompletableFuture.failedFuture(new HazelcastException("injected: the member holding " + id + " left"));
      }
    };
    ReplyException e = submitFails(a, counted(key));
    assertThat(e).as("the submit is not accepted").isNotNull();
    assertThat(e.failureCode()).as(e.getMessage()).isEqualTo(504);
    String id = WRITTEN.iterator().next();
    assertThat(records().get(id)).as("the fault left a live record owned by the node that refused the task").isNotNull();

    // The cluster heals. The node that wrote the record lives on and does not run the task: the record must not
    // stay live under its name (await would time out and cancel answer 503 for ever).
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;
    Poll.until(a.vertx(), "the record of the refused task is taken back or final", 15_000,
        () -> b.vertx().executeBlocking(() -> {
          String v = records().get(id);
          return v == null || TaskState.of(new JsonObject(v).getString("state")).isFinal();
        }, false))
      .await(30, TimeUnit.SECONDS);
    ReplyException refused = catchThrowableOfType(ReplyException.class, () -> b.vertx().eventBus()
      .request(Addresses.Tasks.AWAIT, new JsonObject().put("id", id).put("timeoutMs", 5_000),
        new DeliveryOptions().setSendTimeout(30_000)).await(40, TimeUnit.SECONDS));
    assertThat(refused).as("the task answered 504 is refused once taken back, so its client submits it again").isNotNull();
    assertThat(refused.failureCode()).as(refused.getMessage()).isEqualTo(503);
    assertThat(state(id)).as("the record once taken back").isEqualTo("refused");
    assertThat(TestTypes.runs(key)).as("runs of the task taken back").isZero();
  }

  @Test
  void a_task_cancelled_while_its_refused_record_was_being_written_gives_its_capacity_back_once() throws Exception {
    String key = HELD + UUID.randomUUID();
    HeldBatch hold = new HeldBatch();
    TaskStore.calls = hold;
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
    var submit = a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, counted(key).put("supervisor", SINGLE), local);
    String id = hold.held.get(30, TimeUnit.SECONDS);

    // The client cancels the task while its record is being written; the cancel ends it (its final record waits
    // behind the held write).
    var cancel = a.vertx().eventBus().request(Addresses.Tasks.CANCEL, new JsonObject().put("id", id), local);
    Poll.until(a.vertx(), "the task is cancelled while its record write is held", 30_000,
        () -> a.vertx().eventBus().request(Addresses.Tasks.GET, new JsonObject().put("id", id), local)
          .map(m -> "cancelled".equals(((JsonObject) m.body()).getString("state"))))
      .await(40, TimeUnit.SECONDS);
    // Then the write fails: the submit is refused.
    hold.outcome.completeExceptionally(new HazelcastException("injected: the write of " + id + " failed"));
    ReplyException refused = catchThrowableOfType(ReplyException.class, () -> submit.await(40, TimeUnit.SECONDS));
    assertThat(refused).as("the submit whose write failed is refused").isNotNull();
    assertThat(((JsonObject) cancel.await(40, TimeUnit.SECONDS).body()).getString("state")).isEqualTo("cancelled");
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST;

    // Its one unit of capacity was given back once: the supervisor holds none, and still takes one task, not two.
    String gate = "single-" + UUID.randomUUID();
    JsonObject blocked = new JsonObject().put("type", "test.block").put("supervisor", SINGLE)
      .put("payload", new JsonObject().put("gate", gate));
    try {
      assertThat(admitted(SINGLE)).as("units of capacity supervisor '" + SINGLE + "' holds once its only task ended")
        .isZero();
      call(Addresses.Tasks.SUBMIT, blocked);
      assertThat(TestTypes.gate(gate).awaitStarted()).as("the first task runs").isTrue();
      ReplyException full = submitFails(a, blocked.copy());
      assertThat(full).as("a second task on supervisor '" + SINGLE + "' (capacity 1, one task running) is refused")
        .isNotNull();
      assertThat(full.failureCode()).as(full.getMessage()).isEqualTo(429);
    } finally {
      TestTypes.gate(gate).open();
    }
  }

  @Test
  void a_submit_of_a_key_whose_task_is_still_being_recorded_waits_and_is_never_told_of_a_task_that_was_then_refused() throws Exception {
    // Fault campaign, seed 100 replayed: a second submit of the key on the same node was answered existing: true
    // with the id of a task whose record was still being written; that write failed, the task was refused, and the
    // acknowledged id was unknown (404) at the end. The other submits must wait while it is accepted (3 s, then 503).
    String key = HELD + UUID.randomUUID();
    HeldBatch hold = new HeldBatch();
    TaskStore.calls = hold;
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
    var first = a.vertx().eventBus().request(Addresses.Tasks.SUBMIT, counted(key).put("key", key), local);
    String id = hold.held.get(30, TimeUnit.SECONDS);
    TaskStore.calls = TaskStore.RecordCalls.HAZELCAST; // only the first task's write is held

    ReplyException waited = catchThrowableOfType(ReplyException.class, () -> a.vertx().eventBus()
      .request(Addresses.Tasks.SUBMIT, counted(key).put("key", key), local).await(40, TimeUnit.SECONDS));
    assertThat(waited).as("a submit of the key while its task's record is being written is not told that task exists")
      .isNotNull();
    assertThat(waited.failureCode()).as(waited.getMessage()).isEqualTo(503);

    hold.outcome.completeExceptionally(new HazelcastException("injected: the write of " + id + " failed"));
    ReplyException refused = catchThrowableOfType(ReplyException.class, () -> first.await(40, TimeUnit.SECONDS));
    assertThat(refused).as("the first submit is refused").isNotNull();
    JsonObject next = call(Addresses.Tasks.SUBMIT, counted(key).put("key", key));
    assertThat(next.getBoolean("existing", false)).as("the key is free again: a new task").isFalse();
    assertThat(next.getString("id")).isNotEqualTo(id);
  }
}
