package io.steward.tasks;

import io.steward.bus.Fields;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * A submitted task as asked for: the body of {@code steward.tasks.submit} and {@code steward.tasks.run},
 * {@code {type, payload?, supervisor?, restart?, maxRestarts?, withinMs?, timeoutMs?, key?, uniqueForMs?, priority?,
 * delayMs?, runAt?}}.
 * Parsing only checks shapes and ranges; whether the type and supervisor exist is the engine's business (404).
 *
 * <p>{@code uniqueForMs} (with a {@code key}; default 0): how long after the keyed task ended a submit with the
 * same key still answers that task instead of running a new one (Oban's unique {@code period}). A client that
 * retries a submit whose answer it did not get (a 408 during a restart) sets it above its retry horizon.
 *
 * <p>{@code priority} ({@link #MIN_PRIORITY}..{@link #MAX_PRIORITY}, default 0): within its supervisor a higher one
 * starts first, with aging ({@link Workers}).
 *
 * <p>{@code delayMs} (0 to {@link #MAX_DELAY_MS}) or {@code runAt} (epoch ms or an ISO-8601 instant), not both: the
 * task waits in state {@code scheduled} until then ({@link #dueAt}).
 */
record TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                       long withinMs, Long timeoutMs, String key, long uniqueForMs, int priority, Long delayMs,
                       Long runAt) {

  static final int MIN_PRIORITY = -10;
  static final int MAX_PRIORITY = 10;

  /** A spec of a priority that runs as soon as it is accepted (every task rebuilt from a record: its due time is its own). */
  public TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                  long withinMs, Long timeoutMs, String key, long uniqueForMs, int priority) {
    this(type, payload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, uniqueForMs, priority, null, null);
  }

  /** A spec without a key window (the common case, and every task rebuilt from a record). */
  public TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                  long withinMs, Long timeoutMs, String key) {
    this(type, payload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, 0);
  }

  /** A spec that runs as soon as it is accepted (no {@code delayMs} nor {@code runAt}). */
  public TaskSpec(String type, Object payload, String supervisor, Restart restart, int maxRestarts,
                  long withinMs, Long timeoutMs, String key, long uniqueForMs) {
    this(type, payload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, uniqueForMs, 0, null, null);
  }

  static final long MAX_MS = 86_400_000L;
  /** The longest {@code delayMs}, and how far ahead a {@code runAt} may be: 366 days. */
  static final long MAX_DELAY_MS = 366 * MAX_MS;
  /**
   * How far in the past a {@code runAt} may be and still be accepted (it runs at once): a client's clock a little
   * behind, a retried submit. Further in the past is a 400 (a date computed wrongly, a unit mistaken).
   */
  static final long PAST_TOLERANCE_MS = 60_000L;

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
      f.integer("priority", 0, MIN_PRIORITY, MAX_PRIORITY),
      f.optionalLong("delayMs", 0, MAX_DELAY_MS),
      runAt(f));
    if (spec.uniqueForMs() > 0 && spec.key() == null) {
      throw f.bad("uniqueForMs", "needs a key (it keeps a finished task's key bound)");
    }
    if (spec.delayMs() != null && spec.runAt() != null) {
      throw f.bad("runAt", "give delayMs or runAt, not both");
    }
    f.done();
    return spec;
  }

  /** {@code runAt}: epoch milliseconds, or an ISO-8601 instant ({@code 2026-12-07T08:00:00Z}, or with an offset). */
  private static Long runAt(Fields f) {
    Object v = f.value("runAt");
    if (v == null) {
      return null;
    }
    long at;
    if (v instanceof String s) {
      try {
        at = java.time.OffsetDateTime.parse(s).toInstant().toEpochMilli();
      } catch (java.time.DateTimeException | ArithmeticException e) {
        throw f.bad("runAt", "must be epoch milliseconds or an ISO-8601 instant with a zone "
          + "(e.g. 2026-12-07T08:00:00Z), got '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'");
      }
    } else if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
      && Math.abs(n.doubleValue()) <= 9.0e15) {
      at = n.longValue();
    } else {
      throw f.bad("runAt", "must be epoch milliseconds or an ISO-8601 instant, got " + Fields.typeName(v));
    }
    if (at <= 0) {
      throw f.bad("runAt", "must be a positive epoch-milliseconds date, got " + at);
    }
    return at;
  }

  /**
   * When the task is due on {@code now}'s clock (epoch ms), or 0 to run at once: no delay, a {@code delayMs} of 0, a
   * {@code runAt} now or up to {@link #PAST_TOLERANCE_MS} ago. A 400 for a {@code runAt} further in the past, or
   * more than {@link #MAX_DELAY_MS} ahead.
   */
  long dueAt(long now) {
    if (delayMs != null) {
      return delayMs == 0 ? 0 : now + delayMs;
    }
    if (runAt == null) {
      return 0;
    }
    if (runAt < now - PAST_TOLERANCE_MS) {
      throw io.steward.bus.StewardException.badRequest("runAt", "is " + (now - runAt) + " ms in the past (at most "
        + PAST_TOLERANCE_MS + " ms is accepted, and runs at once); check the date and its unit (epoch milliseconds)");
    }
    if (runAt - now > MAX_DELAY_MS) {
      throw io.steward.bus.StewardException.badRequest("runAt", "is more than " + MAX_DELAY_MS + " ms (366 days) "
        + "ahead, got " + (runAt - now) + " ms; check the date and its unit (epoch milliseconds)");
    }
    return runAt <= now ? 0 : runAt;
  }

  /** The same spec with another payload. */
  TaskSpec withPayload(Object newPayload) {
    return new TaskSpec(type, newPayload, supervisor, restart, maxRestarts, withinMs, timeoutMs, key, uniqueForMs,
      priority, delayMs, runAt);
  }

  public boolean durable() {
    return restart.durable();
  }
}
