package io.steward.fanout;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.steward.observe.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One fan-out, driving an {@link Aggregation} on the event loop it was started on. A sliding window: the
 * first {@code concurrency} items are sent at once, and each answer sends the next, so nothing waits in a
 * queue beyond the request's own item list. Per-item timeouts are the bus's send timeout; one timer watches
 * the deadline; retries set a timer per retry. The reply is built once, when the mode is decided.
 */
final class FanoutRun implements Runs.Running {

  private final Vertx vertx;
  private final EventBus bus;
  private final RunRequest request;
  private final Target target;
  private final Aggregation aggregation;
  /** Per item: the reply body, or the failure of its last attempt. */
  private final Object[] results;
  /** Per item: attempts made (only with retry). */
  private final byte[] attempts;
  private final Promise<JsonObject> promise = Promise.promise();
  private final long startedNanos;
  private final long deadlineNanos;
  private long deadlineTimer = -1;
  private boolean pumping;
  private boolean ended;
  /** Traced (docs/tracing.md): the run's span, and each item's while it is in flight; null otherwise. */
  private final Tracer tracer;
  private final Span span;
  private final Span[] itemSpans;

  FanoutRun(Vertx vertx, RunRequest request) {
    this(vertx, request, null, null);
  }

  /** {@code tracer} null: not traced; {@code parent}: the context of the request that asked for it. */
  FanoutRun(Vertx vertx, RunRequest request, Tracer tracer, Context parent) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.request = request;
    this.target = request.target();
    this.aggregation = new Aggregation(request.mode(), request.total(), request.quorum(), request.concurrency());
    this.results = new Object[request.total()];
    this.attempts = request.retry() == null ? null : new byte[request.total()];
    this.startedNanos = System.nanoTime();
    this.deadlineNanos = startedNanos + TimeUnit.MILLISECONDS.toNanos(request.deadlineMs());
    this.tracer = tracer;
    SpanBuilder b = Tracing.span(tracer, "fanout run", parent);
    this.span = b == null ? null : b.setAttribute(Tracing.ITEMS, (long) request.total())
      .setAttribute("steward.fanout.mode", request.mode().text()).startSpan();
    this.itemSpans = span == null ? null : new Span[request.total()];
  }

  /** Starts sending; the future is the aggregated reply. Call on the event loop that will run it. */
  Future<JsonObject> start() {
    deadlineTimer = vertx.setTimer(request.deadlineMs(), t -> {
      deadlineTimer = -1;
      aggregation.deadline();
      end();
    });
    pump();
    return promise.future();
  }

  @Override
  public String kind() {
    return Runs.RUN;
  }

  @Override
  public int inFlight() {
    return aggregation.inFlight();
  }

  @Override
  public Aggregation aggregation() {
    return aggregation;
  }

  @Override
  public long startedNanos() {
    return startedNanos;
  }

  /** Fills the window. Re-entrant calls (a send that fails at once answers inside the loop) are absorbed. */
  private void pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    try {
      int i;
      while ((i = aggregation.take()) >= 0) {
        send(i, 1);
      }
    } finally {
      pumping = false;
    }
    if (aggregation.decided()) {
      end();
    }
  }

  private void send(int i, int attempt) {
    if (attempts != null) {
      attempts[i] = (byte) attempt;
    }
    Future<Message<Object>> reply;
    try {
      Span item = itemSpan(i, attempt);
      reply = Tracing.within(item, () -> bus.request(target.address(i), target.body(i), target.options(i, request.delivery())));
    } catch (RuntimeException e) { // e.g. a body type with no codec
      answered(i, attempt, null, e);
      return;
    }
    reply.onComplete((message, err) -> answered(i, attempt, message, err));
  }

  /** Item {@code i}'s span, a child of the run's, or null when not traced. */
  private Span itemSpan(int i, int attempt) {
    if (span == null) {
      return null;
    }
    Span item = tracer.spanBuilder("fanout item").setParent(Context.root().with(span))
      .setAttribute(Tracing.ITEM, (long) i).setAttribute("steward.fanout.attempt", (long) attempt)
      .setAttribute(Tracing.ADDRESS, target.address(i)).startSpan();
    itemSpans[i] = item;
    return item;
  }

  private void endItemSpan(int i, String error) {
    if (itemSpans != null) {
      Tracing.end(itemSpans[i], error);
      itemSpans[i] = null;
    }
  }

  private void answered(int i, int attempt, Message<Object> message, Throwable err) {
    endItemSpan(i, err == null ? null : String.valueOf(err.getMessage()));
    if (aggregation.decided()) {
      return; // abandoned: the fan-out already answered
    }
    if (err == null) {
      results[i] = message.body();
      aggregation.complete(i, Status.OK);
    } else {
      int code = Replies.code(err);
      Status status = Replies.status(code);
      results[i] = err;
      if (retryLater(i, attempt, code, status)) {
        return;
      }
      aggregation.complete(i, status);
    }
    if (aggregation.decided()) {
      end();
    } else {
      pump();
    }
  }

  /** Schedules another attempt when the policy allows one and it can start before the deadline. */
  private boolean retryLater(int i, int attempt, int code, Status status) {
    Retry retry = request.retry();
    if (retry == null || !retry.retries(attempt, code)) {
      return false;
    }
    long delay = Math.max(1, retry.delayMs(attempt));
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay) >= deadlineNanos) {
      return false;
    }
    aggregation.backoff(i, status);
    vertx.setTimer(delay, t -> {
      if (aggregation.resend(i)) {
        send(i, attempt + 1);
      }
    });
    return true;
  }

  private void end() {
    if (ended) {
      return;
    }
    ended = true;
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
    }
    JsonObject reply = reply();
    if (span != null) {
      for (int i = 0; i < itemSpans.length; i++) {
        endItemSpan(i, "abandoned: the fan-out answered before this item did");
      }
      span.setAttribute("steward.fanout.outcome", aggregation.outcome().text());
      span.end();
    }
    promise.complete(reply);
  }

  private JsonObject reply() {
    int total = aggregation.total();
    JsonArray entries = new JsonArray(new ArrayList<>(total));
    if (request.ordered()) {
      for (int i = 0; i < total; i++) {
        entries.add(entry(i));
      }
    } else {
      for (int k = 0; k < total; k++) {
        entries.add(entry(aggregation.completedAt(k)));
      }
    }
    JsonObject counts = Replies.object(6)
      .put("total", total)
      .put("ok", aggregation.count(Status.OK))
      .put("failed", aggregation.count(Status.FAILED))
      .put("timedOut", aggregation.count(Status.TIMED_OUT))
      .put("notSent", aggregation.count(Status.NOT_SENT))
      .put("abandoned", aggregation.count(Status.ABANDONED));
    JsonObject reply = Replies.object(7)
      .put("outcome", aggregation.outcome().text())
      .put("mode", request.mode().text());
    if (request.mode() == Mode.QUORUM) {
      reply.put("n", request.quorum());
    }
    return reply.put("ordered", request.ordered())
      .put("counts", counts)
      .put("elapsedMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos))
      .put("results", entries);
  }

  private JsonObject entry(int i) {
    Status status = aggregation.status(i);
    JsonObject e = Replies.object(4);
    e.put("index", i).put("status", status.text());
    if (status == Status.OK) {
      target.putValue(e, results[i]);
    } else if (status == Status.FAILED || status == Status.TIMED_OUT) {
      e.put("error", Replies.error((Throwable) results[i], target.address(i), request.timeoutMs()));
    }
    if (attempts != null && attempts[i] > 0) {
      e.put("attempts", (int) attempts[i]);
    }
    return e;
  }
}
