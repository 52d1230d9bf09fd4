package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A workflow as Steward reports it ({@code steward.workflows.get}, {@code .cancel}, {@code .retry}, or a summary
 * from {@code .list}): {@code state} is {@code running}, {@code succeeded}, {@code failed} or {@code cancelled};
 * {@code error} says why it failed. {@code json} is the whole answer: each step's tasks, timings and result.
 */
public record Workflow(String id, String name, String state, String key, String error, Instant submittedAt,
                       Instant endedAt, JsonObject json) {

  static Workflow from(JsonObject o) {
    return new Workflow(o.getString("id"), o.getString("name"), o.getString("state"), o.getString("key"),
      o.getString("error"), instant(o, "submittedAt"), instant(o, "endedAt"), o);
  }

  private static Instant instant(JsonObject o, String field) {
    return o.getValue(field) instanceof Number n ? Instant.ofEpochMilli(n.longValue()) : null;
  }

  public boolean succeeded() {
    return "succeeded".equals(state);
  }

  /** A step's state ({@code waiting}, {@code running}, {@code succeeded}, …), or null for an unknown step. */
  public String stepState(String step) {
    JsonObject steps = json.getJsonObject("steps");
    Object s = steps == null ? null : steps.getValue(step);
    if (s instanceof JsonObject o) {
      return o.getString("state");
    }
    return s instanceof String str ? str : null; // a summary from list: {step: state}
  }

  /** A succeeded step's result (its reply's body; an array in item order for a forEach step), or null. */
  public Object stepResult(String step) {
    JsonObject steps = json.getJsonObject("steps");
    return steps != null && steps.getValue(step) instanceof JsonObject o ? o.getValue("result") : null;
  }

  /** A step's result as a {@code type} (mapped by Jackson databind unless it is one already). */
  public <T> T stepResult(String step, Class<T> type) {
    return Values.as(stepResult(step), type);
  }
}
