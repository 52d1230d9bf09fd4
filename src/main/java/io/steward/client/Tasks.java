package io.steward.client;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Supervised tasks (docs/tasks.md), from any node: {@code client.tasks()}. */
public final class Tasks {

  static final String SUBMIT = "steward.tasks.submit";
  static final String RUN = "steward.tasks.run";
  static final String AWAIT = "steward.tasks.await";
  static final String GET = "steward.tasks.get";
  static final String LIST = "steward.tasks.list";
  static final String CANCEL = "steward.tasks.cancel";
  /** How much longer than the task's own timeout a {@code run} or {@code await} waits for the answer. */
  static final long REPLY_MARGIN_MS = 5_000;

  private final Bus bus;

  Tasks(Bus bus) {
    this.bus = bus;
  }

  /** Fire and forget: nothing comes back, not even a refusal (docs/reference.md, "Fire-and-forget"). */
  public void send(TaskRequest task) {
    bus.send(SUBMIT, task.toJson());
  }

  /** Submits and answers once the task is accepted. */
  public Future<Submitted> submit(String type, Object payload) {
    return submit(TaskRequest.of(type).payload(payload));
  }

  public Future<Submitted> submit(TaskRequest task) {
    return bus.request(SUBMIT, body(task), idempotent(task))
      .map(o -> new Submitted(o.getString("id"), o.getBoolean("existing", false)));
  }

  /** Submits and answers when the task ends; a task that failed fails the future (500, 408, 409, 504). */
  public Future<Task> run(String type, Object payload) {
    return run(TaskRequest.of(type).payload(payload));
  }

  public Future<Task> run(TaskRequest task) {
    long wait = Math.max(bus.timeoutMs, task.timeoutMs(0) + REPLY_MARGIN_MS);
    return bus.request(RUN, body(task), wait, idempotent(task)).map(Task::from);
  }

  /** Waits for a submitted task to end (at most the client's request timeout). */
  public Future<Task> await(String id) {
    return await(id, Duration.ofMillis(bus.timeoutMs));
  }

  /** Waits at most {@code timeout} (then 408; the task keeps running). */
  public Future<Task> await(String id, Duration timeout) {
    return bus.request(AWAIT, new JsonObject().put("id", id).put("timeoutMs", timeout.toMillis()),
      timeout.toMillis() + REPLY_MARGIN_MS, true).map(Task::from);
  }

  public Future<Task> get(String id) {
    return bus.request(GET, new JsonObject().put("id", id), true).map(Task::from);
  }

  public Future<TaskList> list(TaskList.Filter filter) {
    JsonObject q = new JsonObject().put("limit", filter.limit());
    if (filter.state() != null) {
      q.put("state", filter.state());
    }
    if (filter.type() != null) {
      q.put("type", filter.type());
    }
    if (filter.supervisor() != null) {
      q.put("supervisor", filter.supervisor());
    }
    return bus.request(LIST, q, true).map(o -> {
      List<Task> tasks = new ArrayList<>();
      JsonArray a = o.getJsonArray("tasks", new JsonArray());
      for (int i = 0; i < a.size(); i++) {
        tasks.add(Task.from(a.getJsonObject(i)));
      }
      return new TaskList(o.getInteger("count", tasks.size()), o.getInteger("total", tasks.size()),
        o.getBoolean("incomplete", false), List.copyOf(tasks));
    });
  }

  /** Cancels a task (a running attempt is interrupted): the cancelled task; 409 when it already ended. */
  public Future<Task> cancel(String id) {
    return bus.request(CANCEL, new JsonObject().put("id", id), true).map(Task::from);
  }

  /**
   * The body as sent. With a {@link Retry}, a request without a key gets one of the client's making, bound for the
   * retry's key window, so that sending it again cannot start a second task.
   */
  private JsonObject body(TaskRequest task) {
    JsonObject body = task.toJson();
    if (bus.retry != null && task.key() == null) {
      body.put("key", "client-" + UUID.randomUUID()).put("uniqueForMs", bus.retry.keyWindow().toMillis());
    }
    return body;
  }

  private boolean idempotent(TaskRequest task) {
    return bus.retry != null || task.key() != null;
  }
}
