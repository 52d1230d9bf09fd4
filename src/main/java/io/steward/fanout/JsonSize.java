package io.steward.fanout;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * The size in bytes of a value's JSON text (UTF-8, as {@link Json#encode} writes it), counted by walking the
 * value instead of encoding it, and giving up as soon as it passes a limit: checking a 100 000-item fan-out
 * against {@code fanout.maxBodyBytes} allocates nothing.
 */
final class JsonSize {

  private JsonSize() {
  }

  /** The encoded size of {@code value}, or some number above {@code limit} once it is certain to exceed it. */
  static long of(Object value, long limit) {
    return add(0, value, limit);
  }

  private static long add(long size, Object v, long limit) {
    if (size > limit) {
      return size;
    }
    if (v == null) {
      return size + 4;
    }
    if (v instanceof String s) {
      return size + string(s);
    }
    if (v instanceof JsonObject o) {
      return object(size, o.getMap(), limit);
    }
    if (v instanceof JsonArray a) {
      return array(size, a.getList(), limit);
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return size + digits(((Number) v).longValue());
    }
    if (v instanceof Boolean b) {
      return size + (b ? 4 : 5);
    }
    if (v instanceof Map<?, ?> m) {
      return object(size, m, limit);
    }
    if (v instanceof List<?> l) {
      return array(size, l, limit);
    }
    if (v instanceof Buffer || v instanceof byte[]) {
      int n = v instanceof Buffer b ? b.length() : ((byte[]) v).length;
      return size + 2 + 4L * ((n + 2) / 3); // base64 in quotes
    }
    // Doubles, big numbers, instants, enums: rare; encode them.
    return size + Json.encode(v).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private static long object(long size, Map<?, ?> map, long limit) {
    size += 2 + Math.max(0, map.size() - 1); // braces, commas
    for (Map.Entry<?, ?> e : map.entrySet()) {
      size += string(String.valueOf(e.getKey())) + 1; // key and colon
      size = add(size, e.getValue(), limit);
      if (size > limit) {
        return size;
      }
    }
    return size;
  }

  private static long array(long size, List<?> list, long limit) {
    size += 2 + Math.max(0, list.size() - 1);
    for (Object item : list) {
      size = add(size, item, limit);
      if (size > limit) {
        return size;
      }
    }
    return size;
  }

  /** A string in quotes, with JSON escapes, as UTF-8. */
  static long string(String s) {
    long n = 2;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
          n += 2;
        } else if (c < 0x20) {
          n += 6; // \\u00XX
        } else {
          n += 1;
        }
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static int digits(long v) {
    if (v == Long.MIN_VALUE) {
      return 20;
    }
    int n = v < 0 ? 2 : 1;
    long a = Math.abs(v);
    while (a >= 10) {
      a /= 10;
      n++;
    }
    return n;
  }
}
