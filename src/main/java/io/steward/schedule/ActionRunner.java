package io.steward.schedule;

import io.steward.bus.Door;
import io.steward.bus.Failure;
import io.steward.observe.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs actions over the event bus, with headers saying which job and tick a message belongs to (so a receiver
 * can tell a tick from another, and detect a duplicate if it ever cared to). A failure becomes a failed run
 * whose reason says what to do; it never escapes into the scheduler. A job put through a door (a bridge, HTTP)
 * sends with that door's header, so what it reaches is held to the door's rule.
 */
final class ActionRunner implements Scheduler.Actions {

  /** Headers on every message a job sends. */
  static final String JOB_HEADER = "steward-schedule-job";
  static final String TICK_HEADER = "steward-schedule-tick";
  static final String NODE_HEADER = "steward-schedule-node";
  static final String TRIGGER_HEADER = "steward-schedule-trigger";

  /** The tasks module's addresses (its contract; see docs/tasks.md). */
  static final String TASKS_RUN = "steward.tasks.run";
  static final String TASKS_SUBMIT = "steward.tasks.submit";

  private static final CompletableFuture<String> DONE = CompletableFuture.completedFuture(null);

  private final Vertx vertx;
  private final String nodeId;
  private final long defaultTimeoutMs;
  /** Null when tracing is off (docs/tracing.md). */
  private final Tracer tracer;

  ActionRunner(Vertx vertx, String nodeId, long defaultTimeoutMs) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.tracer = Tracing.tracer(vertx);
  }

  /**
   * Runs a tick's action. Traced, each tick is a trace of its own (a trigger joins its caller's), whose span is
   * current while the action is sent: the bus hop, and the task or handler it reaches, are its children.
   */
  @Override
  public CompletionStage<String> run(JobRecord job, long tick, boolean trigger) {
    SpanBuilder b = Tracing.span(tracer, "schedule tick " + job.name(), null);
    if (b == null) {
      return send(job, tick, trigger);
    }
    if (!trigger) {
      b.setNoParent();
    }
    Span span = b.setAttribute(Tracing.JOB, job.name()).setAttribute(Tracing.TICK, tick)
      .setAttribute(Tracing.TRIGGER, trigger).setAttribute(Tracing.NODE, nodeId).startSpan();
    CompletionStage<String> run;
    try {
      run = Tracing.within(span, () -> send(job, tick, trigger));
    } catch (RuntimeException e) {
      Tracing.end(span, String.valueOf(e.getMessage()));
      throw e;
    }
    return run.whenComplete((detail, err) -> Tracing.end(span, err == null ? null : String.valueOf(err.getMessage())));
  }

  private CompletionStage<String> send(JobRecord job, long tick, boolean trigger) {
    Action action = job.spec().action();
    long timeout = action.timeoutOr(defaultTimeoutMs);
    DeliveryOptions options = Door.stamp(job.spec().door(), new DeliveryOptions().setSendTimeout(timeout)
      .addHeader(JOB_HEADER, job.name())
      .addHeader(TICK_HEADER, Long.toString(tick))
      .addHeader(NODE_HEADER, nodeId));
    if (trigger) {
      options.addHeader(TRIGGER_HEADER, "true");
    }
    EventBus bus = vertx.eventBus();
    if (action instanceof Action.Send send) {
      if (!send.reply()) {
        bus.send(send.address(), send.body(), options);
        return DONE;
      }
      return bus.request(send.address(), send.body(), options)
        .<String>map(reply -> null)
        .recover(err -> Future.failedFuture(explain(err, send.address(), timeout)))
        .toCompletionStage();
    }
    if (action instanceof Action.Publish publish) {
      bus.publish(publish.address(), publish.body(), options);
      return DONE;
    }
    Action.Task task = (Action.Task) action;
    String address = task.awaitResult() ? TASKS_RUN : TASKS_SUBMIT;
    return bus.request(address, task.task(), options)
      .map(reply -> reply.body() instanceof JsonObject o && o.getString("id") != null ? "task " + o.getString("id") : null)
      .recover(err -> Future.failedFuture(explain(err, address, timeout)))
      .toCompletionStage();
  }

  /** A failure reason for the history: the code, and what it means here. */
  static Exception explain(Throwable err, String address, long timeoutMs) {
    if (err instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new IllegalStateException("503: no handler for " + address + " (is the module or service that "
          + "consumes it running?)");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new IllegalStateException("408: no reply from " + address + " within " + timeoutMs + " ms");
      }
      return new IllegalStateException(Failure.of(re).code() + ": " + re.getMessage());
    }
    return new IllegalStateException("500: " + err.getMessage());
  }
}
