package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A task as Steward reports it ({@code steward.tasks.get}, {@code .run}, {@code .await}, {@code .cancel}):
 * {@code state} is {@code scheduled} (submitted with a delay or runAt: waiting for its time), {@code pending},
 * {@code running}, {@code restarting}, {@code succeeded}, {@code failed},
 * {@code cancelled}, {@code timed-out} or {@code lost}; {@code result} is set once it succeeded, {@code error}
 * once it failed. {@code json} is the whole answer, for the fields not named here.
 */
public record Task(String id, String type, String state, String supervisor, String node, int attempts,
                   Instant submittedAt, Instant startedAt, Instant endedAt, Object payload, Object result,
                   String error, JsonObject json) {

  static Task from(JsonObject o) {
    return new Task(o.getString("id"), o.getString("type"), o.getString("state"), o.getString("supervisor"),
      o.getString("node"), o.getInteger("attempts", 0), instant(o, "submittedAt"), instant(o, "startedAt"),
      instant(o, "endedAt"), o.getValue("payload"), o.getValue("result"), o.getString("error"), o);
  }

  private static Instant instant(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v instanceof Number n) {
      return Instant.ofEpochMilli(n.longValue());
    }
    return v instanceof String s ? Instant.parse(s) : null;
  }

  /** The result as a {@code type} (mapped by Jackson databind unless it is one already). */
  public <T> T result(Class<T> type) {
    return Values.as(result, type);
  }

  /** When a task submitted with a delay or runAt is (or was) due; null for a task that ran at once. */
  public Instant runAt() {
    return instant(json, "runAt");
  }

  public boolean succeeded() {
    return "succeeded".equals(state);
  }
}
