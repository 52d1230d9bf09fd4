package io.steward.spi;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One configuration key: its path in {@code conf/config.json} ({@code http.port}), the environment variable
 * ({@code STEWARD_HTTP_PORT}) and system property ({@code steward.http.port}) that override it, its kind,
 * default and meaning. docs/configuration.md lists every setting.
 */
public record Setting(String path, Kind kind, Object defaultValue, String meaning) {

  public enum Kind {
    STRING, INT, BOOL,
    /** A list of strings; comma-separated in environment variables and system properties. */
    LIST,
    /** A JSON object or array; JSON text in environment variables and system properties. */
    JSON
  }

  public static Setting string(String path, String def, String meaning) {
    return new Setting(path, Kind.STRING, def, meaning);
  }

  public static Setting integer(String path, int def, String meaning) {
    return new Setting(path, Kind.INT, def, meaning);
  }

  public static Setting bool(String path, boolean def, String meaning) {
    return new Setting(path, Kind.BOOL, def, meaning);
  }

  public static Setting list(String path, List<String> def, String meaning) {
    return new Setting(path, Kind.LIST, def == null ? null : new JsonArray(new ArrayList<>(def)), meaning);
  }

  public static Setting json(String path, Object def, String meaning) {
    return new Setting(path, Kind.JSON, def, meaning);
  }

  /** {@code cluster.liteMember} → {@code STEWARD_CLUSTER_LITE_MEMBER}. */
  public String env() {
    StringBuilder sb = new StringBuilder("STEWARD_");
    for (char c : path.toCharArray()) {
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  /** {@code cluster.liteMember} → {@code steward.cluster.liteMember}. */
  public String sysProp() {
    return "steward." + path;
  }

  /** The section this key lives in ({@code http}), or the key itself for top-level keys. */
  public String section() {
    int dot = path.indexOf('.');
    return dot < 0 ? path : path.substring(0, dot);
  }

  /** The key inside its section ({@code port}), or null for a top-level key. */
  public String key() {
    int dot = path.indexOf('.');
    return dot < 0 ? null : path.substring(dot + 1);
  }

  /** Parses an override given as text by {@code source} (an env var or system property name). */
  public Object parse(String text, String source) {
    String t = text.trim();
    switch (kind) {
      case STRING:
        return t;
      case INT:
        try {
          return Integer.parseInt(t);
        } catch (NumberFormatException e) {
          throw new ConfigException(source, "must be an integer, got '" + text + "'");
        }
      case BOOL:
        if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
          return Boolean.parseBoolean(t.toLowerCase(Locale.ROOT));
        }
        throw new ConfigException(source, "must be true or false, got '" + text + "'");
      case LIST: {
        JsonArray array = new JsonArray();
        for (String part : t.split(",")) {
          if (!part.isBlank()) {
            array.add(part.trim());
          }
        }
        return array;
      }
      case JSON:
        try {
          return t.startsWith("[") ? new JsonArray(t) : new JsonObject(t);
        } catch (RuntimeException e) {
          throw new ConfigException(source, "must be JSON text (an object or array): " + e.getMessage());
        }
      default:
        throw new IllegalStateException(kind.name());
    }
  }

  /** Checks a value read from the config file; returns it normalised. */
  public Object check(Object value, String where) {
    switch (kind) {
      case STRING:
        if (value instanceof String) {
          return value;
        }
        break;
      case INT:
        if (value instanceof Number n && n.doubleValue() == n.longValue()
          && n.longValue() >= Integer.MIN_VALUE && n.longValue() <= Integer.MAX_VALUE) {
          return n.intValue();
        }
        break;
      case BOOL:
        if (value instanceof Boolean) {
          return value;
        }
        break;
      case LIST:
        if (value instanceof JsonArray a && a.stream().allMatch(String.class::isInstance)) {
          return a;
        }
        if (value instanceof String s) {
          return parse(s, where);
        }
        throw new ConfigException(where, "must be a list of strings");
      case JSON:
        if (value instanceof JsonObject || value instanceof JsonArray) {
          return value;
        }
        throw new ConfigException(where, "must be a JSON object or array");
      default:
        break;
    }
    throw new ConfigException(where, "must be " + describe() + ", got " + io.steward.bus.Fields.typeName(value));
  }

  private String describe() {
    return switch (kind) {
      case STRING -> "a string";
      case INT -> "an integer";
      case BOOL -> "true or false";
      case LIST -> "a list of strings";
      case JSON -> "a JSON object or array";
    };
  }
}
