package io.steward.cache;

import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Cache values are JSON: objects, arrays, strings, numbers and booleans (null means "no entry"). The pure
 * rules about them: encoding with a size limit, semantic equality for compare-and-set, counter increments
 * and JSON merge patches (RFC 7386) for atomic updates.
 */
final class JsonValues {

  private JsonValues() {
  }

  /** Thrown by the pure update rules when the current value does not allow the operation (a 409). */
  static final class Conflict extends RuntimeException {
    Conflict(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The value as JSON text, or a 400 naming {@code field} when it is missing, not JSON, or larger than
   * {@code maxBytes} (the limit is named as {@code limitName}).
   */
  static String encode(String field, Object value, int maxBytes, String limitName) {
    if (value == null) {
      throw StewardException.badRequest(field, "is required (a JSON object, array, string, number or boolean)");
    }
    if (!(value instanceof JsonObject || value instanceof JsonArray || value instanceof String
      || value instanceof Number || value instanceof Boolean)) {
      throw StewardException.badRequest(field, "must be JSON (an object, array, string, number or boolean), got "
        + Fields.typeName(value));
    }
    if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      throw StewardException.badRequest(field, "must be a finite number, got " + d);
    }
    String json = Json.encode(value);
    int bytes = utf8Length(json);
    if (bytes > maxBytes) {
      throw StewardException.badRequest(field, "is " + bytes + " bytes of JSON, over the limit of " + maxBytes
        + " bytes (" + limitName + ")");
    }
    return json;
  }

  /** Checks a key against the cache's limit. */
  static String key(String field, String key, int maxBytes, String limitName) {
    int bytes = utf8Length(key);
    if (bytes > maxBytes) {
      throw StewardException.badRequest(field, "is " + bytes + " bytes, over the limit of " + maxBytes
        + " bytes (" + limitName + ")");
    }
    return key;
  }

  /** The JSON value of a text this module encoded. */
  static Object decode(String json) {
    try {
      return Json.decodeValue(json);
    } catch (DecodeException e) {
      throw new IllegalStateException("a cache entry holds text that is not JSON: " + e.getMessage(), e);
    }
  }

  /** UTF-8 length without encoding. */
  static int utf8Length(CharSequence s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** JSON equality: key order does not matter, and 1, 1.0 and 1L are the same number. */
  static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return decimal(x).compareTo(decimal(y)) == 0;
    }
    if (a instanceof JsonObject x && b instanceof JsonObject y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (String k : x.fieldNames()) {
        if (!y.containsKey(k) || !same(x.getValue(k), y.getValue(k))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof JsonArray x && b instanceof JsonArray y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.getValue(i), y.getValue(i))) {
          return false;
        }
      }
      return true;
    }
    return a == null ? b == null : a.equals(b);
  }

  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) {
      return d;
    }
    if (n instanceof BigInteger i) {
      return new BigDecimal(i);
    }
    if (n instanceof Double || n instanceof Float) {
      return BigDecimal.valueOf(n.doubleValue());
    }
    return BigDecimal.valueOf(n.longValue());
  }

  /**
   * {@code current + by}: whole numbers stay whole (an overflow is a conflict), anything else is a double.
   * A missing entry counts as {@code initial}.
   */
  static Number increment(Object current, Number by, Number initial) {
    Object base = current == null ? initial : current;
    if (!(base instanceof Number n)) {
      throw new Conflict("holds " + Fields.typeName(base) + ", not a number, so it cannot be incremented");
    }
    if (whole(n) && whole(by)) {
      try {
        return Math.addExact(n.longValue(), by.longValue());
      } catch (ArithmeticException e) {
        throw new Conflict("holds " + n + "; adding " + by + " would overflow a 64-bit integer");
      }
    }
    double sum = n.doubleValue() + by.doubleValue();
    if (Double.isInfinite(sum) || Double.isNaN(sum)) {
      throw new Conflict("holds " + n + "; adding " + by + " is not a finite number");
    }
    return sum;
  }

  static boolean whole(Number n) {
    return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
      || (n instanceof BigInteger b && b.bitLength() < 64);
  }

  /**
   * RFC 7386 JSON merge patch: fields of {@code patch} replace those of the current object, a null field
   * removes one, nested objects merge. A missing entry counts as {}; a value that is not an object is a
   * conflict (replace it with put instead).
   */
  static JsonObject merge(Object current, JsonObject patch) {
    if (current != null && !(current instanceof JsonObject)) {
      throw new Conflict("holds " + Fields.typeName(current) + ", not an object, so fields cannot be merged into it");
    }
    JsonObject target = current == null ? new JsonObject() : ((JsonObject) current).copy();
    mergeInto(target, patch);
    return target;
  }

  private static void mergeInto(JsonObject target, JsonObject patch) {
    for (String k : patch.fieldNames()) {
      Object v = patch.getValue(k);
      if (v == null) {
        target.remove(k);
      } else if (v instanceof JsonObject p) {
        Object existing = target.getValue(k);
        JsonObject child = existing instanceof JsonObject e ? e : new JsonObject();
        mergeInto(child, p);
        target.put(k, child);
      } else {
        target.put(k, v instanceof JsonArray a ? a.copy() : v);
      }
    }
  }
}
