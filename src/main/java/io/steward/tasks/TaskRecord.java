package io.steward.tasks;

import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One task on the node that owns it: what was asked ({@link TaskSpec}) and where it is now. The mutable part
 * is guarded by the record's monitor: a worker thread, the watchdog and the verticle's event loop all move it.
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
  final TaskType type;
  final TaskMeters meters;

  /** Its record is in the cluster (durable, or lost and reported here): forget it there when dropped here. */
  volatile boolean recorded;
  /** Where the registry keeps it while it is live (temporary tasks), or -1; set before it is handed over. */
  int slot = -1;
  /** Where the registry's table of finished tasks keeps it while the ring holds it, or -1. */
  int finishedSlot = -1;
  /** Kept by id in the registry (durable and lost tasks); set before it is handed over. */
  boolean indexed;

  // Guarded by this.
  TaskState state = TaskState.PENDING;
  int attempts;
  String node;
  long startedAt;
  long endedAt;
  String error;
  Outcome lastOutcome;
  Object result;
  boolean deadLetter;
  RestartHistory history = RestartHistory.EMPTY;
  boolean possibleDuplicate;
  int takeovers;
  int zombies;
  Attempt attempt;
  long restartTimer = -1;
  private List<Promise<JsonObject>> waiters;

  /** A task this node accepted: its id is {@code prefix + seq}. */
  TaskRecord(String prefix, long seq, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor supervisor,
             TaskType type, TaskMeters meters, String node) {
    this(null, prefix, seq, spec, timeoutMs, submittedAt, supervisor, type, meters, node);
  }

  /** A task known by its id (taken over, or reported lost). */
  TaskRecord(String id, TaskSpec spec, long timeoutMs, long submittedAt, Supervisor supervisor, TaskType type,
             TaskMeters meters, String node) {
    this(id, null, -1, spec, timeoutMs, submittedAt, supervisor, type, meters, node);
  }

  private TaskRecord(String id, String prefix, long seq, TaskSpec spec, long timeoutMs, long submittedAt,
                     Supervisor supervisor, TaskType type, TaskMeters meters, String node) {
    this.id = id;
    this.prefix = prefix;
    this.seq = seq;
    this.spec = spec;
    this.timeoutMs = timeoutMs;
    this.submittedAt = submittedAt;
    this.supervisor = supervisor;
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
  boolean addWaiter(Promise<JsonObject> p) {
    if (waiters == null) {
      waiters = new ArrayList<>(1);
    }
    if (waiters.size() >= MAX_WAITERS) {
      return false;
    }
    waiters.add(p);
    return true;
  }

  void removeWaiter(Promise<JsonObject> p) {
    if (waiters != null) {
      waiters.remove(p);
    }
  }

  /** Takes the waiters away (to answer them once final). Call under the monitor. */
  List<Promise<JsonObject>> takeWaiters() {
    List<Promise<JsonObject>> w = waiters;
    waiters = null;
    return w;
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
