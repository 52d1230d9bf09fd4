package io.steward.tasks;

import io.vertx.core.Vertx;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker side of an attempt: runs its handler, and ends it one way only — it returns, or it is abandoned
 * (timed out by the watchdog, cancelled), whichever comes first under the task's monitor. An abandoned handler
 * is interrupted and counted as a zombie until it returns.
 */
final class Runner {

  /** Told how each attempt ended (not when it was abandoned by a cancel). */
  @FunctionalInterface
  interface Ended {
    void ended(Attempt a, Outcome outcome, Object result, String error);
  }

  private final Vertx vertx;
  private final String nodeId;
  private final Events events;
  private final Set<Attempt> watched = ConcurrentHashMap.newKeySet();
  private Dispatcher dispatcher;
  private Ended ended;

  Runner(Vertx vertx, String nodeId, Events events) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.events = events;
  }

  void wire(Dispatcher dispatcher, Ended ended) {
    this.dispatcher = dispatcher;
    this.ended = ended;
  }

  Vertx vertx() {
    return vertx;
  }

  String nodeId() {
    return nodeId;
  }

  /** The body of an attempt, on a worker thread. */
  void run(Attempt a) {
    TaskRecord r = a.record;
    long deadline = 0;
    synchronized (r) {
      if (!r.begin(a, nodeId, System.currentTimeMillis())) {
        dispatcher.releasePermit(a); // cancelled while it waited
        return;
      }
      a.thread = Thread.currentThread();
      a.phase = Attempt.Phase.RUNNING;
      if (r.timeoutMs > 0) {
        deadline = System.nanoTime() + r.timeoutMs * 1_000_000L;
        a.deadlineNanos = deadline;
      }
    }
    r.supervisor.attemptStarted();
    if (deadline != 0) {
      watched.add(a);
    }
    r.meters.started.increment();
    events.started(r, a.number);

    Object result = null;
    Throwable error = null;
    try {
      result = Results.json(Results.await(r.type.run(a)));
    } catch (Throwable t) {
      error = t;
    }

    boolean abandoned;
    boolean replaced;
    synchronized (r) {
      abandoned = a.phase == Attempt.Phase.ABANDONED;
      if (!abandoned) {
        a.phase = Attempt.Phase.ENDED;
      } else {
        r.zombieReturned();
      }
      a.thread = null;
      replaced = a.slotReplaced;
      Thread.interrupted(); // an interrupt meant for this attempt must not reach the next task on this thread
    }
    if (abandoned) {
      r.supervisor.workers.zombieReturned(replaced);
      return;
    }
    attemptOver(a);
    if (error == null) {
      ended.ended(a, Outcome.SUCCEEDED, result, null);
    } else {
      ended.ended(a, Outcome.FAILED, null, Results.message(error));
    }
  }

  /**
   * An attempt stopped running (ended or abandoned): exactly once per attempt. A durable attempt keeps its
   * dispatch permit until the engine has recorded how it ended (its record says running until then).
   */
  private void attemptOver(Attempt a) {
    a.record.supervisor.attemptStopped();
    if (a.deadlineNanos != 0) {
      watched.remove(a);
    }
  }

  /**
   * Abandons a running attempt (timeout, cancel): interrupts its thread, frees its slot if the supervisor may
   * replace one more zombie. False if the attempt is not running any more.
   */
  boolean abandon(Attempt a) {
    TaskRecord r = a.record;
    synchronized (r) {
      if (a.phase != Attempt.Phase.RUNNING) {
        return false;
      }
      a.phase = Attempt.Phase.ABANDONED;
      a.markAbandoned();
      if (a.thread != null) {
        // Counted before the interrupt, so whoever sees the handler react also sees the zombie.
        a.slotReplaced = r.supervisor.workers.abandoned();
        r.zombieStarted();
        a.thread.interrupt();
      }
    }
    attemptOver(a);
    return true;
  }

  /** The watchdog: times out attempts past their deadline. On the event loop, every few ms. */
  void tick() {
    if (watched.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (Attempt a : watched) {
      if (now - a.deadlineNanos >= 0 && abandon(a)) {
        TaskRecord r = a.record;
        events.timedOut(r, a.number, r.timeoutMs, false);
        ended.ended(a, Outcome.TIMED_OUT, null, "timed out after " + r.timeoutMs + " ms (attempt " + a.number + ")");
      }
    }
  }
}
