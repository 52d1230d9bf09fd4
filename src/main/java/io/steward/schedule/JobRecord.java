package io.steward.schedule;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A job as stored in the cluster map {@code steward.schedule.jobs}: the canonical spec and what the cluster
 * knows about it. {@code since} is when the current definition took effect (ticks at or before it are neither
 * fired nor counted as missed); {@code version} grows with every change, so a node never applies an older
 * copy over a newer one.
 */
record JobRecord(JobSpec spec, long version, long createdAt, long updatedAt, long since, boolean paused,
                 long pausedAt, long resumedAt) {

  static final String SPEC = "spec";

  String name() {
    return spec.name();
  }

  /** Whether the job fires at all now (enabled, not paused). */
  boolean live() {
    return spec.enabled() && !paused;
  }

  Schedule schedule() {
    return spec.schedule(since);
  }

  /** Whether a tick fell in the last pause (for the reason recorded with a missed tick). */
  boolean inPause(long tick) {
    return pausedAt > 0 && tick >= pausedAt && (resumedAt < pausedAt || tick < resumedAt);
  }

  /** The stored JSON. */
  JsonObject toStored() {
    return new JsonObject().put(SPEC, spec.toJson()).put("version", version).put("createdAt", createdAt)
      .put("updatedAt", updatedAt).put("since", since).put("paused", paused).put("pausedAt", pausedAt)
      .put("resumedAt", resumedAt);
  }

  static JobRecord fromStored(String text) {
    JsonObject o = new JsonObject(text);
    return new JobRecord(JobSpec.parse(o.getJsonObject(SPEC)), o.getLong("version"), o.getLong("createdAt"),
      o.getLong("updatedAt"), o.getLong("since"), o.getBoolean("paused"), o.getLong("pausedAt", 0L),
      o.getLong("resumedAt", 0L));
  }

  /** The API view: the spec's fields plus state. */
  JsonObject toApi() {
    JsonObject o = spec.toJson().put("paused", paused).put("version", version)
      .put("createdAt", iso(createdAt)).put("updatedAt", iso(updatedAt));
    if (paused) {
      o.put("pausedAt", iso(pausedAt));
    }
    return o;
  }

  static String iso(long ms) {
    return Instant.ofEpochMilli(ms).toString();
  }
}
