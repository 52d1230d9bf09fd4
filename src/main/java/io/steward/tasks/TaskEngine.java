package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.steward.observe.Metrics;
import io.vertx.core.Context;
import io.steward.spi.VertxInternals;
import io.steward.bus.Endpoint;
import io.steward.bus.Failure;
import io.steward.observe.RateLimitedLog;
import io.steward.bus.StewardException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Supervision on one node: accepts tasks into their supervisor, runs their attempts on its workers, applies
 * the restart policy when an attempt ends, times attempts out, cancels, and finishes tasks (local registry,
 * meters, events, waiters, and for durable tasks the Hazelcast records).
 *
 * <p>Threads: an attempt runs on a worker ({@link Runner}); a temporary task that ends for good is finished right
 * there (the fast path touches only concurrent structures). Everything else — restarts, timeouts, cancels,
 * durable writes — runs on the tasks verticle's event loop.
 */
final class TaskEngine {

  private static final Logger LOG = LoggerFactory.getLogger(TaskEngine.class);
  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG, 10_000);

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final TasksConfig config;
  private final Map<String, Supervisor> supervisors;
  private final Registry registry;
  private final Events events;
  private final TaskMeters.Cache meters;
  private final TaskStore store;
  private final TaskIds ids;
  private final Mailbox mailbox;
  private final Runner runner;
  private final Dispatcher dispatcher;
  private final Clock clock;
  private final Clock elapsed;
  /** Tasks waiting for their backoff delay, soonest first (on the elapsed clock). On the event loop. */
  private final PriorityQueue<Due> restarts = new PriorityQueue<>(Comparator.comparingLong(Due::at));
  /** Tasks submitted with delayMs or runAt, waiting for their due time (on the wall clock). */
  private final Delayed delayed;
  private volatile boolean stopping;
  /**
   * Refused durable submits whose record may still exist (its withdraw failed) or land late (a timed-out batch
   * still in flight), by id: taken back again in every sweep until one withdraw answered after {@link #REFUSED_WINDOW_MS}.
   */
  private final Map<String, Refusal> refusedUntil = new ConcurrentHashMap<>();
  /** Longer than Hazelcast's operation call timeout (60 s by default), after which a write in flight is dropped. */
  static final long REFUSED_WINDOW_MS = 120_000;

  /** A task that restarts once the elapsed clock reads {@code at}. */
  private record Due(long at, TaskRecord record) {
  }

  TaskEngine(Vertx vertx, Context context, Mailbox mailbox, String nodeId, TaskIds ids, TasksConfig config,
             Map<String, Supervisor> supervisors, Registry registry, Events events, TaskMeters.Cache meters, TaskStore store,
             Clock clock, Clock elapsed, io.micrometer.core.instrument.Timer lateness) {
    this.vertx = vertx;
    this.clock = clock;
    this.elapsed = elapsed;
    this.context = context;
    this.mailbox = mailbox;
    this.nodeId = nodeId;
    this.config = config;
    this.supervisors = supervisors;
    this.registry = registry;
    this.events = events;
    this.meters = meters;
    this.store = store;
    this.ids = ids;
    this.delayed = new Delayed(vertx, context, clock, this::due, lateness);
    this.runner = new Runner(vertx, nodeId, events, clock, elapsed, new AttemptListener());
    this.dispatcher = new Dispatcher(vertx, context, mailbox, store, nodeId, clock, runner, a -> finish(a.record, TaskState.FAILED,
      Outcome.FAILED, null, "node " + nodeId + " stopped before the task could run", false), this::takenOverElsewhere);
  }

  /** What the runner reports of the attempts it was handed. */
  private final class AttemptListener implements Runner.Listener {
    @Override
    public void notStarted(Attempt a) {
      a.releaseLimit();
      dispatcher.releasePermit(a);
    }

    @Override
    public void ended(Attempt a, Outcome outcome, Object result, String error) {
      attemptEnded(a, outcome, result, error);
    }
  }

  /** The dates of this node's tasks: when they were submitted, started, restarted and ended. */
  Clock clock() {
    return clock;
  }

  TaskIds ids() {
    return ids;
  }

  Registry registry() {
    return registry;
  }

  Map<String, Supervisor> supervisors() {
    return supervisors;
  }

  // ---------------------------------------------------------------- accepting

  /**
   * A task's type and supervisor on this node, and when it is due (epoch ms on this node's clock; 0: at once).
   */
  record Resolved(TaskType type, Supervisor supervisor, long dueAt) {
    Resolved(TaskType type, Supervisor supervisor) {
      this(type, supervisor, 0);
    }

    /** How long its key stays bound at most while the task lives: past its due time by {@link TaskStore#KEY_TTL_MS}. */
    long keyTtlMs(long now) {
      return TaskStore.KEY_TTL_MS + Math.max(0, dueAt - now);
    }
  }

  /** Finds the type (404), the supervisor (404), and checks the payload (400). */
  Resolved resolve(TaskSpec spec) {
    if (stopping) {
      throw StewardException.unavailable("the tasks module of node " + nodeId + " is stopping; retry (another node takes it)");
    }
    TaskType type = TaskTypes.get(spec.type());
    if (type == null) {
      throw StewardException.notFound("type: no task type '" + spec.type() + "' on this node (known: "
        + String.join(", ", TaskTypes.names()) + ")");
    }
    Supervisor sup = supervisors.get(spec.supervisor());
    if (sup == null) {
      throw StewardException.notFound("supervisor: no supervisor '" + spec.supervisor() + "' (configured: "
        + String.join(", ", supervisors.keySet()) + "; see tasks.supervisors)");
    }
    type.validate(spec.payload());
    LimitConfig limit = sup.config.limit();
    if (limit != null && limit.partitionBy() != null
      && LimitConfig.partitionValue(spec.payload(), limit.partitionBy()) == null) {
      throw StewardException.badRequest("payload." + limit.partitionBy(), "is required: a string (1-"
        + LimitConfig.MAX_PARTITION_VALUE + " characters) or an integer, as supervisor '" + sup.name()
        + "' limits its tasks per " + limit.partitionBy() + " (partitionBy)");
    }
    return new Resolved(type, sup, spec.dueAt(clock.millis()));
  }

  /** Takes one unit of the supervisor's capacity, or throws 429 (counted, with a {@code rejected} event). */
  Supervisor.Admission admit(TaskSpec spec, Supervisor sup) {
    Supervisor.Admission admission = sup.admit();
    if (admission != null) {
      return admission;
    }
    String reason = "supervisor '" + sup.name() + "' is full: " + sup.admitted() + " tasks running, queued or waiting to "
      + "restart (workers " + sup.config.workers() + " + maxQueued " + sup.config.maxQueued() + "); retry after a backoff";
    events.rejected(null, spec.type(), sup.name(), 429, reason);
    throw StewardException.overCapacity(reason);
  }

  /**
   * Creates a task holding {@code admission} ({@link #admit}) and starts it: durable ones are recorded in Hazelcast
   * first (the future completes once they are), temporary ones go to their workers at once. {@code waiter}, if
   * any, gets the final record.
   */
  Future<TaskRecord> start(TaskSpec spec, Resolved resolved, Supervisor.Admission admission, String id,
                           Promise<JsonObject> waiter) {
    Supervisor sup = resolved.supervisor();
    long timeout = spec.timeoutMs() != null ? spec.timeoutMs() : sup.config.timeoutMs();
    long seq = id == null ? ids.nextSeq() : ids.seqOf(id);
    long dueAt = resolved.dueAt();
    TaskRecord r = seq >= 0
      ? new TaskRecord(ids.prefix(), seq, spec, timeout, clock.millis(), admission, resolved.type(),
        metersOf(sup, spec.type()), nodeId, dueAt)
      : new TaskRecord(id, spec, timeout, clock.millis(), admission, resolved.type(), metersOf(sup, spec.type()),
        nodeId, dueAt);
    io.opentelemetry.context.Context trace = runner.traceParent();
    if (trace != null) {
      r.acceptedIn(trace);
    }
    if (waiter != null) {
      r.addWaiter(waiter);
    }
    registry.addLive(r);
    r.meters.submitted.increment();
    events.submitted(r);
    if (dueAt > 0) {
      return schedule(r);
    }
    if (!r.durable()) {
      dispatcher.dispatch(r);
      return Future.succeededFuture(r);
    }
    r.markRecorded();
    // When a dispatch permit is free, the first record already says running: one write instead of two.
    Attempt first = dispatcher.reserve(r);
    JsonObject record = first != null ? dispatcher.runningRecord(r, first) : r.toJson();
    return store.putNew(r.id(), record).transform(ar -> {
      if (ar.failed()) {
        if (first != null) {
          dispatcher.releasePermit(first);
        }
        r.refused();
        registry.discard(r);
        // Once: a cancel that ended the task while its record was being written has given it back already.
        r.admission.release();
        return refused(r, ar.cause());
      }
      if (first != null) {
        dispatcher.go(r, first);
      } else {
        dispatcher.dispatch(r);
      }
      return Future.succeededFuture(r);
    });
  }

  /**
   * Starts a task's wait for its due time: a durable one once its record (state {@code scheduled}, with its
   * {@code runAt}) is written, as any durable submit. A task cancelled while its record was being written is not
   * queued. On the event loop.
   */
  private Future<TaskRecord> schedule(TaskRecord r) {
    if (!r.durable()) {
      queueScheduled(r);
      return Future.succeededFuture(r);
    }
    r.markRecorded();
    return store.putNew(r.id(), r.toJson()).transform(ar -> {
      if (ar.failed()) {
        r.refused();
        registry.discard(r);
        r.admission.release();
        return refused(r, ar.cause());
      }
      queueScheduled(r);
      return Future.succeededFuture(r);
    });
  }

  /**
   * Hands a scheduled task to {@link #delayed}, which lives on the verticle's event loop (a submit runs on one of
   * {@code tasks.submitInstances} event loops); one cancelled meanwhile is left out.
   */
  private void queueScheduled(TaskRecord r) {
    onContext(() -> {
      if (r.state() == TaskState.SCHEDULED) {
        delayed.add(r);
      }
    });
  }

  /** A scheduled task whose time came: it is pending now, and runs as any task. On the event loop. */
  private void due(TaskRecord r) {
    if (stopping || !r.due()) {
      return; // stopping: a survivor runs it (durable), or reports it lost
    }
    dispatcher.dispatch(r);
  }

  /** Tasks waiting for their due time on this node (the {@code steward_tasks_scheduled} gauge). */
  int scheduled() {
    return delayed.size();
  }

  /**
   * The answer to a durable submit whose record could not be written. The batch may have been written in part (a
   * putAll is not atomic across partitions) or in full (a timeout says nothing of the outcome): a record left
   * behind would be adopted by a survivor once this node is gone and run a task its client was told was refused.
   * So the record is taken back first, and a tombstone (state {@code refused}) left in its place, which no node claims
   * and no live copy replaces when the sides of a split brain merge ({@link Processors.Withdraw}). The answer is 503
   * (nothing was applied) only when the write's failure says so (split-brain protection refused it) and the tombstone
   * is there; else 504 (the outcome is unknown: the task may run). A write that failed because its member left, or
   * its backup never acknowledged, or that timed out, may still be applied by a member that was sent it, on its own
   * side of a split: campaign seed 1003, a 503 whose record a paused member applied and took over on its side, and
   * that survivors ran after the merge. Either way the sweeps take it back again for a while ({@link
   * #withdrawRefused}): this node has discarded the task, so a record left under its name would be run by nobody
   * while it lives.
   */
  private Future<TaskRecord> refused(TaskRecord r, Throwable writeError) {
    String cause = writeError.getMessage();
    boolean notApplied = notApplied(writeError);
    String why = notApplied
      ? "could not record durable task " + r.id() + " in the cluster (" + cause + "); nothing was run"
      : "could not confirm that durable task " + r.id() + " was recorded (" + brief(writeError) + ")";
    JsonObject tombstone = r.toJson().put("state", TaskState.REFUSED.wire()).put("node", nodeId).put("error", why)
      .put("refusedAt", clock.millis());
    refusedUntil.put(r.id(), new Refusal(elapsed.millis() + REFUSED_WINDOW_MS, tombstone));
    return store.withdraw(r.id(), nodeId, tombstone).transform(w -> {
      boolean takenBack = w.succeeded() && w.result();
      if (takenBack && notApplied) {
        String reason = why + "; its record says refused; retry";
        events.rejected(r.id(), r.spec.type(), r.supervisor.name(), Failure.UNAVAILABLE.code(), reason);
        return Future.failedFuture(StewardException.unavailable(reason));
      }
      String reason = takenBack
        ? why + ": a member that was sent its record (cut off, paused or leaving) may still apply it and run the task "
          + "on its own side of a split; its record here was taken back (state refused). The outcome is unknown: read it "
          + "with get before retrying"
        : why + ", nor take its record back (" + (w.failed() ? w.cause().getMessage() : "another node has taken it over")
          + "): the outcome is unknown and the task may run; read it with get before retrying";
      WARNINGS.warn("submit-unknown", "Durable task " + r.id() + ": " + reason + ". Check the cluster's health (a member "
        + "lost or overloaded?).");
      events.rejected(r.id(), r.spec.type(), r.supervisor.name(), Failure.INDETERMINATE.code(), reason);
      return Future.failedFuture(StewardException.indeterminate(reason));
    });
  }

  /**
   * Whether a record write's failure says that nothing was applied: split-brain protection refused it on the member
   * that runs it ({@code cluster.minimumSize}), before it ran. Every failure of a batch counts (the others are
   * suppressed in the first: {@link io.steward.spi.HazelcastInternals#everyFailure}); any other kind (a member left,
   * a backup never acknowledged, a timeout, an error) leaves open whether a member applied it.
   */
  static boolean notApplied(Throwable writeError) {
    if (!refusedByProtection(writeError)) {
      return false;
    }
    for (Throwable t : writeError.getSuppressed()) {
      if (!refusedByProtection(t)) {
        return false;
      }
    }
    return true;
  }

  private static boolean refusedByProtection(Throwable error) {
    if (Endpoint.indeterminate(error)) {
      return false;
    }
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof com.hazelcast.splitbrainprotection.SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  /** A refused submit's record is taken back again until {@code until} (elapsed clock), leaving {@code tombstone}. */
  private record Refusal(long until, JsonObject tombstone) {
  }

  /**
   * Takes back, again, the records of refused submits ({@link #refused}): this node discarded those tasks, so a
   * record of one left under its name (a withdraw that failed, a write that landed late) would be run by nobody
   * while it lives, and by a survivor after. Called by every sweep; an id is dropped once a withdraw has answered
   * after its window. On the event loop.
   */
  void withdrawRefused() {
    refusedUntil.forEach((id, refusal) -> {
      if (registry.get(id) != null) { // this node runs it after all (it took its own record over from a survivor)
        refusedUntil.remove(id);
        return;
      }
      long asked = elapsed.millis();
      store.withdraw(id, nodeId, refusal.tombstone()).onComplete(w -> {
        if (w.failed()) {
          WARNINGS.warn("withdraw-retry", "Could not yet take back the record of refused durable task " + id + " ("
            + w.cause().getMessage() + "); retrying every tasks.orphanSweepMs");
        } else if (asked >= refusal.until()) {
          refusedUntil.remove(id);
        }
      });
    });
  }

  private TaskMeters metersOf(Supervisor sup, String type) {
    return sup.metersOf(type, meters);
  }

  /** An attempt now holds its slot of its supervisor's cluster limit: it goes on to the workers. On the event loop. */
  void limitGranted(Attempt a) {
    dispatcher.proceed(a);
  }

  /** Applies the restart policy. Temporary tasks that end for good finish on the calling thread. */
  private void attemptEnded(Attempt a, Outcome outcome, Object result, String error) {
    TaskRecord r = a.record;
    if (r.spec.restart() == Restart.TEMPORARY) { // never restarted: no decision to make
      finish(r, outcome.finalState(), outcome, result, error, false);
      return;
    }
    RestartHistory history = r.history();
    long now = clock.millis();
    RestartPolicy.Decision d = RestartPolicy.decide(r.spec.restart(), outcome, history, r.spec.maxRestarts(),
      r.spec.withinMs(), now, config.backoff(), ThreadLocalRandom.current().nextDouble());
    if (d.kind() == RestartPolicy.Decision.Kind.FINISH && !r.durable()) {
      finish(r, outcome.finalState(), outcome, result, error, false);
      return;
    }
    onContext(() -> {
      switch (d.kind()) {
        case FINISH -> finish(r, outcome.finalState(), outcome, result, error, false);
        case GIVE_UP -> finish(r, TaskState.FAILED, outcome, null, "restart limit reached (" + d.restartsInWindow()
          + " restarts within " + r.spec.withinMs() + " ms, maxRestarts " + r.spec.maxRestarts() + "); last attempt "
          + describe(outcome, error), true);
        case RESTART -> restart(r, outcome, error, d.delayMs(), false);
      }
    });
  }

  private static String describe(Outcome outcome, String error) {
    return switch (outcome) {
      case SUCCEEDED -> "succeeded";
      case FAILED -> "failed: " + error;
      case TIMED_OUT -> error;
      case NODE_LOST -> "lost with its node";
    };
  }

  private static String reason(Outcome outcome) {
    return switch (outcome) {
      case SUCCEEDED -> "succeeded";
      case FAILED -> "failed";
      case TIMED_OUT -> "timed-out";
      case NODE_LOST -> "node-lost";
    };
  }

  /** Schedules the next attempt after {@code delayMs} on the elapsed clock ({@link #tick} requeues it). On the event loop. */
  private void restart(TaskRecord r, Outcome outcome, String error, long delayMs, boolean possibleDuplicate) {
    TaskRecord.Restarting restarting = r.restartAfter(outcome, error, clock.millis());
    if (restarting == null) {
      return; // it ended meanwhile (cancelled)
    }
    Attempt ended = restarting.ended();
    int attempts = restarting.attempts();
    Supervisor sup = r.supervisor;
    sup.restartWaiting();
    r.meters.restarted(reason(outcome));
    events.restarted(r, attempts, reason(outcome), delayMs, possibleDuplicate);
    if (r.durable()) {
      // Refused when another node took the task over meanwhile: then its running record is refused too, and the
      // task is dropped here before its next attempt (Dispatcher).
      store.putLive(r.id(), r.toJson(), nodeId).onComplete(ar -> {
        releasePermit(ended);
        if (ar.failed()) {
          r.recordUnconfirmed();
          unconfirmed("restart").increment();
          WARNINGS.warn("restart-record", "Could not record the restart of durable task " + r.id() + " ("
            + ar.cause().getMessage() + "); it restarts anyway, reported possibleDuplicate: another node may have "
            + "taken it over.");
        }
      });
    } else {
      releasePermit(ended);
    }
    if (delayMs <= 0) {
      requeue(r);
      return;
    }
    // A task that ends meanwhile (cancelled) stays here until it is due; requeue then leaves it alone.
    restarts.add(new Due(elapsed.millis() + delayMs, r));
  }

  private void requeue(TaskRecord r) {
    // stopping: a survivor restarts it (durable) or reports it
    if (stopping || !r.requeue()) {
      return;
    }
    r.supervisor.restartOver();
    dispatcher.dispatch(r);
  }

  /** A paused supervisor was resumed ({@link Pauses}): its durable queue moves again. Any thread. */
  void resumed(Supervisor sup) {
    dispatcher.resumed(sup);
  }

  // ---------------------------------------------------------------- finishing

  /** Makes a task final (once). Any thread; durable tasks complete after their final record is written. */
  private void finish(TaskRecord r, TaskState state, Outcome outcome, Object result, String error, boolean deadLetter) {
    TaskRecord.Ended ended = r.end(state, outcome, result, error, deadLetter, clock.millis());
    if (ended == null) {
      return; // final already
    }
    List<Promise<JsonObject>> waiters = ended.waiters();
    Attempt last = ended.last();
    if (ended.prior() == TaskState.RESTARTING) {
      r.supervisor.restartOver();
    }
    if (!r.durable()) {
      completed(r, state, waiters, null);
      return;
    }
    JsonObject json = r.toJson();
    onContext(() -> writeFinal(r, state, waiters, json, last));
  }

  /**
   * Writes a durable task's final record, then completes it (its waiters answered, its key released). A write its
   * backup did not confirm (the backup member cut off or slow: Hazelcast's backup timeout, 5 s) is written again every
   * {@link #FINAL_RETRY_MS} while this node runs: until then the task stays here as live and holds its key. Were the key
   * released at once, and this node then died before its backups were repaired, a survivor would find the task running,
   * run it again, and a second task of the key would run beside it (CI's campaign seed 33535).
   */
  private void writeFinal(TaskRecord r, TaskState state, List<Promise<JsonObject>> waiters, JsonObject json, Attempt last) {
    store.putFinal(r.id(), json, nodeId).onComplete(ar -> {
      boolean retry = ar.failed() && !stopping;
      if (!retry) {
        // An attempt holds its place in the window of workers + dispatchAhead until the record of how it ended is
        // written: released while it was still being written again, the place went to a new attempt, and the node
        // held more running records than the window (KillDuringTasksIT: 50 reported possible duplicates, over 48).
        releasePermit(last);
      }
      if (ar.succeeded() && ar.result() != null) {
        dropped(r, ar.result(), waiters, "when it ended here (" + state.wire() + "), and left that node's record as it is "
          + "(an attempt that was running here is reported there as possibleDuplicate)");
        return;
      }
      if (ar.failed()) {
        unconfirmedFinal().increment();
        if (!stopping) {
          WARNINGS.warn("final-record", "Could not confirm the final state (" + state.wire() + ") of durable task "
            + r.id() + " on a backup member (" + brief(ar.cause()) + "): a member is cut off, overloaded or "
            + "leaving. The task keeps its key and is written again every " + FINAL_RETRY_MS + " ms; if this node dies "
            + "first, a survivor runs it again (possibleDuplicate). Counted in steward_tasks_unconfirmed_writes_total.");
          vertx.setTimer(FINAL_RETRY_MS, t -> onContext(() -> writeFinal(r, state, waiters, json, last)));
          return;
        }
        WARNINGS.warn("final-record", "Could not record the final state of durable task " + r.id() + " ("
          + ar.cause().getMessage() + ") while this node stops; a survivor runs it again, and its key stays bound to "
          + "it until that run ends.");
        // Its record on the backup says running: a survivor may run it again, under its key, which is kept for it.
        completed(r, state, waiters, json, false);
        return;
      }
      completed(r, state, waiters, json, true);
    });
  }

  /** A write's failure in a line: Hazelcast's indeterminate-state text names the whole invocation. */
  private static String brief(Throwable err) {
    return Endpoint.indeterminate(err)
      ? "no backup acknowledged it in time, or its owner left" : String.valueOf(err.getMessage());
  }

  /** How often a final record that no backup confirmed is written again. */
  static final long FINAL_RETRY_MS = 1_000;

  private Counter unconfirmedFinal() {
    return unconfirmed("final");
  }

  /**
   * Writes of durable task records that failed unconfirmed, by kind: {@code final} (written again until confirmed),
   * {@code restart} (the task restarts anyway and is reported possibleDuplicate).
   */
  private Counter unconfirmed(String write) {
    return Counter.builder("steward_tasks_unconfirmed_writes")
      .description("Writes of durable task records that no backup member confirmed in time: final ones are written "
        + "again; a restart's goes on and reports the task possibleDuplicate")
      .tag("write", write).register(Metrics.registry(vertx));
  }

  /**
   * A pending durable task whose running record was refused: another node took it over while this one was cut off
   * from the cluster (a partition, a pause past failure detection: it was declared dead). It runs there; here it is
   * dropped without running. On the event loop.
   */
  private void takenOverElsewhere(TaskRecord r, String holder) {
    List<Promise<JsonObject>> waiters = r.handedOver();
    if (waiters == null) {
      return; // it ended meanwhile (cancelled)
    }
    dropped(r, holder, waiters, "before its next attempt; it was not run again here");
  }

  /**
   * Forgets a durable task here that {@code holder} runs now (its record names that node): no final record, key or
   * event from this node, whose copy is stale. Its waiters get 503: asked again, {@code await} and {@code get} follow
   * the task to its record.
   */
  private void dropped(TaskRecord r, String holder, List<Promise<JsonObject>> waiters, String when) {
    registry.discard(r);
    r.admission.release();
    if (holder.startsWith(Processors.REFUSED_BY)) {
      String submitter = holder.substring(Processors.REFUSED_BY.length());
      WARNINGS.warn("refused-copy", "Durable task " + r.id() + " was refused when it was submitted on node " + submitter
        + " (its record there says refused), but this node (" + nodeId + ") ran a copy of its record that a member "
        + "applied late on this node's side of a split brain; the sides have merged, and this node dropped its copy "
        + "without running it again. Its client was answered 504 (outcome unknown). Check the network and pauses of "
        + "the cluster's members, and set cluster.minimumSize.");
      if (waiters != null) {
        StewardException refusedTask = StewardException.unavailable("task " + r.id() + " was refused when it was "
          + "submitted on node " + submitter + "; the cluster does not run it: submit it again");
        for (Promise<JsonObject> p : waiters) {
          p.tryFail(refusedTask);
        }
      }
      return;
    }
    WARNINGS.warn("taken-over", "Durable task " + r.id() + " was taken over by node " + holder + " while this node ("
      + nodeId + ") was cut off from the cluster (a partition, or a pause past failure detection); this node dropped "
      + "its copy " + when + ". Check the network and pauses (GC, SIGSTOP) of this node.");
    if (waiters != null) {
      StewardException moved = StewardException.unavailable("task " + r.id() + " was taken over by node " + holder
        + " while node " + nodeId + " was cut off from the cluster; it runs there: await or get it again");
      for (Promise<JsonObject> p : waiters) {
        p.tryFail(moved);
      }
    }
  }

  /**
   * Gives back the dispatch permit of a durable attempt once the record of how it ended is written (or could not
   * be): until then the cluster still sees the task as running here, and a survivor would report it as a
   * possible duplicate, so it counts against the dispatch window that bounds those reports.
   */
  private void releasePermit(Attempt a) {
    if (a != null) {
      dispatcher.releasePermit(a);
    }
  }

  private void completed(TaskRecord r, TaskState state, List<Promise<JsonObject>> waiters, JsonObject json) {
    completed(r, state, waiters, json, true);
  }

  /** {@code releaseKey}: false when the task's final record may not be in the cluster (its node stops). */
  private void completed(TaskRecord r, TaskState state, List<Promise<JsonObject>> waiters, JsonObject json,
                         boolean releaseKey) {
    r.endRecorded();
    registry.finished(r);
    r.admission.release();
    r.meters.finished(state);
    int attempts;
    String error;
    boolean deadLetter;
    synchronized (r) {
      attempts = r.attempts();
      error = r.error();
      deadLetter = r.deadLetter();
    }
    events.ended(r, state, attempts, error, deadLetter);
    if (deadLetter || waiters != null) {
      JsonObject full = json != null ? json : r.toJson();
      Future<?> recorded = Future.succeededFuture();
      if (deadLetter) {
        r.meters.deadLetters.increment();
        recorded = store.deadLetter(r.id(), full).onFailure(err -> WARNINGS.warn("dead-letter", "Could not record dead "
          + "letter " + r.id() + " in the cluster: " + err.getMessage()));
      }
      if (waiters != null) {
        // A caller told the task failed for good finds it among the dead letters (or the WARN says why not).
        recorded.onComplete(done -> {
          for (Promise<JsonObject> p : waiters) {
            p.tryComplete(full);
          }
        });
      }
    }
    if (r.spec.key() != null && releaseKey) {
      if (r.spec.uniqueForMs() > 0) {
        store.holdKey(r.spec.key(), r.id(), r.endedAt(), r.spec.uniqueForMs());
      } else {
        store.unbindKey(r.spec.key(), r.id());
      }
    }
  }

  // ---------------------------------------------------------------- control

  /** Cancels a task this node owns; the future holds its final record. On the event loop. */
  Future<JsonObject> cancel(TaskRecord r) {
    Promise<JsonObject> done = VertxInternals.promise(context);
    synchronized (r) {
      TaskState state = r.state();
      if (state.isFinal()) {
        throw StewardException.conflict("task " + r.id() + " already ended: " + state.wire());
      }
      Attempt a = r.attempt();
      if (state == TaskState.RUNNING && a != null) {
        runner.abandon(a);
      } else if (state == TaskState.SCHEDULED) {
        onContext(() -> delayed.remove(r)); // where the heap lives; were it due first, it would not run (cancelled)
      } else if (state == TaskState.PENDING && a != null) {
        a.releaseLimit(); // it will not begin: it is cancelled under this monitor
        if (r.supervisor.withdraw(a)) {
          dispatcher.releasePermit(a);
        }
        r.supervisor.unqueueDurable(r);
      }
      r.addWaiter(done);
      finish(r, TaskState.CANCELLED, null, null, "cancelled", false);
    }
    return done.future();
  }

  /** Completes {@code waiter} with the task's final record when it ends (at once if it has). */
  void watch(TaskRecord r, Promise<JsonObject> waiter) {
    synchronized (r) {
      if (!r.state().isFinal()) {
        if (!r.addWaiter(waiter)) {
          throw StewardException.overCapacity("task " + r.id() + " already has " + TaskRecord.MAX_WAITERS + " waiters");
        }
        return;
      }
    }
    waiter.tryComplete(r.toJson());
  }

  /** Waits for a task this node owns to end; 408 if {@code timeoutMs} passes first. On the event loop. */
  Future<JsonObject> await(TaskRecord r, long timeoutMs) {
    Promise<JsonObject> done = VertxInternals.promise(context);
    synchronized (r) {
      if (r.state().isFinal()) {
        return Future.succeededFuture(r.toJson());
      }
      if (!r.addWaiter(done)) {
        throw StewardException.overCapacity("task " + r.id() + " already has " + TaskRecord.MAX_WAITERS + " waiters");
      }
    }
    long timer = vertx.setTimer(timeoutMs, t -> {
      synchronized (r) {
        r.removeWaiter(done);
      }
      done.tryFail(StewardException.timeout("task " + r.id() + " did not end within " + timeoutMs + " ms; it is still "
        + "running (await it again, or cancel it)"));
    });
    return done.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  // ---------------------------------------------------------------- takeover

  /**
   * Runs a durable task claimed from a departed node (the claim made this node its owner). If it was running
   * there, it may have had effects: it restarts at once as a {@code node-lost} restart (counted against its
   * limit) and is reported as a possible duplicate. The task holds {@code admission} from now on.
   */
  void adopt(JsonObject rec, Resolved resolved, Supervisor.Admission admission) {
    TaskSpec spec = new TaskSpec(rec.getString("type"), rec.getValue("payload"), rec.getString("supervisor"),
      Restart.of(rec.getString("restart")), rec.getInteger("maxRestarts", config.maxRestarts()),
      rec.getLong("withinMs", config.withinMs()), rec.getLong("timeoutMs"), rec.getString("key"),
      rec.getLong("uniqueForMs", 0L), rec.getInteger("priority", 0));
    Supervisor sup = resolved.supervisor();
    String lostState = rec.getString("lostState", TaskState.PENDING.wire());
    // Still waiting for its time there: it waits here for the same time (one already due runs at once).
    long runAt = TaskState.SCHEDULED.wire().equals(lostState) ? Math.max(1, rec.getLong("runAt", 1L)) : 0;
    TaskRecord r = new TaskRecord(rec.getString("id"), spec, rec.getLong("timeoutMs", 0L), rec.getLong("submittedAt"),
      admission, resolved.type(), metersOf(sup, spec.type()), nodeId, runAt);
    r.markRecorded();
    boolean wasRunning = TaskState.RUNNING.wire().equals(lostState);
    JsonArray times = rec.getJsonArray("restartedAt");
    r.takeOver(rec.getInteger("attempts", 0), rec.getInteger("takeovers", 1),
      wasRunning || rec.getBoolean("possibleDuplicate", false), rec.getString("error"),
      times == null ? RestartHistory.EMPTY : RestartHistory.of(times.stream().mapToLong(t -> ((Number) t).longValue()).toArray()));
    registry.addLive(r);
    if (spec.key() != null) {
      // After a full-cluster restart the keys are gone (they are not persisted): bind this task's again.
      store.bindKey(spec.key(), r.id(), new Resolved(null, null, runAt).keyTtlMs(clock.millis())).onSuccess(holder -> {
        if (holder != null && !Processors.boundId(holder).equals(r.id())) {
          WARNINGS.warn("rebind" + r.id(), "Durable task " + r.id() + " was taken over, but its key '" + spec.key()
            + "' is now held by task " + Processors.boundId(holder) + " (submitted while the task had no live owner); both run.");
        }
      });
    }
    String lostNode = rec.getString("lostNode");
    if (runAt > 0) {
      delayed.add(r);
      return;
    }
    if (!wasRunning) {
      events.restarted(r, r.attempts(), "node-lost", 0, false);
      r.meters.restarted("node-lost");
      dispatcher.dispatch(r);
      return;
    }
    RestartPolicy.Decision d = RestartPolicy.decide(spec.restart(), Outcome.NODE_LOST, r.history(), spec.maxRestarts(),
      spec.withinMs(), clock.millis(), config.backoff(), 0);
    String error = "node " + lostNode + " died while running attempt " + r.attempts();
    if (d.kind() == RestartPolicy.Decision.Kind.GIVE_UP) {
      finish(r, TaskState.FAILED, Outcome.NODE_LOST, null, "restart limit reached (" + d.restartsInWindow()
        + " restarts within " + spec.withinMs() + " ms); last attempt lost with its node " + lostNode, true);
    } else {
      restart(r, Outcome.NODE_LOST, error, 0, true);
    }
  }

  /** Runs now if on the verticle's event loop, else there. */
  private void onContext(Runnable action) {
    if (VertxInternals.isRunningOnContext(context)) {
      action.run();
    } else {
      mailbox.post(action);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The watchdog, on the event loop every few ms: times out attempts past their deadline and requeues tasks whose
   * backoff delay is over, both on the elapsed clock.
   */
  void tick() {
    runner.tick();
    delayed.fireDue();
    long now = elapsed.millis();
    for (Due d = restarts.peek(); d != null && d.at() - now <= 0; d = restarts.peek()) {
      restarts.poll();
      requeue(d.record());
    }
  }

  /** Refuses new tasks; those accepted carry on. */
  void stopAccepting() {
    stopping = true;
    dispatcher.stop();
  }

  /**
   * Nothing runs or waits for a worker. Durable tasks not yet started and tasks waiting to restart are left to
   * the survivors (durable ones are taken over, temporary ones reported lost).
   */
  boolean idle() {
    for (Supervisor s : supervisors.values()) {
      if (!s.idle()) {
        return false;
      }
    }
    return true;
  }

  void close() {
    delayed.close();
    for (Supervisor s : supervisors.values()) {
      s.close();
    }
  }
}
