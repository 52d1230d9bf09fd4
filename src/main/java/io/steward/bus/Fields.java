package io.steward.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads and validates a JSON request body. Every getter either returns a valid value or throws a
 * {@link StewardException} with {@link Failure#BAD_REQUEST} whose message names the field and the reason.
 * Call {@link #done()} last: a field nobody asked for is rejected, so a typo never silently falls back to
 * a default.
 *
 * <p>Every body may carry {@code "version": 1} (the message-format version, see docs/reference.md); a version this
 * node does not speak is refused.
 */
public final class Fields {

  /** The message-format version this build speaks. */
  public static final int VERSION = 1;
  public static final String VERSION_FIELD = "version";

  private final JsonObject json;
  private final String prefix;
  private final Set<String> read = new LinkedHashSet<>();

  private Fields(JsonObject json, String prefix) {
    this.json = json;
    this.prefix = prefix;
  }

  /** Reads a request body: a JSON object, or a string or buffer holding one. Anything else is a 400. */
  public static Fields of(Object body) {
    Fields fields = new Fields(object(body), "");
    fields.checkVersion();
    return fields;
  }

  /** Reads a nested object; errors name fields as {@code prefix.name}. */
  public static Fields nested(JsonObject json, String prefix) {
    return new Fields(json, prefix.isEmpty() ? "" : prefix + ".");
  }

  /** The body as a JSON object, or a 400 that says what arrived instead. */
  public static JsonObject object(Object body) {
    if (body instanceof JsonObject o) {
      return o;
    }
    if (body == null) {
      throw StewardException.badRequest("body: a JSON object is required, got nothing");
    }
    if (body instanceof String s) {
      return parse(s);
    }
    if (body instanceof Buffer b) {
      return parse(b.toString());
    }
    if (body instanceof byte[] bytes) {
      return parse(Buffer.buffer(bytes).toString());
    }
    throw StewardException.badRequest("body: a JSON object is required, got " + typeName(body));
  }

  private static JsonObject parse(String text) {
    String trimmed = text.strip();
    if (!trimmed.startsWith("{")) {
      throw StewardException.badRequest("body: a JSON object is required, got "
        + (trimmed.isEmpty() ? "an empty body" : "text that is not a JSON object"));
    }
    try {
      return new JsonObject(trimmed);
    } catch (DecodeException e) {
      throw StewardException.badRequest("body: malformed JSON (" + firstLine(e.getMessage()) + ")");
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() > 160 ? line.substring(0, 160) + "…" : line;
  }

  private void checkVersion() {
    if (!json.containsKey(VERSION_FIELD)) {
      return;
    }
    read.add(VERSION_FIELD);
    Object v = json.getValue(VERSION_FIELD);
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw bad(VERSION_FIELD, "must be an integer, got " + typeName(v));
    }
    if (n.longValue() != VERSION) {
      throw bad(VERSION_FIELD, "unsupported message version " + n.longValue() + "; this node speaks " + VERSION);
    }
  }

  public JsonObject json() {
    return json;
  }

  public boolean has(String name) {
    return json.getValue(name) != null;
  }

  /** A required, non-blank string. */
  public String string(String name) {
    String s = string(name, null);
    if (s == null) {
      throw bad(name, "is required");
    }
    return s;
  }

  public String string(String name, String def) {
    Object v = take(name);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s)) {
      throw bad(name, "must be a string, got " + typeName(v));
    }
    if (s.isBlank()) {
      throw bad(name, "must not be blank");
    }
    return s;
  }

  /** A string with a bounded length. */
  public String string(String name, String def, int maxLength) {
    String s = string(name, def);
    if (s != null && s.length() > maxLength) {
      throw bad(name, "must be at most " + maxLength + " characters, got " + s.length());
    }
    return s;
  }

  /** One of the allowed values. */
  public String oneOf(String name, String def, Collection<String> allowed) {
    String s = string(name, def);
    if (s != null && !allowed.contains(s)) {
      throw bad(name, "must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
    }
    return s;
  }

  public int integer(String name, int def, int min, int max) {
    Long v = number(name);
    long value = v == null ? def : v;
    if (value < min || value > max) {
      throw bad(name, range(min, max) + ", got " + value);
    }
    return (int) value;
  }

  public long longValue(String name, long def, long min, long max) {
    Long v = number(name);
    long value = v == null ? def : v;
    if (value < min || value > max) {
      throw bad(name, range(min, max) + ", got " + value);
    }
    return value;
  }

  /** An optional integer: null when absent. */
  public Long optionalLong(String name, long min, long max) {
    Long v = number(name);
    if (v != null && (v < min || v > max)) {
      throw bad(name, range(min, max) + ", got " + v);
    }
    return v;
  }

  private Long number(String name) {
    Object v = take(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n)) {
      throw bad(name, "must be an integer, got " + typeName(v));
    }
    double d = n.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d) || d != Math.rint(d) || Math.abs(d) > 9.0e15) {
      throw bad(name, "must be an integer, got " + n);
    }
    return n.longValue();
  }

  public double decimal(String name, double def, double min, double max) {
    Object v = take(name);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || Double.isNaN(n.doubleValue())) {
      throw bad(name, "must be a number, got " + typeName(v));
    }
    double d = n.doubleValue();
    if (d < min || d > max) {
      throw bad(name, "must be between " + min + " and " + max + ", got " + d);
    }
    return d;
  }

  public boolean bool(String name, boolean def) {
    Object v = take(name);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Boolean b)) {
      throw bad(name, "must be true or false, got " + typeName(v));
    }
    return b;
  }

  /** An optional JSON object: null when absent. */
  public JsonObject object(String name) {
    Object v = take(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      throw bad(name, "must be a JSON object, got " + typeName(v));
    }
    return o;
  }

  /** An optional JSON array: null when absent. */
  public JsonArray array(String name) {
    Object v = take(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a)) {
      throw bad(name, "must be a JSON array, got " + typeName(v));
    }
    return a;
  }

  /** Any JSON value (object, array, string, number, boolean), or null when absent. */
  public Object value(String name) {
    return take(name);
  }

  /** Throws for any field that no getter asked for. */
  public void done() {
    for (String key : json.fieldNames()) {
      if (!read.contains(key)) {
        throw bad(key, "unknown field" + (read.isEmpty() ? "" : " (expected one of: "
          + String.join(", ", read.stream().filter(k -> !k.equals(VERSION_FIELD)).toList()) + ")"));
      }
    }
  }

  /** A 400 for this field, named with this reader's prefix. */
  public StewardException bad(String name, String reason) {
    return StewardException.badRequest(prefix + name, reason);
  }

  private Object take(String name) {
    read.add(name);
    return json.getValue(name);
  }

  private static String range(long min, long max) {
    if (max == Integer.MAX_VALUE || max == Long.MAX_VALUE) {
      return "must be at least " + min;
    }
    return "must be between " + min + " and " + max;
  }

  /** The JSON type of a value, for error messages. */
  public static String typeName(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof JsonObject) {
      return "an object";
    }
    if (v instanceof JsonArray) {
      return "an array";
    }
    if (v instanceof Buffer || v instanceof byte[]) {
      return "binary data";
    }
    return v.getClass().getSimpleName();
  }
}
