package io.steward.tasks;

import io.steward.spi.ConfigException;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * One named supervisor: its own worker pool ({@code workers} tasks run at once), its own bounded queue
 * ({@code maxQueued} more wait), so one hungry kind of work cannot starve another. {@code maxZombies} timed-out
 * or cancelled handlers that ignore interruption get a replacement thread; beyond that they keep their slot
 * until they return. {@code timeoutMs} is the default for its tasks (0: none). {@code dispatchAhead} durable
 * attempts may be recorded as running before a worker is free (more throughput; more tasks reported as possible
 * duplicates if the node dies). {@code limit}, null when none, bounds its attempts across the cluster ({@link LimitConfig}).
 */
record SupervisorConfig(String name, int workers, int maxQueued, boolean virtualThreads, int maxZombies,
                               long timeoutMs, int dispatchAhead, LimitConfig limit) {

  public static final String DEFAULT = "default";
  static final int DEFAULT_WORKERS = 16;
  static final int DEFAULT_MAX_QUEUED = 10_000;
  static final int DEFAULT_DISPATCH_AHEAD = 32;
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Set<String> KEYS = Set.of("workers", "maxQueued", "virtualThreads", "maxZombies", "timeoutMs",
    "dispatchAhead", "clusterLimit", "ratePerPeriod", "periodMs", "partitionBy");

  /** Tasks this supervisor holds at most: running, queued, and waiting to restart. */
  public int capacity() {
    return workers + maxQueued;
  }

  /** Parses {@code tasks.supervisors.<name>}; every error names the key. */
  static SupervisorConfig parse(String name, Object value, boolean virtualByDefault) {
    String path = "tasks.supervisors." + name;
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(path, "a supervisor name is 1-64 letters, digits or . _ -");
    }
    if (!(value instanceof JsonObject o)) {
      throw new ConfigException(path, "must be a JSON object like {\"workers\": 4, \"maxQueued\": 1000}");
    }
    for (String key : o.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException(path + "." + key, "unknown key (known: " + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
      }
    }
    boolean virtual = bool(o, "virtualThreads", virtualByDefault, path);
    int workers = integer(o, "workers", DEFAULT_WORKERS, 1, virtual ? 1_000_000 : 10_000, path);
    int maxQueued = integer(o, "maxQueued", DEFAULT_MAX_QUEUED, 0, 10_000_000, path);
    int maxZombies = integer(o, "maxZombies", Math.min(workers, 1_000), 0, 100_000, path);
    long timeoutMs = integer(o, "timeoutMs", 0, 0, Integer.MAX_VALUE, path);
    int dispatchAhead = integer(o, "dispatchAhead", DEFAULT_DISPATCH_AHEAD, 0, 10_000, path);
    return new SupervisorConfig(name, workers, maxQueued, virtual, maxZombies, timeoutMs, dispatchAhead,
      LimitConfig.parse(o, path));
  }

  private static int integer(JsonObject o, String key, int def, int min, int max, String path) {
    Object v = o.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw new ConfigException(path + "." + key, "must be an integer, got " + v);
    }
    long l = n.longValue();
    if (l < min || l > max) {
      throw new ConfigException(path + "." + key, "must be between " + min + " and " + max + ", got " + l);
    }
    return (int) l;
  }

  private static boolean bool(JsonObject o, String key, boolean def, String path) {
    Object v = o.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(path + "." + key, "must be true or false, got " + v);
    }
    return b;
  }
}
