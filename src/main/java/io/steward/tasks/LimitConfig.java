package io.steward.tasks;

import io.steward.spi.ConfigException;
import io.vertx.core.json.JsonObject;

/**
 * A supervisor's cluster-wide limits ({@code tasks.supervisors.<name>.clusterLimit}, {@code .ratePerPeriod} with
 * {@code .periodMs}, {@code .partitionBy}): at most {@code clusterLimit} of its attempts running across the cluster
 * (0: no such limit), at most {@code ratePerPeriod} started in any {@code periodMs} (a sliding window; 0: none),
 * each per value of the payload field {@code partitionBy} when it is set (null: one limit for the supervisor).
 */
record LimitConfig(int clusterLimit, int ratePerPeriod, long periodMs, String partitionBy) {

  static final int MAX_LIMIT = 1_000_000;
  static final long MAX_PERIOD_MS = 86_400_000L;
  /** The longest payload value a partitioned limit keys on. */
  static final int MAX_PARTITION_VALUE = 200;

  /** Parses the limit keys of {@code tasks.supervisors.<name>}; null when none is set (the supervisor pays nothing). */
  static LimitConfig parse(JsonObject o, String path) {
    if (!o.containsKey("clusterLimit") && !o.containsKey("ratePerPeriod") && !o.containsKey("periodMs")
      && !o.containsKey("partitionBy")) {
      return null;
    }
    int limit = positive(o, "clusterLimit", path);
    int rate = positive(o, "ratePerPeriod", path);
    Object period = o.getValue("periodMs");
    long periodMs = 0;
    if (rate > 0 && period == null) {
      throw new ConfigException(path + ".periodMs", "is required with ratePerPeriod (the window, e.g. 1000 for "
        + rate + " per second)");
    }
    if (period != null) {
      if (rate == 0) {
        throw new ConfigException(path + ".periodMs", "needs ratePerPeriod (how many attempts may start per period)");
      }
      if (!(period instanceof Number n) || n.doubleValue() != n.longValue()) {
        throw new ConfigException(path + ".periodMs", "must be an integer, got " + period);
      }
      periodMs = n.longValue();
      if (periodMs < 1 || periodMs > MAX_PERIOD_MS) {
        throw new ConfigException(path + ".periodMs", "must be between 1 and " + MAX_PERIOD_MS + ", got " + periodMs);
      }
    }
    Object by = o.getValue("partitionBy");
    if (by != null && (!(by instanceof String s) || !SupervisorConfig.NAME.matcher(s).matches())) {
      throw new ConfigException(path + ".partitionBy", "must be the name of a payload field (1-64 letters, digits or . _ -), "
        + "got " + (by instanceof String ? "'" + by + "'" : by));
    }
    if (limit == 0 && rate == 0) {
      throw new ConfigException(path + ".partitionBy", "needs clusterLimit or ratePerPeriod (what to limit per value)");
    }
    return new LimitConfig(limit, rate, periodMs, (String) by);
  }

  private static int positive(JsonObject o, String key, String path) {
    Object v = o.getValue(key);
    if (v == null) {
      return 0;
    }
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw new ConfigException(path + "." + key, "must be an integer, got " + v);
    }
    long l = n.longValue();
    if (l < 1 || l > MAX_LIMIT) {
      throw new ConfigException(path + "." + key, "must be between 1 and " + MAX_LIMIT + ", got " + l
        + " (leave it out for no limit)");
    }
    return (int) l;
  }

  /**
   * The value of the partition field in a payload, or the reason it has none (a 400 at submit): a string or an
   * integer, at most {@link #MAX_PARTITION_VALUE} characters.
   */
  static String partitionValue(Object payload, String field) {
    Object v = payload instanceof JsonObject p ? p.getValue(field) : null;
    if (v instanceof String s && !s.isEmpty() && s.length() <= MAX_PARTITION_VALUE) {
      return s;
    }
    if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      return Long.toString(n.longValue());
    }
    return null;
  }
}
