package io.steward.client;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A job as stored ({@code steward.schedule.put}, {@code .get}, {@code .pause}, {@code .resume}): whether it is
 * paused, its next fire time, its last run and run counts; {@code json} is the whole answer (the definition too).
 */
public record JobInfo(String name, boolean paused, long version, Instant nextFireAt, JobRun lastRun, JsonObject runs,
                      JsonObject json) {

  static JobInfo from(JsonObject o) {
    JsonObject last = o.getJsonObject("lastRun");
    return new JobInfo(o.getString("name"), o.getBoolean("paused", false), o.getLong("version", 0L),
      JobRun.instant(o.getValue("nextFireAt")), last == null ? null : JobRun.from(last),
      o.getJsonObject("runs", new JsonObject()), o);
  }
}
