package io.steward.tasks;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.steward.observe.Tracing;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker side of an attempt: runs its handler, and ends it one way only — it returns, or it is abandoned
 * (timed out by the watchdog, cancelled), whichever comes first under the task's monitor. An abandoned handler
 * is interrupted and counted as a zombie until it returns.
 */
final class Runner {

  /** Told what became of each attempt it was handed. */
  interface Listener {
    /** The attempt did not run: its task moved on (cancelled) while it waited for a worker. */
    void notStarted(Attempt a);

    /** How an attempt ended (not when it was abandoned by a cancel). */
    void ended(Attempt a, Outcome outcome, Object result, String error);
  }

  private final Vertx vertx;
  private final String nodeId;
  private final Events events;
  private final Clock clock;
  private final Clock elapsed;
  private final Listener listener;
  private final Set<Attempt> watched = ConcurrentHashMap.newKeySet();
  /** Null when tracing is off (docs/tracing.md). */
  private final Tracer tracer;

  /**
   * @param clock   the dates an attempt records (when it started)
   * @param elapsed what its timeout is measured on (monotonic in production)
   */
  Runner(Vertx vertx, String nodeId, Events events, Clock clock, Clock elapsed, Listener listener) {
    this.elapsed = elapsed;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.events = events;
    this.clock = clock;
    this.listener = listener;
    this.tracer = Tracing.tracer(vertx);
  }

  /** Where a new task's attempts hang in its trace: the context current where it is accepted, or null. */
  io.opentelemetry.context.Context traceParent() {
    return Tracing.current(tracer);
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
    Span span;
    synchronized (r) {
      if (!r.begin(a, nodeId, clock.millis())) {
        listener.notStarted(a); // cancelled while it waited
        return;
      }
      span = startSpan(a); // before it can be abandoned, so that whichever way it ends, its span ends
      if (r.timeoutMs > 0) {
        deadline = elapsed.millis() + r.timeoutMs;
        if (deadline == 0) {
          deadline = 1; // 0 means none
        }
      }
      a.started(Thread.currentThread(), deadline);
    }
    r.supervisor.attemptStarted();
    if (deadline != 0) {
      watched.add(a);
    }
    r.meters.started.increment();
    events.started(r, a.number);

    Object result = null;
    Throwable error = null;
    Scope scope = span == null ? null : span.makeCurrent();
    try {
      result = Results.json(Results.await(r.type.run(a)));
    } catch (Throwable t) {
      error = t;
    } finally {
      if (scope != null) {
        scope.close();
      }
    }
    a.releaseLimit(); // its handler returned, a zombie's too: it no longer runs

    if (a.handlerReturned()) { // abandoned: a zombie that returned
      r.supervisor.workers.zombieReturned(a.slotReplaced());
      return;
    }
    attemptOver(a, error == null ? null : Results.message(error));
    if (error == null) {
      listener.ended(a, Outcome.SUCCEEDED, result, null);
    } else {
      listener.ended(a, Outcome.FAILED, null, Results.message(error));
    }
  }

  /** The attempt's span, a child of the context its task was accepted in (docs/tracing.md); null when tracing is off. */
  private Span startSpan(Attempt a) {
    TaskRecord r = a.record;
    SpanBuilder b = Tracing.span(tracer, "task attempt " + r.typeName(), r.traceParent());
    if (b == null) {
      return null;
    }
    Span span = b.setAttribute(Tracing.TASK_ID, r.id()).setAttribute(Tracing.TASK_TYPE, r.typeName())
      .setAttribute(Tracing.TASK_ATTEMPT, (long) a.number).setAttribute(Tracing.SUPERVISOR, r.supervisorName())
      .setAttribute(Tracing.NODE, nodeId).startSpan();
    a.span(span);
    return span;
  }

  /**
   * An attempt stopped running (ended or abandoned): exactly once per attempt. A durable attempt keeps its
   * dispatch permit until the engine has recorded how it ended (its record says running until then).
   */
  private void attemptOver(Attempt a, String error) {
    a.endSpan(error);
    a.record.supervisor.attemptStopped();
    if (a.deadline() != 0) {
      watched.remove(a);
    }
  }

  /**
   * Abandons a running attempt (timeout, cancel): interrupts its thread, frees its slot if the supervisor may
   * replace one more zombie. False if the attempt is not running any more.
   */
  boolean abandon(Attempt a) {
    if (!a.abandon(a.record.supervisor.workers)) {
      return false;
    }
    attemptOver(a, "abandoned: timed out or cancelled while running");
    return true;
  }

  /** The watchdog: times out attempts past their deadline (on the elapsed clock). On the event loop, every few ms. */
  void tick() {
    if (watched.isEmpty()) {
      return;
    }
    long now = elapsed.millis();
    for (Attempt a : watched) {
      if (now - a.deadline() >= 0 && abandon(a)) {
        TaskRecord r = a.record;
        events.timedOut(r, a.number, r.timeoutMs, false);
        listener.ended(a, Outcome.TIMED_OUT, null, "timed out after " + r.timeoutMs + " ms (attempt " + a.number + ")");
      }
    }
  }
}
