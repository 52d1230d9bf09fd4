package io.steward.schedule;

import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What a job does at each tick: send a JSON body to an address (waiting for the reply unless
 * {@code reply: false}), publish it, or run a task through the tasks module ({@code steward.tasks.run}, or
 * {@code steward.tasks.submit} with {@code wait: false}).
 */
sealed interface Action permits Action.Send, Action.Publish, Action.Task {

  List<String> TYPES = List.of("send", "publish", "task");
  int MAX_ADDRESS = 256;
  long MAX_TIMEOUT_MS = 3_600_000;

  JsonObject toJson();

  /** True when the run is over as soon as the message left: no reply, no result to wait for. */
  boolean fireAndForget();

  /** How long a run may take before it counts as failed; null: the module's default. */
  Long timeoutMs();

  /**
   * Refuses (403) an action that would send where {@code door} does not permit: its address, or for a task the
   * tasks module's address and, for a {@code bus} task, the task's own {@code payload.address} (the tasks module
   * checks it again at each run).
   */
  default void checkTargets(Door door) {
    if (this instanceof Send send) {
      door.check("action.address", send.address());
    } else if (this instanceof Publish publish) {
      door.check("action.address", publish.address());
    } else if (this instanceof Task t) {
      door.check("action.task", t.awaitResult() ? ActionRunner.TASKS_RUN : ActionRunner.TASKS_SUBMIT);
      if ("bus".equals(t.task().getValue("type")) && t.task().getValue("payload") instanceof JsonObject payload
        && payload.getValue("address") instanceof String address) {
        door.check("action.task.payload.address", address);
      }
    }
  }

  /** The run's timeout in milliseconds, {@code defaultMs} when the job gives none. */
  default long timeoutOr(long defaultMs) {
    return timeoutMs() != null ? timeoutMs() : defaultMs;
  }

  /** {@code {type: "send", address, body?, reply?: true, timeoutMs?}}. */
  record Send(String address, JsonObject body, boolean reply, Long timeoutMs) implements Action {
    @Override
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("type", "send").put("address", address).put("body", body).put("reply", reply);
      return timeoutMs == null ? o : o.put("timeoutMs", timeoutMs);
    }

    @Override
    public boolean fireAndForget() {
      return !reply;
    }
  }

  /** {@code {type: "publish", address, body?}}. */
  record Publish(String address, JsonObject body) implements Action {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "publish").put("address", address).put("body", body);
    }

    @Override
    public boolean fireAndForget() {
      return true;
    }

    @Override
    public Long timeoutMs() {
      return null;
    }
  }

  /**
   * {@code {type: "task", task: {type, payload?, supervisor?, …}, wait?: true, timeoutMs?}}: {@code task} is the
   * body of the tasks module's submit/run request, forwarded as is (the tasks module validates it at each run).
   */
  record Task(JsonObject task, boolean awaitResult, Long timeoutMs) implements Action {
    @Override
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("type", "task").put("task", task).put("wait", awaitResult);
      return timeoutMs == null ? o : o.put("timeoutMs", timeoutMs);
    }

    @Override
    public boolean fireAndForget() {
      return false;
    }

    /** Without its own timeout, a waited-for task gets the task's timeout plus 5 s to report. */
    @Override
    public long timeoutOr(long defaultMs) {
      if (timeoutMs != null) {
        return timeoutMs;
      }
      Object taskTimeout = task.getValue("timeoutMs");
      return awaitResult && taskTimeout instanceof Number n ? n.longValue() + 5_000 : defaultMs;
    }
  }

  static Action parse(JsonObject json) {
    Fields f = Fields.nested(json, "action");
    String type = f.oneOf("type", null, TYPES);
    if (type == null) {
      throw f.bad("type", "is required (one of " + String.join(", ", TYPES) + ")");
    }
    Action action = switch (type) {
      case "send" -> new Send(address(f), body(f), f.bool("reply", true), timeout(f));
      case "publish" -> new Publish(address(f), body(f));
      default -> task(f);
    };
    f.done();
    return action;
  }

  private static Task task(Fields f) {
    JsonObject task = f.object("task");
    if (task == null) {
      throw f.bad("task", "is required: the tasks module's request body, e.g. {\"type\": \"echo\", \"payload\": {}}");
    }
    Object taskType = task.getValue("type");
    if (!(taskType instanceof String s) || s.isBlank()) {
      throw f.bad("task.type", "is required: the name of a task type");
    }
    Object timeout = task.getValue("timeoutMs");
    if (timeout != null && (!(timeout instanceof Number n) || n.longValue() < 1)) {
      throw f.bad("task.timeoutMs", "must be a positive integer");
    }
    return new Task(task.copy(), f.bool("wait", true), timeout(f));
  }

  private static String address(Fields f) {
    String address = f.string("address", null, MAX_ADDRESS);
    if (address == null) {
      throw f.bad("address", "is required: the event-bus address to send to");
    }
    return address.strip();
  }

  private static JsonObject body(Fields f) {
    JsonObject body = f.object("body");
    return body == null ? new JsonObject() : body.copy();
  }

  private static Long timeout(Fields f) {
    return f.optionalLong("timeoutMs", 1, MAX_TIMEOUT_MS);
  }
}
