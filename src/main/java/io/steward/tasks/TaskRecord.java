package io.steward.tasks;

import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One task on the node that owns it: what was asked ({@link TaskSpec}) and where it is now. The mutable part
 * is private and guarded by the record's monitor: a worker thread, the watchdog and the verticle's event loop all
 * move it, only through its transitions ({@link #begin}, {@link #restartAfter}, {@link #requeue}, {@link #end}, ...),
 * each checked against the one table of legal moves ({@link TaskState#next()}). A transition that lost a race (the
 * task ended first) changes nothing and says so; one the table forbids throws {@link IllegalStateException}.
 * Its JSON is the task's public view ({@code get}, {@code list}, {@code run}'s reply) and, for durable tasks,
 * the record kept in Hazelcast.
 */
final class TaskRecord {

  /** Waiters on one task at most (run and await requests): a bound, not a queue. */
  static final int MAX_WAITERS = 1_000;

  /** This node's counter value for a task it accepted ({@link TaskIds}), else -1 (a task from elsewhere). */
  final long seq;
  private final String prefix;
  /** Made from prefix and seq when first asked for: most fire-and-forget tasks never need it. */
  private volatile String id;
  final TaskSpec spec;
  /** The attempt timeout in ms, resolved against the supervisor's default; 0: none. */
  final long timeoutMs;
  final long submittedAt;
  final Supervisor supervisor;
  /** Its unit of the supervisor's capacity, given back (once) when it is final or not started; null if none. */
  final Supervisor.Admission admission;
  final TaskType type;
  final TaskMeters meters;
  /**
   * The trace context it was accepted in (the event-bus receive span of its submit), under which each attempt's span
   * starts; null when tracing is off or the task came from elsewhere (a takeover, a restart of the node).
   */
  private volatile io.opentelemetry.context.Context traceParent;

  io.opentelemetry.context.Context traceParent() {
    return traceParent;
  }

  /** Set once, at acceptance, before any attempt starts. */
  void acceptedIn(io.opentelemetry.context.Context trace) {
    this.traceParent = trace;
  }

  /**
   * Where it stands in its supervisor's queue: the elapsed-clock time it was queued, less {@code priority} aging
   * steps ({@link Supervisor#stamp}); lowest starts first. {@link #orderSeq} breaks ties (durable tasks). Written
   * before it is queued, read by whoever takes it from the queue.
   */
  private long order;
  private long orderSeq;

  long order() {
    return order;
  }

  long orderSeq() {
    return orderSeq;
  }

  /** Its place in the queue ({@link Supervisor#stamp}): {@code seq} 0 keeps the tie-breaker it has. */
  void place(long order, long seq) {
    this.order = order;
    if (seq != 0) {
      this.orderSeq = seq;
    }
  }

  /** Its record is in the cluster (durable, or lost and reported here): forget it there when dropped here. */
  private volatile boolean recorded;
  /** Where the registry keeps it while it is live (temporary tasks), or -1; set before it is handed over. */
  private int slot = -1;
  /** Where the registry's table of finished tasks keeps it while the ring holds it, or -1. */
  private int finishedSlot = -1;
  /** Kept by id in the registry (durable and lost tasks); set before it is handed over. */
  private boolean indexed;

  // Guarded by this. Written only by the transitions below; the state only by transition().
  private TaskState state;
  private int attempts;
  private String node;
  private long startedAt;
  private long endedAt;
  private String error;
  private Outcome lastOutcome;
  private Object result;
  private boolean deadLetter;
  private RestartHistory history = RestartHistory.EMPTY;
  private boolean possibleDuplicate;
  private int takeovers;
  private int zombies;
  private Attempt attempt;
  private List<Promise<JsonObject>> waiters;
  /**
   * A durable task made final here whose final record is not yet confirmed on a backup ({@link TaskEngine}'s
   * writeFinal): it keeps its key until the record is, and says so to a node that asks for it ({@link #keyHolderJson}).
   */
  private boolean endUnrecorded;
  /** When a task submitted with delayMs or runAt is due (epoch ms, the node's wall clock), else 0. */
  private final long runAt;

  /** A task this node accepted, holding {@code admission}: its id is {@code prefix + seq}. */
  TaskRecord(String prefix, long seq, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor.Admission admission,
             TaskType type, TaskMeters meters, String node) {
    this(null, prefix, seq, spec, timeoutMs, submittedAt, admission, type, meters, node, 0);
  }

  /**
   * A task this node accepted that waits until {@code runAt} (epoch ms) in state SCHEDULED (0: none, it is pending).
   */
  TaskRecord(String prefix, long seq, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor.Admission admission,
             TaskType type, TaskMeters meters, String node, long runAt) {
    this(null, prefix, seq, spec, timeoutMs, submittedAt, admission, type, meters, node, runAt);
  }

  /** A task known by its id (taken over, holding {@code admission}; or reported lost, with none). */
  TaskRecord(String id, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor.Admission admission, TaskType type,
             TaskMeters meters, String node) {
    this(id, null, -1, spec, timeoutMs, submittedAt, admission, type, meters, node, 0);
  }

  /** A task known by its id that waits until {@code runAt} (epoch ms) in state SCHEDULED (0: none, it is pending). */
  TaskRecord(String id, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor.Admission admission, TaskType type,
             TaskMeters meters, String node, long runAt) {
    this(id, null, -1, spec, timeoutMs, submittedAt, admission, type, meters, node, runAt);
  }

  private TaskRecord(String id, String prefix, long seq, TaskSpec spec, long timeoutMs, long submittedAt,
                     Supervisor.Admission admission, TaskType type, TaskMeters meters, String node, long runAt) {
    this.runAt = runAt;
    this.state = runAt > 0 ? TaskState.SCHEDULED : TaskState.PENDING;
    this.id = id;
    this.prefix = prefix;
    this.seq = seq;
    this.spec = spec;
    this.timeoutMs = timeoutMs;
    this.submittedAt = submittedAt;
    this.admission = admission;
    this.supervisor = admission == null ? null : admission.supervisor();
    this.type = type;
    this.meters = meters;
    this.node = node;
  }

  String id() {
    String s = id;
    if (s == null) {
      s = prefix + seq;
      id = s;
    }
    return s;
  }

  String typeName() {
    return spec.type();
  }

  String supervisorName() {
    return spec.supervisor();
  }

  boolean durable() {
    return spec.durable();
  }

  /** Adds a waiter for the final state; false when there are too many. Call under the monitor. */
  synchronized boolean addWaiter(Promise<JsonObject> p) {
    if (waiters == null) {
      waiters = new ArrayList<>(1);
    }
    if (waiters.size() >= MAX_WAITERS) {
      return false;
    }
    waiters.add(p);
    return true;
  }

  synchronized void removeWaiter(Promise<JsonObject> p) {
    if (waiters != null) {
      waiters.remove(p);
    }
  }

  /** Takes the waiters away (to answer them once final). Call under the monitor. */
  private List<Promise<JsonObject>> takeWaiters() {
    List<Promise<JsonObject>> w = waiters;
    waiters = null;
    return w;
  }

  // ---------------------------------------------------------------- transitions

  /** The one writer of {@link #state}: checks the move against {@link TaskState}'s table. Call under the monitor. */
  private void transition(TaskState to) {
    if (!state.canMoveTo(to)) {
      throw new IllegalStateException("task " + id() + ": illegal transition " + state + " -> " + to + " (legal from "
        + state + ": " + state.next() + ")");
    }
    state = to;
  }

  /** The next attempt of a pending task, made its current one; null when the task is not pending. */
  synchronized Attempt nextAttempt(Runner runner) {
    if (state != TaskState.PENDING) {
      return null;
    }
    attempt = new Attempt(runner, this, attempts + 1);
    return attempt;
  }

  /** The attempt waiting to be handed to a worker: the current one of a pending task, else null. */
  synchronized Attempt pendingAttempt() {
    return state == TaskState.PENDING ? attempt : null;
  }

  /** True when {@code a} is still the attempt this pending task waits to run (not cancelled meanwhile). */
  synchronized boolean awaits(Attempt a) {
    return state == TaskState.PENDING && attempt == a;
  }

  /** PENDING to RUNNING: attempt {@code a} begins on {@code node}; false if it is not the one awaited any more. */
  synchronized boolean begin(Attempt a, String node, long now) {
    if (attempt != a || state != TaskState.PENDING) {
      return false;
    }
    transition(TaskState.RUNNING);
    attempts = a.number;
    startedAt = now;
    this.node = node;
    return true;
  }

  /** What {@link #restartAfter} left behind: the attempt that ended (its permit to give back) and the attempts made. */
  record Restarting(Attempt ended, int attempts) {
  }

  /**
   * To RESTARTING after an attempt ended with {@code outcome} (or was lost with its node), counted in the restart
   * history at {@code now}; null (and nothing changes) if the task is final already.
   */
  synchronized Restarting restartAfter(Outcome outcome, String error, long now) {
    if (state.isFinal()) {
      return null;
    }
    transition(TaskState.RESTARTING);
    Attempt ended = attempt;
    lastOutcome = outcome;
    this.error = error;
    history = history.plus(now, spec.withinMs());
    attempt = null;
    return new Restarting(ended, attempts);
  }

  /** RESTARTING to PENDING once the backoff delay passed; false if it is not waiting to restart any more. */
  synchronized boolean requeue() {
    if (state != TaskState.RESTARTING) {
      return false;
    }
    transition(TaskState.PENDING);
    return true;
  }

  /** What {@link #end} left behind: the prior state, the last attempt, the waiters. */
  record Ended(TaskState prior, Attempt last, List<Promise<JsonObject>> waiters) {
  }

  /**
   * To a final state (once): null (and nothing changes) if the task is final already. The waiters are taken away,
   * to be answered once the end is recorded.
   */
  synchronized Ended end(TaskState to, Outcome outcome, Object result, String error, boolean deadLetter, long now) {
    if (state.isFinal()) {
      return null;
    }
    if (!to.isFinal()) {
      throw new IllegalStateException("task " + id() + ": end in " + to + ", which is not final");
    }
    TaskState prior = state;
    transition(to);
    if (outcome != null) {
      lastOutcome = outcome;
    }
    this.result = result;
    this.error = error;
    this.deadLetter = deadLetter;
    endedAt = now;
    endUnrecorded = durable();
    return new Ended(prior, attempt, takeWaiters());
  }

  /**
   * PENDING (or SCHEDULED) to REFUSED for a submit that was refused (its record could not be written): its waiters
   * are dropped.
   * Nothing changes if it ended meanwhile (a cancel by id while its record was being written).
   */
  synchronized void refused() {
    if (state.isFinal()) {
      return;
    }
    transition(TaskState.REFUSED);
    takeWaiters();
  }

  /**
   * PENDING to FAILED here for a durable task that another node took over while this one was cut off from the cluster
   * (declared dead): it runs there, and this copy is dropped without running. The waiters are given back, to be told
   * to ask again; null (and nothing changes) if it is not pending.
   */
  synchronized List<Promise<JsonObject>> handedOver() {
    if (state != TaskState.PENDING) {
      return null;
    }
    transition(TaskState.FAILED);
    List<Promise<JsonObject>> w = takeWaiters();
    return w == null ? List.of() : w;
  }

  /** SCHEDULED to PENDING once its due time came; false if it is not scheduled any more (cancelled). */
  synchronized boolean due() {
    if (state != TaskState.SCHEDULED) {
      return false;
    }
    transition(TaskState.PENDING);
    return true;
  }

  long runAt() {
    return runAt;
  }

  /** A pending durable task claimed from a departed node: what that node's record says of its past. */
  synchronized void takeOver(int attempts, int takeovers, boolean possibleDuplicate, String error, RestartHistory history) {
    if (state != TaskState.PENDING && state != TaskState.SCHEDULED) {
      throw new IllegalStateException("task " + id() + ": taken over in " + state + ", not " + TaskState.PENDING
        + " or " + TaskState.SCHEDULED);
    }
    this.attempts = attempts;
    this.takeovers = takeovers;
    this.possibleDuplicate = possibleDuplicate;
    this.error = error;
    this.history = history;
  }

  /**
   * A write of this durable task's record failed (its outcome unknown: no backup confirmed it, a member left, split-brain
   * protection): another node may have found the task's earlier record and taken it over, which this node cannot
   * learn while it may be cut off, so its further attempts may run beside that node's (campaign seed 1009).
   */
  synchronized void recordUnconfirmed() {
    possibleDuplicate = true;
  }

  /** PENDING to LOST: a temporary task of a departed node, reported here by the survivor that took its record. */
  synchronized void lost(int attempts, String error, long now) {
    transition(TaskState.LOST);
    lastOutcome = Outcome.NODE_LOST;
    this.attempts = attempts;
    this.error = error;
    endedAt = now;
  }

  /** A handler of this task was abandoned but holds its thread. */
  synchronized void zombieStarted() {
    zombies++;
  }

  /** An abandoned handler of this task returned. */
  synchronized void zombieReturned() {
    zombies--;
  }

  // ---------------------------------------------------------------- reads

  synchronized TaskState state() {
    return state;
  }

  synchronized int attempts() {
    return attempts;
  }

  synchronized long endedAt() {
    return endedAt;
  }

  synchronized String error() {
    return error;
  }

  synchronized boolean deadLetter() {
    return deadLetter;
  }

  synchronized RestartHistory history() {
    return history;
  }

  /** The current attempt (queued or running), or null. */
  synchronized Attempt attempt() {
    return attempt;
  }

  /** Its final record is written (or will not be: its node stops); the key it holds may move. */
  synchronized void endRecorded() {
    endUnrecorded = false;
  }

  /**
   * What a submit of its key on any node judges it by ({@link Submissions#stillHolds}): its JSON, plus
   * {@code endUnrecorded: true} while it is final here but its final record is not confirmed yet (it still holds the
   * key: were the key moved and this node to die, a survivor would find it running and run it again beside the new
   * one, CI's campaign seed 33535).
   */
  synchronized JsonObject keyHolderJson(long clusterOffsetMs) {
    JsonObject json = toJson();
    if (endedAt > 0) {
      // The end on the cluster clock, as TaskStore.holdKey writes it to the binding: the asking node's wall clock may
      // disagree with this one's (KeyWindowClockSkewIT: a submit judged before the binding had the end).
      json.put(ENDED_AT_CLUSTER, endedAt + clusterOffsetMs);
    }
    return endUnrecorded ? json.put(END_UNRECORDED, true) : json;
  }

  /** The fields of {@link #keyHolderJson}; never in an answer to a client. */
  static final String END_UNRECORDED = "endUnrecorded";
  static final String ENDED_AT_CLUSTER = "endedAtCluster";

  // ---------------------------------------------------------------- the registry's bookkeeping

  /** Its record is in the cluster: forget it there when it is dropped here. */
  void markRecorded() {
    recorded = true;
  }

  boolean recorded() {
    return recorded;
  }

  void placedLive(int slot) {
    this.slot = slot;
  }

  int slot() {
    return slot;
  }

  void placedFinished(int slot) {
    finishedSlot = slot;
  }

  int finishedSlot() {
    return finishedSlot;
  }

  void markIndexed() {
    indexed = true;
  }

  boolean indexed() {
    return indexed;
  }

  /** The full record: the public view plus the payload and what a survivor needs to carry on. */
  synchronized JsonObject toJson() {
    return json(true);
  }

  /** A lighter view for lists: no payload, no result. */
  synchronized JsonObject summary() {
    return json(false);
  }

  private JsonObject json(boolean full) {
    JsonObject o = new JsonObject()
      .put("id", id())
      .put("type", spec.type())
      .put("supervisor", spec.supervisor())
      .put("restart", spec.restart().wire())
      .put("state", state.wire())
      .put("attempts", attempts)
      .put("node", node)
      .put("submittedAt", submittedAt);
    if (startedAt > 0) {
      o.put("startedAt", startedAt);
    }
    if (endedAt > 0) {
      o.put("endedAt", endedAt);
    }
    if (error != null) {
      o.put("error", error);
    }
    if (lastOutcome != null) {
      o.put("outcome", lastOutcome.name());
    }
    if (deadLetter) {
      o.put("deadLetter", true);
    }
    if (zombies > 0) {
      o.put("zombies", zombies);
    }
    if (waiters != null && !waiters.isEmpty()) {
      o.put("waiters", waiters.size());
    }
    if (possibleDuplicate) {
      o.put("possibleDuplicate", true);
    }
    if (takeovers > 0) {
      o.put("takeovers", takeovers);
    }
    if (spec.key() != null) {
      o.put("key", spec.key());
      if (spec.uniqueForMs() > 0) {
        o.put("uniqueForMs", spec.uniqueForMs());
      }
    }
    if (timeoutMs > 0) {
      o.put("timeoutMs", timeoutMs);
    }
    if (spec.priority() != 0) {
      o.put("priority", spec.priority());
    }
    if (runAt > 0) {
      o.put("runAt", runAt);
    }
    if (spec.restart() != Restart.TEMPORARY) {
      o.put("maxRestarts", spec.maxRestarts()).put("withinMs", spec.withinMs());
      if (history.size() > 0) {
        JsonArray times = new JsonArray();
        for (long t : history.times()) {
          times.add(t);
        }
        o.put("restartedAt", times);
      }
    }
    if (full) {
      if (spec.payload() != null) {
        o.put("payload", spec.payload());
      }
      if (state == TaskState.SUCCEEDED) {
        o.put("result", result);
      }
    }
    return o;
  }
}
