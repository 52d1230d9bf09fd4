package io.steward.fanout;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.TreeSet;

/**
 * Per-item retry for idempotent targets: up to {@code count} more attempts after a failure whose code is in
 * {@code on}, waiting {@code backoffMs}, then {@code backoffMs * multiplier}, … capped at {@code maxBackoffMs}.
 * Pure: the driver asks it and sets the timer.
 */
record Retry(int count, long backoffMs, double multiplier, long maxBackoffMs, Set<Integer> on) {

  static final int MAX_COUNT = 10;
  /** Timed out, over capacity, handler failed, no handler, member lost: worth another try if idempotent. */
  static final Set<Integer> DEFAULT_ON = Set.of(408, 429, 500, 503, 504);

  /** Whether the attempt that just failed (1 for the first send) with {@code code} is tried again. */
  boolean retries(int attempt, int code) {
    return attempt <= count && on.contains(code);
  }

  /** The wait before attempt {@code attempt + 1}, after attempt {@code attempt} failed. */
  long delayMs(int attempt) {
    double d = backoffMs * Math.pow(multiplier, attempt - 1);
    return (long) Math.min(d, maxBackoffMs);
  }

  /** {@code retry: {count, backoffMs?, multiplier?, maxBackoffMs?, on?}}; errors name {@code retry.<field>}. */
  static Retry parse(JsonObject json, long maxDelayMs) {
    Fields f = Fields.nested(json, "retry");
    int count = f.integer("count", 3, 0, MAX_COUNT);
    long backoff = f.longValue("backoffMs", 100, 0, maxDelayMs);
    double multiplier = f.decimal("multiplier", 2.0, 1.0, 10.0);
    long max = f.longValue("maxBackoffMs", Math.max(backoff, 10_000), backoff, maxDelayMs);
    JsonArray codes = f.array("on");
    Set<Integer> on = DEFAULT_ON;
    if (codes != null) {
      if (codes.isEmpty()) {
        throw f.bad("on", "must list at least one failure code (or leave it out for the default "
          + new TreeSet<>(DEFAULT_ON) + ")");
      }
      Set<Integer> set = new TreeSet<>();
      for (int i = 0; i < codes.size(); i++) {
        Object c = codes.getValue(i);
        if (!(c instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 1) {
          throw f.bad("on[" + i + "]", "must be a failure code (a positive integer), got " + Fields.typeName(c));
        }
        set.add(n.intValue());
      }
      on = Set.copyOf(set);
    }
    f.done();
    return new Retry(count, backoff, multiplier, max, on);
  }
}
