package io.steward.client;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * Values to and from JSON. JSON values (JsonObject, JsonArray, String, Number, Boolean, null) pass as they are;
 * other objects (records, beans) are mapped by Jackson databind, which then must be on the class path (Vert.x uses
 * it when it is there).
 */
final class Values {

  private Values() {
  }

  /** A value the event bus can carry: JSON as it is, anything else mapped to a JSON object. */
  static Object json(Object value) {
    if (value == null || value instanceof JsonObject || value instanceof JsonArray || value instanceof String
      || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Map<?, ?> map) {
      JsonObject o = new JsonObject();
      map.forEach((k, v) -> o.put(String.valueOf(k), json(v)));
      return o;
    }
    if (value instanceof List<?> list) {
      JsonArray a = new JsonArray();
      list.forEach(v -> a.add(json(v)));
      return a;
    }
    try {
      return JsonObject.mapFrom(value);
    } catch (RuntimeException | LinkageError e) {
      throw new IllegalArgumentException("cannot map a " + value.getClass().getName() + " to JSON (" + e.getMessage()
        + "); pass a JsonObject, or put jackson-databind on the class path", e);
    }
  }

  /** {@code value} as a {@code type}: itself when it is one, else mapped by Jackson databind; null stays null. */
  static <T> T as(Object value, Class<T> type) {
    if (value == null || type.isInstance(value)) {
      return type.cast(value);
    }
    try {
      return Json.CODEC.fromValue(value instanceof JsonObject o ? o.getMap() : value instanceof JsonArray a ? a.getList()
        : value, type);
    } catch (DecodeException | UnsupportedOperationException | LinkageError e) {
      throw new IllegalArgumentException("cannot map " + value + " to a " + type.getName() + " (" + e.getMessage()
        + "); jackson-databind must be on the class path to map objects", e);
    }
  }
}
