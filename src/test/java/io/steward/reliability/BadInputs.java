package io.steward.reliability;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Random;

/**
 * Scenario 6's corpus: bad request bodies generated from a seed, so a failing case can be replayed. Four kinds:
 * <ul>
 *   <li>{@link Kind#NOT_OBJECT}: random bytes, malformed JSON text, arrays, numbers, booleans, plain text;</li>
 *   <li>{@link Kind#UNKNOWN_FIELD}: an object with a field no address knows (besides random known ones);</li>
 *   <li>{@link Kind#WRONG_TYPES}: the fields Steward's addresses know, with values of random types and ranges;</li>
 *   <li>{@link Kind#HUGE}: a large object (one long string or many fields) that also carries an unknown field.</li>
 * </ul>
 * Every kind but {@code WRONG_TYPES} is invalid on every address (the README: a body that is not a JSON object is
 * a 400, unknown fields are refused); a {@code WRONG_TYPES} body may by chance be a valid request.
 */
final class BadInputs {

  enum Kind { NOT_OBJECT, UNKNOWN_FIELD, WRONG_TYPES, HUGE }

  /** One bad body; {@code label} says what it is, for the verdict's notes. */
  record Case(Kind kind, Object body, String label) {
    /** The body as HTTP text (what a client would put on the wire). */
    String text() {
      if (body instanceof Buffer b) {
        return b.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
      }
      if (body instanceof String s) {
        return s;
      }
      return body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode() : String.valueOf(body);
    }

    /** The body as a JSON value inside a bridge frame (bytes become a string of those bytes). */
    Object jsonValue() {
      return body instanceof Buffer ? text() : body;
    }
  }

  /** Field names Steward's addresses read (docs/reference.md, Addresses), plus the cache's internal {@code computed} message. */
  static final List<String> FIELDS = List.of("cache", "key", "keys", "value", "entries", "ttlSeconds", "expected",
    "increment", "initial", "merge", "opId", "timeoutMs", "compute", "name", "type", "payload", "supervisor", "restart",
    "maxRestarts", "withinMs", "id", "state", "limit", "requests", "address", "items", "mode", "n", "concurrency",
    "deadlineMs", "ordered", "retry", "headers", "verb", "module", "body", "version", "token", "failure", "message",
    "task", "maxSize", "nearCache", "events", "backups");

  private final Random random;
  private final int hugeBytes;

  /** {@code hugeBytes}: the size of a {@link Kind#HUGE} body (pick it under or over a limit on purpose). */
  BadInputs(long seed, int hugeBytes) {
    this.random = new Random(seed);
    this.hugeBytes = hugeBytes;
  }

  /** The {@code i}-th case: the kinds take turns, so a handful of cases covers every kind. */
  Case next(int i) {
    Kind kind = Kind.values()[i % Kind.values().length];
    return switch (kind) {
      case NOT_OBJECT -> notObject();
      case UNKNOWN_FIELD -> new Case(kind, withUnknownField(wrongTypes(random.nextInt(3))), "unknown field");
      case WRONG_TYPES -> new Case(kind, wrongTypes(1 + random.nextInt(4)), "wrong types");
      case HUGE -> huge();
    };
  }

  private Case notObject() {
    switch (random.nextInt(8)) {
      case 0: {
        byte[] bytes = new byte[1 + random.nextInt(512)];
        random.nextBytes(bytes);
        return new Case(Kind.NOT_OBJECT, Buffer.buffer(bytes), "random bytes");
      }
      case 1: {
        String json = wrongTypes(3).encode();
        return new Case(Kind.NOT_OBJECT, json.substring(0, 1 + random.nextInt(Math.max(1, json.length() - 1))),
          "truncated JSON");
      }
      case 2:
        return new Case(Kind.NOT_OBJECT, "{\"cache\": \"a\", " + string(8) + "}", "malformed JSON");
      case 3:
        return new Case(Kind.NOT_OBJECT, new JsonArray().add(wrongTypes(2)).add(value(1)), "a JSON array");
      case 4:
        return new Case(Kind.NOT_OBJECT, random.nextBoolean() ? random.nextLong() : random.nextDouble(), "a number");
      case 5:
        return new Case(Kind.NOT_OBJECT, random.nextBoolean(), "a boolean");
      case 6:
        return new Case(Kind.NOT_OBJECT, "", "an empty body");
      default:
        return new Case(Kind.NOT_OBJECT, string(1 + random.nextInt(64)), "plain text");
    }
  }

  private Case huge() {
    JsonObject o = withUnknownField(wrongTypes(1));
    if (random.nextBoolean()) {
      o.put("value", "x".repeat(hugeBytes));
      return new Case(Kind.HUGE, o, "huge string (" + hugeBytes + " bytes)");
    }
    JsonObject entries = new JsonObject();
    for (int i = 0; entries.size() * 24 < hugeBytes; i++) {
      entries.put("k" + i, i);
    }
    o.put("entries", entries);
    return new Case(Kind.HUGE, o, "huge object (" + entries.size() + " fields)");
  }

  private JsonObject withUnknownField(JsonObject o) {
    return o.put("zz" + Integer.toHexString(random.nextInt()), value(1));
  }

  private JsonObject wrongTypes(int fields) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < fields; i++) {
      o.put(FIELDS.get(random.nextInt(FIELDS.size())), value(2));
    }
    return o;
  }

  /** A value of a random JSON type: numbers at and past the edges, odd strings, nesting up to {@code depth}. */
  private Object value(int depth) {
    int choice = random.nextInt(depth > 0 ? 12 : 9);
    return switch (choice) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> List.of(0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE).get(random.nextInt(5));
      case 3 -> List.of(Long.MAX_VALUE, Long.MIN_VALUE, -86_400_000L, 1L << 40).get(random.nextInt(4));
      case 4 -> List.of(0.5, -1e308, 1e308, 3.0e-300).get(random.nextInt(4));
      case 5 -> string(random.nextInt(12));
      case 6 -> "x".repeat(5_000 + random.nextInt(5_000));
      case 7 -> List.of("", " ", "..", "../../etc/passwd", "steward.nodes.list", "%00", "null", "{}").get(random.nextInt(8));
      case 8 -> Integer.toString(random.nextInt(100));
      case 9 -> new JsonArray().add(value(depth - 1)).add(value(depth - 1));
      case 10 -> new JsonObject().put(FIELDS.get(random.nextInt(FIELDS.size())), value(depth - 1));
      default -> new JsonArray();
    };
  }

  /** Random text: letters, digits, quotes, backslashes, control characters, accents, CJK, emoji. */
  String string(int length) {
    String alphabet = "abcXYZ019 _-.:/\\\"'{}[],\n\t\u0000\u0001\u007féü中文😀";
    StringBuilder sb = new StringBuilder();
    int[] points = alphabet.codePoints().toArray();
    for (int i = 0; i < length; i++) {
      sb.appendCodePoint(points[random.nextInt(points.length)]);
    }
    return sb.toString();
  }
}
