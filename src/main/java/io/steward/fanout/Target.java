package io.steward.fanout;

import io.steward.bus.Addresses;
import io.steward.bus.Door;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What item {@code i} of a fan-out is: the address it goes to, the body it carries, its delivery options,
 * and how its reply becomes the entry's value. Three shapes: an explicit list of requests, one address with
 * a list of bodies, a task type with a list of payloads. Items are read where they lie in the request (no
 * copies); a body is built per send only for task items.
 */
sealed interface Target {

  int size();

  String address(int i);

  Object body(int i);

  /** The options for item {@code i}: the shared ones, unless the item brings its own headers. */
  DeliveryOptions options(int i, DeliveryOptions shared);

  /** Puts the reply to item {@code i} into its result entry ({@code value}, and for tasks {@code taskId}). */
  default void putValue(JsonObject entry, Object reply) {
    entry.put("value", Replies.json(reply));
  }

  /** {@code requests: [{address, body?, headers?}]}. */
  record Requests(JsonArray requests) implements Target {
    @Override
    public int size() {
      return requests.size();
    }

    @Override
    public String address(int i) {
      return request(i).getString("address");
    }

    @Override
    public Object body(int i) {
      return request(i).getValue("body");
    }

    @Override
    public DeliveryOptions options(int i, DeliveryOptions shared) {
      JsonObject headers = request(i).getJsonObject("headers");
      if (headers == null || headers.isEmpty()) {
        return shared;
      }
      DeliveryOptions own = new DeliveryOptions(shared);
      headers.forEach(h -> {
        if (own.getHeaders() == null) {
          own.addHeader(h.getKey(), (String) h.getValue());
        } else {
          own.getHeaders().set(h.getKey(), (String) h.getValue()); // the item's own value wins over a shared one
        }
      });
      String door = shared.getHeaders() == null ? null : shared.getHeaders().get(Door.HEADER);
      if (door != null) {
        own.getHeaders().set(Door.HEADER, door); // but never over the door's rule
      }
      return own;
    }

    private JsonObject request(int i) {
      return requests.getJsonObject(i);
    }
  }

  /** {@code address} with {@code items}: one request per item, the item as its body. */
  record OneAddress(String address, JsonArray items) implements Target {
    @Override
    public int size() {
      return items.size();
    }

    @Override
    public String address(int i) {
      return address;
    }

    @Override
    public Object body(int i) {
      return items.getValue(i);
    }

    @Override
    public DeliveryOptions options(int i, DeliveryOptions shared) {
      return shared;
    }
  }

  /**
   * {@code type} with {@code items}: each item runs as a task through {@code steward.tasks.run}
   * ({@code {type, payload: item, timeoutMs}}); the entry's value is the task's {@code result}.
   */
  record Tasks(String type, JsonArray items, long timeoutMs) implements Target {

    @Override
    public int size() {
      return items.size();
    }

    @Override
    public String address(int i) {
      return Addresses.Tasks.RUN;
    }

    @Override
    public Object body(int i) {
      return JsonObject.of("type", type, "payload", items.getValue(i), "timeoutMs", timeoutMs);
    }

    @Override
    public DeliveryOptions options(int i, DeliveryOptions shared) {
      return shared;
    }

    @Override
    public void putValue(JsonObject entry, Object reply) {
      if (reply instanceof JsonObject task) {
        entry.put("value", task.getValue("result"));
        if (task.getValue("id") != null) {
          entry.put("taskId", task.getValue("id"));
        }
      } else {
        entry.put("value", Replies.json(reply));
      }
    }
  }
}
