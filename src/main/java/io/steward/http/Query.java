package io.steward.http;

import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reads query parameters into a bus request body, with 400s that name the parameter. */
final class Query {

  private Query() {
  }

  /** A 400 naming the first query parameter that is not one of {@code allowed} (a typo must not be ignored). */
  static JsonObject only(RoutingContext ctx, String... allowed) {
    java.util.List<String> known = java.util.List.of(allowed);
    for (String name : ctx.queryParams().names()) {
      if (!known.contains(name)) {
        throw StewardException.badRequest(name, "unknown query parameter (expected one of: " + String.join(", ", allowed) + ")");
      }
    }
    return new JsonObject();
  }

  /** Copies a string parameter when present. */
  static JsonObject string(RoutingContext ctx, JsonObject body, String name) {
    String v = ctx.queryParams().get(name);
    if (v != null) {
      body.put(name, v);
    }
    return body;
  }

  /** Copies an integer parameter when present; a non-integer is a 400. */
  static JsonObject integer(RoutingContext ctx, JsonObject body, String name) {
    String v = ctx.queryParams().get(name);
    if (v != null) {
      try {
        body.put(name, Long.parseLong(v.trim()));
      } catch (NumberFormatException e) {
        throw StewardException.badRequest(name, "must be an integer, got '" + v + "'");
      }
    }
    return body;
  }

  /** Copies a boolean parameter when present; anything but true/false is a 400. */
  static JsonObject bool(RoutingContext ctx, JsonObject body, String name) {
    String v = ctx.queryParams().get(name);
    if (v != null) {
      if (!v.equals("true") && !v.equals("false")) {
        throw StewardException.badRequest(name, "must be true or false, got '" + v + "'");
      }
      body.put(name, Boolean.parseBoolean(v));
    }
    return body;
  }
}
