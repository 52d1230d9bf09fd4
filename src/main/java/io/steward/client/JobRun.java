package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One run of a job: when it was due and started, how long it took, where, and its {@code outcome}
 * ({@code succeeded}, {@code failed}, {@code missed}, {@code skipped}); {@code trigger} for a manual run.
 */
public record JobRun(String name, Instant scheduledAt, Instant startedAt, Long durationMs, String node, String outcome,
                     String error, boolean trigger, JsonObject json) {

  static JobRun from(JsonObject o) {
    return new JobRun(o.getString("name"), instant(o.getValue("scheduledAt")), instant(o.getValue("startedAt")),
      o.getLong("durationMs"), o.getString("node"), o.getString("outcome"), o.getString("error"),
      o.getBoolean("trigger", false), o);
  }

  static Instant instant(Object v) {
    if (v instanceof Number n) {
      return Instant.ofEpochMilli(n.longValue());
    }
    return v instanceof String s ? Instant.parse(s) : null;
  }
}
