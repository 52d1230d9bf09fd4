package io.steward.tasks;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.map.IMap;
import io.steward.spi.LostPartitions;
import io.steward.spi.Stalls;
import com.hazelcast.query.Predicate;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Steward's task maps in Hazelcast. Their names start with {@code steward.tasks.}, so cluster.xml's
 * {@code steward.*} settings apply (one synchronous backup; after a split brain the latest update wins, except for the
 * records: {@link RecordsMergePolicy}); their
 * bounds are kept here, per entry, because a map configuration added at run time does not override that
 * wildcard:
 * <ul>
 *   <li>{@code steward.tasks.records}: every durable task while it is live (pending, running, restarting), with
 *       its owner node, written before it is accepted and before each attempt starts; then its final record,
 *       and the final records of lost temporary tasks, each kept {@code finishedTtlMs} and deleted earlier
 *       when its node's retention ({@code maxFinished}) drops it.</li>
 *   <li>{@code steward.tasks.deadletters}: tasks that reached their restart limit, kept
 *       {@code deadLetterTtlMs}, at most {@code maxDeadLetters} per node that wrote them.</li>
 *   <li>{@code steward.tasks.keys}: idempotency key → task id, while the task is live (and {@link #KEY_TTL_MS}
 *       at most, should its node die), and {@code uniqueForMs} after it ended when the submit asked for that
 *       (then with the time it ended).</li>
 *   <li>{@code steward.tasks.live}: per node, the temporary tasks it holds (see {@link LiveRecord}).</li>
 * </ul>
 * Values are JSON text. Every call is asynchronous; frequent writes are batched; the two queries (rare) and the
 * batches' putAll (see {@link #putAllOffTheLoop}) run on a worker thread.
 */
final class TaskStore {

  static final String RECORDS = "steward.tasks.records";
  static final String DEAD_LETTERS = "steward.tasks.deadletters";
  static final String KEYS = "steward.tasks.keys";
  static final String LIVE = "steward.tasks.live";
  static final long KEY_TTL_MS = TimeUnit.DAYS.toMillis(7);
  /** How long a departed node's taken record of temporary tasks stays marked (for a retry of the take). */
  static final long TAKEN_TTL_MS = TimeUnit.HOURS.toMillis(1);
  private static final int MAX_BATCH = 1_000;

  private final Vertx vertx;
  private final Mailbox mailbox;
  private final IMap<String, String> records;
  private final IMap<String, String> deadLetters;
  private final IMap<String, String> keys;
  private final IMap<String, String> live;
  /**
   * A record write; {@code ttlMs} 0 for a live record (kept until replaced), else a final one. With an {@code owner},
   * written only while the record is that node's ({@link Processors.WriteOwned}), and {@code verdict} gets null
   * (written) or the node that holds the task now.
   */
  private record Write(String json, long ttlMs, String owner, CompletableFuture<String> verdict) {
  }

  /**
   * The two record calls a durable submit's answer depends on. A seam for tests, which replace it to write part
   * of a batch and then fail, as Hazelcast's {@code putAll} may (it is not atomic across partitions, and a
   * timeout leaves its outcome unknown).
   */
  interface RecordCalls {
    RecordCalls HAZELCAST = new RecordCalls() {
    };

    /**
     * One set per record, not Hazelcast's {@code putAllAsync}: a putAll answers once the owners have applied it,
     * without waiting for the synchronous backups (its per-partition operations run inside one partition-iterating
     * operation whose answer carries no backup acknowledgements). Campaign seed 107: a submit acknowledged in 5 ms
     * while the backup member was cut off, its record then lost with its node. Each set waits for its backup's
     * acknowledgement and, invoked with fail-on-indeterminate-state (this call only: the member-wide
     * {@code hazelcast.operation.fail.on.indeterminate.state} would change every module's retries), fails with
     * {@code IndeterminateOperationStateException} when none comes within
     * {@code hazelcast.operation.backup.timeout.millis} (5 s), or when its member leaves: the submit is then refused
     * ({@link TaskEngine}: 504, the outcome unknown, even once its record is taken back: the member may still apply it).
     */
    default CompletionStage<?> putAll(IMap<String, String> records, Map<String, String> batch) {
      return HazelcastInternals.backedSets(records, batch);
    }

    default CompletionStage<Boolean> withdraw(IMap<String, String> records, String id, Processors.Withdraw withdraw) {
      return records.submitToKey(id, withdraw);
    }
  }

  static volatile RecordCalls calls = RecordCalls.HAZELCAST;

  private final BatchWriter<Write> recordWriter;
  private final int keyBackups;
  private final LostPartitions lost;
  /** Whether the key bindings are protected by {@code cluster.minimumSize} (fixed at the member's start). */
  private final boolean minimum;
  private final long finishedTtlMs;
  private final long deadLetterTtlMs;
  private final HazelcastInstance hz;
  private final int maxDeadLetters;
  private final ArrayDeque<String> deadLettersWritten = new ArrayDeque<>();

  TaskStore(Vertx vertx, Mailbox mailbox, HazelcastInstance hz, TasksConfig config) {
    this.vertx = vertx;
    this.hz = hz;
    this.mailbox = mailbox;
    records = hz.getMap(RECORDS);
    deadLetters = hz.getMap(DEAD_LETTERS);
    keys = hz.getMap(KEYS);
    live = hz.getMap(LIVE);
    recordWriter = new BatchWriter<>(mailbox, MAX_BATCH, this::writeRecords);
    finishedTtlMs = config.finishedTtlMs();
    deadLetterTtlMs = config.deadLetterTtlMs();
    maxDeadLetters = config.maxDeadLetters();
    keyBackups = hz.getConfig().findMapConfig(KEYS).getBackupCount();
    minimum = minimumSize();
    lost = new LostPartitions(vertx, hz, LostPartitions.Use.TASK_KEYS, minimum ? config.lostPartitionHoldSeconds() : 0,
      () -> keyBackups);
  }

  /** The partitions whose every copy this side lost ({@link LostPartitions}); started and stopped with the module. */
  LostPartitions lostPartitions() {
    return lost;
  }

  /**
   * Why {@code key} must not be bound here (503, nothing applied), or null: with {@code cluster.minimumSize}, every
   * copy of its binding's partition left this side at once. If they are only cut off, the other side still has the
   * binding, and its task may be running there; a binding here would let a second task of the key run.
   */
  String heldKey(String key) {
    return lost.refusal(key, keyBackups);
  }

  // ---- durable tasks and final records

  /** Records a durable task as it is submitted (a new id: nobody else holds it); batched with other writes. */
  Future<Void> putNew(String id, JsonObject record) {
    return recordWriter.write(id, new Write(record.encode(), 0, null, null));
  }

  /**
   * Updates the live record of a durable task {@code owner} holds (running, restarting), unless another node took it
   * over meanwhile ({@link Processors.WriteOwned}): null once written, else that node's id (the record is left as it
   * is). Batched with other writes.
   */
  Future<String> putLive(String id, JsonObject record, String owner) {
    return owned(id, new Write(record.encode(), 0, owner, new CompletableFuture<>()));
  }

  /**
   * Replaces the record of a durable task {@code owner} holds with its final one, kept {@code finishedTtlMs}, unless
   * another node took it over meanwhile (then that node's id, and the record is left as it is). Fails when the
   * record's backup did not acknowledge the write: the owner alone has it, and if the owner dies before its backups
   * are repaired, a survivor finds the task running and runs it again. Through the same
   * writer as live records, so a live record still in flight (a cancel while the start was being recorded) can never
   * land after the final one and bring the task back.
   */
  Future<String> putFinal(String id, JsonObject record, String owner) {
    return owned(id, new Write(record.encode(), finishedTtlMs, owner, new CompletableFuture<>()));
  }

  /** The final record of a departed node's temporary task, reported lost here. */
  Future<Void> putLost(String id, JsonObject record) {
    return recordWriter.write(id, new Write(record.encode(), finishedTtlMs, null, null));
  }

  /** A write replaced in its batch by a later one of the same task (which has its own verdict) counts as written. */
  private Future<String> owned(String id, Write w) {
    return recordWriter.write(id, w).map(v -> w.verdict().getNow(null));
  }

  /**
   * One batch: new records in one putAll, updates of an owner's records each through {@link Processors.WriteOwned},
   * lost tasks' final records each with their time to live; done when all are.
   */
  private CompletionStage<Void> writeRecords(Map<String, Write> batch) {
    Map<String, String> live = new HashMap<>();
    List<CompletableFuture<?>> writes = new ArrayList<>();
    batch.forEach((id, w) -> {
      if (w.owner() != null) {
        // Confirmed: a write only the owner applied (its backup cut off) must not count as done (see putFinal).
        writes.add(HazelcastInternals.submitToKeyConfirmed(records, id, new Processors.WriteOwned(w.owner(), w.json(), w.ttlMs()))
          .toCompletableFuture().thenAccept(w.verdict()::complete));
      } else if (w.ttlMs() == 0) {
        live.put(id, w.json());
      } else {
        writes.add(records.setAsync(id, w.json(), w.ttlMs(), TimeUnit.MILLISECONDS).toCompletableFuture());
      }
    });
    if (!live.isEmpty()) {
      writes.add(putAllOffTheLoop(live));
    }
    CompletableFuture<?>[] all = writes.toArray(new CompletableFuture<?>[0]);
    // A failure of every kind in the batch's one answer: each refused submit is told whether its write may have applied.
    return CompletableFuture.allOf(all).handle((v, err) -> {
      if (err != null) {
        throw new CompletionException(HazelcastInternals.everyFailure(all));
      }
      return null;
    });
  }

  /**
   * Hazelcast's {@code putAllAsync} is asynchronous only once it has found the owner of every partition the batch
   * touches: until then it sleeps on the calling thread (while a partition has no owner, as after a member's death;
   * 7.5 s on an event loop in campaign seed 112). So it is called on a worker thread, never on the event loop that
   * drains the first batch, nor on the Hazelcast thread that completes one batch and drains the next.
   */
  private CompletableFuture<Void> putAllOffTheLoop(Map<String, String> live) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    vertx.executeBlocking(() -> calls.putAll(records, live), false).onComplete((stage, err) -> {
      if (err != null) {
        done.completeExceptionally(err);
        return;
      }
      stage.whenComplete((v, failure) -> {
        if (failure != null) {
          done.completeExceptionally(failure);
        } else {
          done.complete(null);
        }
      });
    });
    return done;
  }

  /**
   * Takes back the live record of a submit whose write failed (it may have been written all the same), leaving
   * {@code tombstone} (state {@code refused}) in its place for {@code finishedTtlMs}, as a final record: true when the
   * tombstone is there, false when it could not be taken back (a survivor owns it now). See {@link Processors.Withdraw}.
   */
  Future<Boolean> withdraw(String id, String owner, JsonObject tombstone) {
    CompletionStage<Boolean> stage;
    try {
      stage = calls.withdraw(records, id, new Processors.Withdraw(owner, tombstone.encode(), finishedTtlMs));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return future(stage);
  }

  /** Forgets a final record early: its node's retention dropped it. */
  void forget(String id) {
    records.deleteAsync(id);
  }

  Future<JsonObject> get(String id) {
    return future(records.getAsync(id)).map(v -> v == null ? null : new JsonObject(v));
  }

  /**
   * Takes over a durable task of {@code deadOwner}: the updated record, or null when another node won. A claim
   * made again with the same {@code claimId} (after a failure whose outcome is unknown) answers the record.
   */
  Future<JsonObject> claim(String id, String deadOwner, String me, String claimId) {
    return future(records.submitToKey(id, new Processors.Claim(deadOwner, me, claimId)))
      .map(s -> s == null ? null : new JsonObject(s));
  }

  /**
   * Live durable records whose owner is not among {@code liveNodes}, and those {@code me} claimed and has not
   * written since (a query: on a worker thread).
   */
  Future<List<JsonObject>> orphans(Set<String> liveNodes, String me) {
    return vertx.executeBlocking(() -> values(records.values(new Processors.Orphans(Set.copyOf(liveNodes), me))), false);
  }

  // ---- dead letters

  /** Records a dead letter; the oldest this node wrote goes when there are more than {@code maxDeadLetters}. */
  Future<Void> deadLetter(String id, JsonObject record) {
    String evicted = null;
    synchronized (deadLettersWritten) {
      deadLettersWritten.addLast(id);
      if (deadLettersWritten.size() > maxDeadLetters) {
        evicted = deadLettersWritten.removeFirst();
      }
    }
    if (evicted != null) {
      deadLetters.deleteAsync(evicted);
    }
    return future(deadLetters.setAsync(id, record.encode(), deadLetterTtlMs, TimeUnit.MILLISECONDS));
  }

  /** Dead letters, optionally of one supervisor and type (a query: on a worker thread). */
  Future<List<JsonObject>> deadLetters(String supervisor, String type) {
    Predicate<String, String> p = new Processors.Matching(supervisor, type);
    return vertx.executeBlocking(() -> values(deadLetters.values(p)), false);
  }

  // ---- idempotency keys

  /**
   * Binds the key to {@code id}; the binding already there (see {@link Processors#boundId}), or null when the
   * binding is new. Fails with {@code IndeterminateOperationStateException} when the binding's backup did not
   * acknowledge it (a member cut off or slow): the submit then starts nothing.
   */
  Future<String> bindKey(String key, String id) {
    return bindKey(key, id, KEY_TTL_MS);
  }

  /** @param ttlMs how long the binding lasts at most should its task's node die: longer for a scheduled task */
  Future<String> bindKey(String key, String id, long ttlMs) {
    return future(HazelcastInternals.submitToKeyConfirmed(keys, key, new Processors.BindKey(id, ttlMs)));
  }

  /**
   * Moves the key from {@code expected} to {@code id}. Like {@link #bindKey}, done only once the binding's backup has
   * it: a binding only its owner holds is lost with that owner, and a second task would take the key.
   */
  Future<Boolean> rebindKey(String key, String expected, String id, long ttlMs) {
    return future(HazelcastInternals.submitToKeyConfirmed(keys, key, new Processors.RebindKey(expected, id, ttlMs)));
  }

  /**
   * Keeps a finished task's key bound for {@code ttlMs} (its {@code uniqueForMs}) instead of freeing it. The binding
   * says when the task ended on the cluster clock ({@link #clusterTime()}), not on this node's wall clock: the window
   * is judged by whichever node takes the next submit of the key, whose wall clock may disagree with this one's.
   */
  void holdKey(String key, String id, long endedAtWall, long ttlMs) {
    long endedAt = endedAtWall + (clusterTime() - System.currentTimeMillis());
    keys.submitToKey(key, new Processors.HoldKey(id, endedAt, ttlMs));
  }

  /**
   * Hazelcast's cluster time: this node's wall clock corrected by its offset to the master's, measured from the
   * master's heartbeats; every node agrees on it within a heartbeat's transit, however far their wall clocks disagree
   * (the clock of the schedule, and the one {@code /nodes} {@code clockOffsetMs} is measured against).
   */
  long clusterTime() {
    return hz.getCluster().getClusterTime();
  }

  /**
   * Why a key bound here now may be on a copy the rest of the cluster no longer holds, or null: with
   * {@code cluster.minimumSize}, this node stalled lately ({@link Stalls}: a GC pause or SIGSTOP past failure
   * detection, after which it still believes it is a member for a while; campaign seed 2425).
   */
  String stalled() {
    return minimum ? Stalls.recent() : null;
  }

  /** Whether the key bindings are protected by {@code cluster.minimumSize}. */
  private boolean minimumSize() {
    String name = hz.getConfig().findMapConfig(KEYS).getSplitBrainProtectionName();
    SplitBrainProtectionConfig protection = name == null ? null : hz.getConfig().getSplitBrainProtectionConfig(name);
    return protection != null && protection.isEnabled();
  }

  void unbindKey(String key, String id) {
    keys.submitToKey(key, new Processors.UnbindKey(id));
  }

  // ---- the record of temporary tasks

  Future<Void> putLiveRecord(String node, String record) {
    return future(live.setAsync(node, record));
  }

  /**
   * Takes a departed node's record and returns it: whoever gets it non-null reports the node's tasks, then
   * {@link #forgetTaken}s it. The same {@code claimId} gets the record again (a retry); any other gets null.
   */
  Future<String> takeLiveRecord(String node, String claimId) {
    return future(live.submitToKey(node, new Processors.TakeLiveRecord(claimId, TAKEN_TTL_MS)));
  }

  /** Deletes a taken record once its tasks are reported (else it expires after {@link #TAKEN_TTL_MS}). */
  void forgetTaken(String node, String claimId) {
    live.submitToKey(node, new Processors.ForgetTaken(claimId));
  }

  Future<Set<String>> liveRecordOwners() {
    return vertx.executeBlocking(live::keySet, false);
  }

  Future<Void> removeLiveRecord(String node) {
    return future(live.deleteAsync(node)).mapEmpty();
  }

  /** Completes on the verticle's event loop (through the mailbox: one hop carries many completions). */
  private <T> Future<T> future(CompletionStage<T> stage) {
    Promise<T> p = Promise.promise();
    stage.whenComplete((v, err) -> mailbox.post(() -> {
      if (err == null) {
        p.tryComplete(v);
      } else {
        p.tryFail(err);
      }
    }));
    return p.future();
  }

  private static List<JsonObject> values(Collection<String> values) {
    List<JsonObject> out = new ArrayList<>(values.size());
    for (String v : values) {
      out.add(new JsonObject(v));
    }
    return out;
  }
}
