package io.steward.tasks;

import io.micrometer.core.instrument.Counter;
import io.steward.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lifecycle events, published on {@code steward.tasks.events} in batches, one message per node per interval:
 * {@code {node, events: [{event, id, type, supervisor, attempt, at, …}], dropped}}. A per-task publish would
 * cost more than the task at hundreds of thousands of tasks per second, and flood every listener. Each
 * interval keeps at most {@code maxEvents} routine events (submitted, started, succeeded) and as many
 * important ones (the rest); the excess is counted in {@code dropped} and in
 * {@code steward_tasks_events_dropped_total}, never queued without bound.
 */
final class Events {

  /** One event; its JSON is built only when it is published. */
  record Event(String event, String id, String type, String supervisor, int attempt, long at, JsonObject extra) {

    JsonObject toJson() {
      JsonObject o = new JsonObject().put("event", event);
      if (id != null) {
        o.put("id", id);
      }
      o.put("type", type).put("supervisor", supervisor);
      if (attempt > 0) {
        o.put("attempt", attempt);
      }
      o.put("at", at);
      if (extra != null) {
        o.mergeIn(extra);
      }
      return o;
    }
  }

  private final Vertx vertx;
  private final String node;
  private final int max;
  private final Buffer routine = new Buffer();
  private final Buffer important = new Buffer();
  private final Counter droppedCounter;
  private final Clock clock;

  Events(Vertx vertx, String node, int max, Counter droppedCounter, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
    this.node = node;
    this.max = max;
    this.droppedCounter = droppedCounter;
  }

  void submitted(TaskRecord r) {
    if (routine.full(max)) {
      return;
    }
    routine.offer(new Event("submitted", r.id(), r.typeName(), r.supervisorName(), 0, clock.millis(), null), max);
  }

  void started(TaskRecord r, int attempt) {
    if (routine.full(max)) {
      return;
    }
    routine.offer(new Event("started", r.id(), r.typeName(), r.supervisorName(), attempt, clock.millis(), null), max);
  }

  /** A task reached a final state. */
  void ended(TaskRecord r, TaskState state, int attempts, String error, boolean deadLetter) {
    if (state == TaskState.SUCCEEDED && routine.full(max)) {
      return;
    }
    JsonObject extra = null;
    if (error != null || deadLetter) {
      extra = new JsonObject();
      if (error != null) {
        extra.put("error", error);
      }
      if (deadLetter) {
        extra.put("deadLetter", true);
      }
    }
    Event e = new Event(state.wire(), r.id(), r.typeName(), r.supervisorName(), attempts, clock.millis(), extra);
    (state == TaskState.SUCCEEDED ? routine : important).offer(e, max);
  }

  void restarted(TaskRecord r, int attempts, String reason, long delayMs, boolean possibleDuplicate) {
    JsonObject extra = new JsonObject().put("reason", reason).put("delayMs", delayMs);
    if (possibleDuplicate) {
      extra.put("possibleDuplicate", true);
    }
    important.offer(new Event("restarted", r.id(), r.typeName(), r.supervisorName(), attempts, clock.millis(), extra), max);
  }

  /** An attempt timed out (the task may still be restarted). */
  void timedOut(TaskRecord r, int attempt, long timeoutMs, boolean zombie) {
    JsonObject extra = new JsonObject().put("timeoutMs", timeoutMs);
    if (zombie) {
      extra.put("zombie", true);
    }
    important.offer(new Event("timed-out", r.id(), r.typeName(), r.supervisorName(), attempt, clock.millis(), extra), max);
  }

  void rejected(String id, String type, String supervisor, int code, String reason) {
    important.offer(new Event("rejected", id, type, supervisor, 0, clock.millis(),
      new JsonObject().put("code", code).put("reason", reason)), max);
  }

  /** A temporary task of a departed node. */
  void lost(String id, String type, String supervisor, String deadNode) {
    important.offer(new Event("lost", id, type, supervisor, 0, clock.millis(),
      new JsonObject().put("node", deadNode)), max);
  }

  /** Publishes what the interval gathered; call on the verticle's context. */
  void publish() {
    JsonArray events = new JsonArray();
    long dropped = important.drainTo(events) + routine.drainTo(events);
    if (events.isEmpty() && dropped == 0) {
      return;
    }
    if (dropped > 0) {
      droppedCounter.increment(dropped);
    }
    vertx.eventBus().publish(Addresses.Tasks.EVENTS, new JsonObject().put("node", node).put("events", events)
      .put("dropped", dropped));
  }

  /** A bounded buffer: offers beyond the bound only count. */
  private static final class Buffer {
    private final ConcurrentLinkedQueue<Event> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

    /** Full for this interval: counts one more dropped event (the caller then does not even make it). */
    boolean full(int max) {
      if (size.get() < max) {
        return false;
      }
      dropped.increment();
      return true;
    }

    void offer(Event e, int max) {
      if (size.get() >= max) {
        dropped.increment();
        return;
      }
      if (size.incrementAndGet() > max) {
        size.decrementAndGet();
        dropped.increment();
        return;
      }
      queue.offer(e);
    }

    long drainTo(JsonArray out) {
      Event e;
      int n = 0;
      while ((e = queue.poll()) != null) {
        out.add(e.toJson());
        n++;
      }
      size.addAndGet(-n);
      return dropped.sumThenReset();
    }
  }
}
