package io.steward.client;

import io.vertx.core.json.JsonObject;

/**
 * How {@link Cache#getOrCompute(String, Compute)} computes a missing value, once per cluster: a request to an
 * event-bus address (the reply is the value) or a task (its result is the value). Either gets
 * {@code {cache, key}} unless a body or payload is given.
 */
public final class Compute {

  private final JsonObject json;

  private Compute(JsonObject json) {
    this.json = json;
  }

  public static Compute address(String address) {
    return new Compute(new JsonObject().put("address", address));
  }

  public static Compute address(String address, JsonObject body) {
    return new Compute(new JsonObject().put("address", address).put("body", body));
  }

  public static Compute task(String type) {
    return new Compute(new JsonObject().put("task", type));
  }

  public static Compute task(String type, Object payload) {
    return new Compute(new JsonObject().put("task", type).put("payload", payload));
  }

  JsonObject toJson() {
    return json.copy();
  }
}
