package io.steward.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;

/**
 * A workflow to submit (docs/workflows.md): its name, steps with their dependencies, optionally an input and an
 * idempotency key. Immutable: each setter returns a new request.
 * {@code WorkflowRequest.of("order-42").key("order-42").step("reserve", "stock.reserve", order)
 * .step("charge", "billing.charge", order, "reserve")}.
 */
public final class WorkflowRequest {

  private final JsonObject json;

  private WorkflowRequest(JsonObject json) {
    this.json = json;
  }

  public static WorkflowRequest of(String name) {
    return new WorkflowRequest(new JsonObject().put("name", Objects.requireNonNull(name, "name"))
      .put("steps", new JsonArray()));
  }

  /**
   * Idempotency key: while a workflow submitted with it is kept (running, and {@code workflows.finishedTtlMs} after
   * it ended), a submit with it answers that workflow ({@link Submitted#existing()}).
   */
  public WorkflowRequest key(String key) {
    return new WorkflowRequest(json.copy().put("key", key));
  }

  /** The workflow's input (given to every step): a JSON value, or an object Jackson maps. */
  public WorkflowRequest input(Object input) {
    return new WorkflowRequest(json.copy().put("input", Values.json(input)));
  }

  /**
   * A step that sends {@code payload} (a JSON object, or an object Jackson maps to one; null: {@code {}}) to
   * {@code address} once every step of {@code dependsOn} has succeeded.
   */
  public WorkflowRequest step(String id, String address, Object payload, String... dependsOn) {
    JsonObject step = new JsonObject().put("id", id).put("address", address)
      .put("dependsOn", new JsonArray(List.of((Object[]) dependsOn)));
    if (payload != null) {
      step.put("payload", Values.json(payload));
    }
    return step(step);
  }

  /**
   * A step with any of its fields ({@code forEach}, {@code quorum}, {@code timeoutMs}, {@code maxRestarts},
   * {@code withinMs}, {@code supervisor}, {@code priority}: docs/workflows.md, "A workflow").
   */
  public WorkflowRequest step(JsonObject step) {
    JsonObject copy = json.copy();
    copy.getJsonArray("steps").add(step.copy());
    return new WorkflowRequest(copy);
  }

  public String key() {
    return json.getString("key");
  }

  JsonObject toJson() {
    return json.copy();
  }
}
