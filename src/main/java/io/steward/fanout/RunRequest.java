package io.steward.fanout;

import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * A validated {@code steward.fanout.run} request. Everything is checked before anything is sent, so a bad
 * item is a 400 naming it ({@code requests[3].address: is required}) and never half a fan-out.
 *
 * @param delivery the options every item is sent with: per-item send timeout and the shared headers
 */
record RunRequest(Target target, Mode mode, int quorum, int concurrency, long timeoutMs, long deadlineMs,
                  boolean ordered, Retry retry, DeliveryOptions delivery) {

  /** A task's reply comes after its own timeoutMs; the request waits this much longer for it. */
  static final long TASK_REPLY_MARGIN_MS = 1_000;

  int total() {
    return target.size();
  }

  static RunRequest parse(Object body, FanoutConfig config) {
    Fields f = Fields.of(body);
    JsonArray requests = f.array("requests");
    String address = f.string("address", null);
    String type = f.string("type", null);
    JsonArray items = f.array("items");
    JsonObject headers = f.object("headers");
    String modeName = f.oneOf("mode", Mode.ALL.text(), Mode.NAMES);
    Long n = f.optionalLong("n", 1, Integer.MAX_VALUE);
    long concurrency = f.longValue("concurrency", config.defaultConcurrency(), 1, Long.MAX_VALUE);
    long timeoutMs = f.longValue("timeoutMs", config.defaultTimeoutMs(), 1, config.maxDeadlineMs());
    long deadlineMs = f.longValue("deadlineMs", config.defaultDeadlineMs(), 1, config.maxDeadlineMs());
    boolean ordered = f.bool("ordered", true);
    JsonObject retryJson = f.object("retry");
    f.done();

    int forms = (requests != null ? 1 : 0) + (address != null ? 1 : 0) + (type != null ? 1 : 0);
    if (forms == 0) {
      throw f.bad("requests", "is required: give requests [{address, body, headers?}], or an address with items, "
        + "or a task type with items");
    }
    if (forms > 1) {
      throw f.bad(type != null ? "type" : "address", "give only one of requests, address (with items) or type "
        + "(with items)");
    }
    if (concurrency > config.maxConcurrency()) {
      throw f.bad("concurrency", "must be at most " + config.maxConcurrency() + " (the limit fanout.maxConcurrency), got "
        + concurrency);
    }
    Target target;
    String listName;
    if (requests != null) {
      if (items != null) {
        throw f.bad("items", "is not used with requests: each request carries its own body");
      }
      listName = "requests";
      checkSize(f, listName, requests.size(), config);
      checkRequests(requests, config);
      target = new Target.Requests(requests);
    } else {
      listName = "items";
      if (items == null) {
        throw f.bad("items", "is required with " + (address != null ? "address (one body per request)"
          : "type (one task payload per item)"));
      }
      checkSize(f, listName, items.size(), config);
      if (JsonSize.of(items, config.maxBodyBytes()) > config.maxBodyBytes()) {
        throw f.bad("items", "the items total more than " + config.maxBodyBytes()
          + " bytes of JSON (the limit fanout.maxBodyBytes)");
      }
      target = address != null ? new Target.OneAddress(address, items) : new Target.Tasks(type, items, timeoutMs);
    }

    Mode mode = Mode.of(modeName);
    int total = target.size();
    if (mode == Mode.QUORUM) {
      if (n == null) {
        throw f.bad("n", "is required with mode quorum (the number of successes needed)");
      }
      if (n > total) {
        throw f.bad("n", "a quorum of " + n + " is larger than the " + total + " " + listName);
      }
    } else if (n != null) {
      throw f.bad("n", "is only used with mode quorum");
    }
    Retry retry = retryJson == null ? null : Retry.parse(retryJson, config.maxDeadlineMs());

    long sendTimeout = target instanceof Target.Tasks ? timeoutMs + TASK_REPLY_MARGIN_MS : timeoutMs;
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(sendTimeout);
    if (headers != null) {
      for (Map.Entry<String, Object> h : headers) {
        if (!(h.getValue() instanceof String v)) {
          throw f.bad("headers." + h.getKey(), "must be a string, got " + Fields.typeName(h.getValue()));
        }
        delivery.addHeader(h.getKey(), v);
      }
    }
    return new RunRequest(target, mode, mode == Mode.QUORUM ? n.intValue() : 0, (int) Math.min(concurrency, total),
      timeoutMs, deadlineMs, ordered, retry, delivery);
  }

  /**
   * A request that came through a door: every address it would send to must be one the door permits (a 403 naming
   * the first that is not), and every item carries the door's header.
   */
  void throughDoor(Door door) {
    if (target instanceof Target.Requests r) {
      for (int i = 0; i < r.size(); i++) {
        door.check(at(i) + ".address", r.address(i));
      }
    } else if (target instanceof Target.OneAddress a) {
      door.check("address", a.address());
    } else {
      door.check("type", target.address(0));
    }
    door.stamp(delivery);
  }

  private static void checkSize(Fields f, String name, int size, FanoutConfig config) {
    if (size == 0) {
      throw f.bad(name, "must not be empty");
    }
    if (size > config.maxItems()) {
      throw f.bad(name, size + " " + name + " is over the limit of " + config.maxItems() + " (fanout.maxItems)");
    }
  }

  private static String at(int i) {
    return "requests[" + i + "]";
  }

  /** Each request is {@code {address, body?, headers?}}; the bodies count against fanout.maxBodyBytes. */
  private static void checkRequests(JsonArray requests, FanoutConfig config) {
    long limit = config.maxBodyBytes();
    long size = 0;
    for (int i = 0; i < requests.size(); i++) {
      Object o = requests.getValue(i);
      if (!(o instanceof JsonObject r)) {
        throw StewardException.badRequest(at(i), "must be an object {address, body?, headers?}, got " + Fields.typeName(o));
      }
      Object address = r.getValue("address");
      if (!(address instanceof String a) || a.isBlank()) {
        throw StewardException.badRequest(at(i) + ".address", address == null ? "is required"
          : "must be a non-blank string, got " + Fields.typeName(address));
      }
      int known = 1;
      if (r.containsKey("body")) {
        known++;
        size += JsonSize.of(r.getValue("body"), limit - size);
        if (size > limit) {
          throw StewardException.badRequest("requests", "the request bodies total more than " + limit
            + " bytes of JSON (the limit fanout.maxBodyBytes)");
        }
      }
      if (r.containsKey("headers")) {
        known++;
        Object h = r.getValue("headers");
        if (!(h instanceof JsonObject headers)) {
          throw StewardException.badRequest(at(i) + ".headers", "must be an object of strings, got " + Fields.typeName(h));
        }
        for (Map.Entry<String, Object> e : headers) {
          if (!(e.getValue() instanceof String)) {
            throw StewardException.badRequest(at(i) + ".headers." + e.getKey(), "must be a string, got "
              + Fields.typeName(e.getValue()));
          }
        }
      }
      if (r.size() > known) {
        for (String key : r.fieldNames()) {
          if (!key.equals("address") && !key.equals("body") && !key.equals("headers")) {
            throw StewardException.badRequest(at(i) + "." + key, "unknown field (expected address, body, headers)");
          }
        }
      }
    }
  }
}
