package io.steward.tasks.builtin;

import io.steward.bus.Door;
import io.steward.bus.Failure;
import io.steward.bus.Fields;
import io.steward.tasks.TaskContext;
import io.steward.tasks.TaskFailure;
import io.steward.tasks.TaskType;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code bus}: payload {@code {address, body?, timeoutMs?}}; a request to any event-bus address (body
 * defaults to {@code {}}, timeout to 30 s), so any service in the cluster, or behind a bridge, can be a task
 * worker. The result is the reply's body; a failed or timed-out request fails the task.
 *
 * <p>The request carries the headers {@value #TASK_ID_HEADER} and {@value #ATTEMPT_HEADER}: a durable task runs
 * at least once, so the consumer may see the same task twice (a node died while it ran) and needs the id to
 * tell a repeat from new work.
 *
 * <p>Submitted through a door (a bridge, HTTP), the address must be one the door permits (else 403), and the
 * payload keeps the door's rule as {@code door}: the request carries the door's header, so what the consumer
 * forwards in turn is held to the same rule. From inside the cluster, {@code door} is optional.
 */
public final class BusTask implements TaskType {

  static final long DEFAULT_TIMEOUT_MS = 30_000;
  /** The task's id, the same in every attempt: a consumer's idempotency key. */
  public static final String TASK_ID_HEADER = "steward-task-id";
  /** The attempt number (1, 2, …): a repeat after a node died has a higher one. */
  public static final String ATTEMPT_HEADER = "steward-task-attempt";

  private record Request(String address, Object body, long timeoutMs, Door door) {
  }

  @Override
  public String name() {
    return "bus";
  }

  @Override
  public void validate(Object payload) {
    read(payload);
  }

  private static Request read(Object payload) {
    Fields f = Payloads.of(payload, true);
    String address = f.string("address", null, 1_000);
    if (address == null) {
      throw f.bad("address", "is required");
    }
    Object body = f.value("body");
    if (body != null && !(body instanceof JsonObject || body instanceof JsonArray || body instanceof String
      || body instanceof Number || body instanceof Boolean)) {
      throw f.bad("body", "must be a JSON value, got " + Fields.typeName(body));
    }
    long timeoutMs = f.longValue("timeoutMs", DEFAULT_TIMEOUT_MS, 1, SleepTask.MAX_MS);
    Object door = f.value("door");
    f.done();
    return new Request(address, body == null ? new JsonObject() : body, timeoutMs,
      door == null ? null : Door.fromJson(door, "payload.door"));
  }

  /** The address must be one the door permits; the payload keeps the door, so the request carries it. */
  @Override
  public Object throughDoor(Object payload, Door door) {
    Request r = read(payload);
    door.check("payload.address", r.address());
    return ((JsonObject) payload).copy().put("door", door.toJson());
  }

  @Override
  public Object run(TaskContext context) {
    Request r = read(context.payload());
    DeliveryOptions options = Door.stamp(r.door(), new DeliveryOptions().setSendTimeout(r.timeoutMs())
      .addHeader(TASK_ID_HEADER, context.id()).addHeader(ATTEMPT_HEADER, Integer.toString(context.attempt())));
    return context.vertx().eventBus().request(r.address(), r.body(), options)
      .recover(err -> {
        Failure f = Failure.of(err);
        return Future.failedFuture(new TaskFailure("request to " + r.address() + " failed with " + f.code() + " ("
          + f.name() + "): " + err.getMessage()));
      })
      .map(reply -> reply.body() instanceof Buffer b ? b.toString() : reply.body());
  }
}
