package io.steward.cache;

import io.opentelemetry.api.trace.SpanBuilder;
import io.steward.bus.Door;
import io.steward.bus.Failure;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.steward.observe.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * How {@code getOrCompute} computes a missing value: a request to an event-bus address (the reply body is
 * the value), or a task run through the tasks module's result API ({@code steward.tasks.run}; the task's
 * {@code result} is the value). Either gets {@code {cache, key}} unless the request gives its own body or
 * payload.
 *
 * @param address the address to ask, or null
 * @param body    the body to send there (null: {@code {cache, key}})
 * @param task    the task type to run, or null
 * @param payload the task's payload (null: {@code {cache, key}})
 * @param door    the door the request came through (its rule goes with the request), or null
 */
record Computation(String address, JsonObject body, String task, Object payload, Door door) {

  /** The tasks module's result API (docs/tasks.md): answers when the task ends, with {@code result}. */
  static final String TASKS_RUN = "steward.tasks.run";
  private static final long TASK_REPLY_MARGIN_MS = 1_000;

  /** Reads the {@code compute} object of a request; errors name {@code compute.<field>}. */
  static Computation read(JsonObject json) {
    Fields f = Fields.nested(json, "compute");
    String address = f.string("address", null, 256);
    JsonObject body = f.object("body");
    String task = f.string("task", null, 256);
    Object payload = f.value("payload");
    f.done();
    if ((address == null) == (task == null)) {
      throw f.bad(address == null ? "address" : "task", "give exactly one of compute.address (an event-bus address to ask) "
        + "or compute.task (a task type to run)");
    }
    if (address != null && payload != null) {
      throw f.bad("payload", "belongs to compute.task; an address gets compute.body");
    }
    if (task != null && body != null) {
      throw f.bad("body", "belongs to compute.address; a task gets compute.payload");
    }
    return new Computation(address, body, task, payload, null);
  }

  /**
   * A computation asked for through a door (a bridge, HTTP): the address it asks (for a task, the tasks module's)
   * must be one the door permits (403), and its request carries the door's header.
   */
  Computation throughDoor(Door through) {
    if (address != null) {
      through.check("compute.address", address);
    } else {
      through.check("compute.task", TASKS_RUN);
    }
    return new Computation(address, body, task, payload, through);
  }

  /** Runs it once; the value, or a failure with the code the compute answered (408 when it took too long). */
  /** {@code trace}: the context of the caller whose request started the computation, or null (untraced). */
  Future<Object> run(Vertx vertx, String cache, String key, long timeoutMs, io.opentelemetry.context.Context trace) {
    SpanBuilder span = trace == null ? null : Tracing.span(Tracing.tracer(vertx), "cache compute " + cache, trace);
    if (span == null) {
      return compute(vertx, cache, key, timeoutMs);
    }
    return Tracing.traced(span.setAttribute(Tracing.CACHE, cache)
      .setAttribute(Tracing.ADDRESS, address != null ? address : TASKS_RUN).startSpan(),
      () -> compute(vertx, cache, key, timeoutMs));
  }

  /** The compute's span (docs/tracing.md) is current here: the request below is its child on the bus. */
  private Future<Object> compute(Vertx vertx, String cache, String key, long timeoutMs) {
    JsonObject about = new JsonObject().put("cache", cache).put("key", key);
    if (address != null) {
      return vertx.eventBus().request(address, body != null ? body.copy() : about,
          Door.stamp(door, new DeliveryOptions().setSendTimeout(timeoutMs)))
        .transform(ar -> ar.succeeded() ? value(ar.result().body(), "address '" + address + "'")
          : Future.failedFuture(failure(ar.cause(), "address '" + address + "'", timeoutMs)));
    }
    JsonObject run = new JsonObject().put("type", task).put("payload", payload != null ? payload : about)
      .put("timeoutMs", timeoutMs);
    return vertx.eventBus().request(TASKS_RUN, run,
        Door.stamp(door, new DeliveryOptions().setSendTimeout(timeoutMs + TASK_REPLY_MARGIN_MS)))
      .transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(failure(ar.cause(), "task '" + task + "'", timeoutMs));
        }
        Object reply = ar.result().body();
        Object result = reply instanceof JsonObject o ? o.getValue("result") : null;
        return value(result, "task '" + task + "'");
      });
  }

  private static Future<Object> value(Object value, String what) {
    if (value == null) {
      return Future.failedFuture(new StewardException(Failure.HANDLER_FAILED, "compute by " + what + " gave no value "
        + "(null); a cached value must be a JSON object, array, string, number or boolean"));
    }
    if (value instanceof Buffer || value instanceof byte[]) {
      return Future.failedFuture(new StewardException(Failure.HANDLER_FAILED, "compute by " + what + " answered binary "
        + "data; a cached value must be JSON"));
    }
    return Future.succeededFuture(value);
  }

  private static StewardException failure(Throwable err, String what, long timeoutMs) {
    Failure f = Failure.of(err);
    String why = switch (f) {
      case TIMEOUT -> "did not finish within " + timeoutMs + " ms";
      case UNAVAILABLE -> "could not run: " + err.getMessage()
        + (what.startsWith("task") ? " (is the tasks module running on some node?)" : "");
      default -> "failed with " + f.code() + ": " + err.getMessage();
    };
    return new StewardException(f, "compute by " + what + " " + why);
  }

  /** Failures that say something about the key, not about the moment: these may be remembered (negative TTL). */
  static boolean cacheable(Failure f) {
    return f == Failure.BAD_REQUEST || f == Failure.NOT_FOUND || f == Failure.CONFLICT || f == Failure.HANDLER_FAILED;
  }
}
