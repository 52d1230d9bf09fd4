package io.steward.tasks;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * A submitted task as asked for: the body of {@code steward.tasks.submit} and {@code steward.tasks.run},
 * {@code {type, payload?, supervisor?, restart?, maxRestarts?, withinMs?, timeoutMs?, key?, uniqueForMs?, priority?}}.
 * Parsing only checks shapes and ranges; whether the type and supervisor exist is the engine's business (404).
 *
 * <p>{@code uniqueForMs} (with a {@code key}; default 0): how long after the keyed task ended a submit with the
 * same key still answers that task instead of running a new one (Oban's unique {@code period}). A client that
 * retries a submit whose answer it did not get (a 408 during a restart) sets it above its retry horizon.
 *
 * <p>{@code priority} ({@link #MIN_PRIORITY}..{@link #MAX_PRIORITY}, default 0): within its supervisor a higher one
 * starts first, with aging ({@link Workers}).
 */
record TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                       long withinMs, Long timeoutMs, String key, long uniqueForMs, int priority) {

  static final int MIN_PRIORITY = -10;
  static final int MAX_PRIORITY = 10;

  /** A spec of the default priority. */
  public TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                  long withinMs, Long timeoutMs, String key, long uniqueForMs) {
    this(type, payload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, uniqueForMs, 0);
  }

  /** A spec without a key window (the common case, and every task rebuilt from a record). */
  public TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                  long withinMs, Long timeoutMs, String key) {
    this(type, payload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, 0);
  }

  static final long MAX_MS = 86_400_000L;

  /** @param maxRestarts default when the body has none; {@code withinMs} likewise */
  static TaskSpec parse(Object body, int maxRestarts, long withinMs) {
    if (body instanceof JsonObject o) {
      TaskSpec valid = fast(o, maxRestarts, withinMs);
      if (valid != null) {
        return valid;
      }
    }
    return checked(body, maxRestarts, withinMs);
  }

  /**
   * The submit path runs this hundreds of thousands of times a second: one pass over a body that is plainly
   * valid, or null to let {@link #checked} find and name what is wrong (or accept what is unusual but valid,
   * like {@code 5.0} for 5, or a {@code version}).
   */
  private static TaskSpec fast(JsonObject o, int maxRestarts, long withinMs) {
    Map<String, Object> m = o.getMap();
    int found = 0;
    Object type = m.get("type");
    if (!(type instanceof String t) || t.length() > 100 || t.isBlank()) {
      return null;
    }
    found++;
    Object payload = o.getValue("payload");
    if (payload != null) {
      found++;
    }
    String supervisor = SupervisorConfig.DEFAULT;
    Object v = m.get("supervisor");
    if (v != null) {
      if (!(v instanceof String s) || s.length() > 64 || s.isBlank()) {
        return null;
      }
      supervisor = s;
      found++;
    }
    Restart restart = Restart.TEMPORARY;
    v = m.get("restart");
    if (v != null) {
      if ("temporary".equals(v)) {
        restart = Restart.TEMPORARY;
      } else if ("transient".equals(v)) {
        restart = Restart.TRANSIENT;
      } else if ("permanent".equals(v)) {
        restart = Restart.PERMANENT;
      } else {
        return null;
      }
      found++;
    }
    int restarts = maxRestarts;
    v = m.get("maxRestarts");
    if (v != null) {
      long n = whole(v);
      if (n < 0 || n > 1_000) {
        return null;
      }
      restarts = (int) n;
      found++;
    }
    long within = withinMs;
    v = m.get("withinMs");
    if (v != null) {
      within = whole(v);
      if (within < 1 || within > MAX_MS) {
        return null;
      }
      found++;
    }
    Long timeout = null;
    v = m.get("timeoutMs");
    if (v != null) {
      long n = whole(v);
      if (n < 1 || n > MAX_MS) {
        return null;
      }
      timeout = n;
      found++;
    }
    String key = null;
    v = m.get("key");
    if (v != null) {
      if (!(v instanceof String s) || s.length() > 200 || s.isBlank()) {
        return null;
      }
      key = s;
      found++;
    }
    if (m.containsKey("uniqueForMs") || m.containsKey("priority")) {
      return null;
    }
    // Another field (unknown, or a version), or a field set to null: the checked path decides.
    return found != m.size() ? null : new TaskSpec(t, payload, supervisor, restart, restarts, within, timeout, key);
  }

  /** An Integer or Long; -1 for anything else (then {@link #checked} decides). */
  private static long whole(Object v) {
    return v instanceof Integer i ? i : v instanceof Long l ? l : -1;
  }

  private static TaskSpec checked(Object body, int maxRestarts, long withinMs) {
    Fields f = Fields.of(body);
    String type = f.string("type", null, 100);
    if (type == null) {
      throw f.bad("type", "is required (a task type, e.g. echo, sleep, fail, bus)");
    }
    TaskSpec spec = new TaskSpec(type,
      f.value("payload"),
      f.string("supervisor", SupervisorConfig.DEFAULT, 64),
      Restart.of(f.oneOf("restart", "temporary", Restart.NAMES)),
      f.integer("maxRestarts", maxRestarts, 0, 1_000),
      f.longValue("withinMs", withinMs, 1, MAX_MS),
      f.optionalLong("timeoutMs", 1, MAX_MS),
      f.string("key", null, 200),
      f.longValue("uniqueForMs", 0, 0, MAX_MS),
      f.integer("priority", 0, MIN_PRIORITY, MAX_PRIORITY));
    if (spec.uniqueForMs() > 0 && spec.key() == null) {
      throw f.bad("uniqueForMs", "needs a key (it keeps a finished task's key bound)");
    }
    f.done();
    return spec;
  }

  /** The same spec with another payload. */
  TaskSpec withPayload(Object newPayload) {
    return new TaskSpec(type, newPayload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, uniqueForMs, priority);
  }

  public boolean durable() {
    return restart.durable();
  }
}
