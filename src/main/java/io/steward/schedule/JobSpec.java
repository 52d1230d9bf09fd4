package io.steward.schedule;

import io.steward.bus.Door;
import io.steward.bus.Fields;
import io.steward.bus.StewardException;
import io.vertx.core.json.JsonObject;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * A job as the user defines it, validated: every bad field is a 400 naming the field ({@code cron: needs 6
 * fields …}, {@code zone: unknown time zone 'Mars/Base'}, {@code every: must be greater than 0}, {@code action: is
 * required}). {@link #toJson()} is the canonical form stored in the cluster and compared on replace.
 */
record JobSpec(
  String name,
  Long everyMs,
  String cron,
  ZoneId zone,
  Action action,
  RunOn runOn,
  Overlap overlap,
  int queueLimit,
  Misfire misfire,
  long jitterMs,
  Long startAt,
  Long endAt,
  boolean enabled,
  String description,
  Door door) {

  static final int MAX_NAME = 200;
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");
  static final int MAX_QUEUE = 1_000;
  static final long MAX_JITTER_MS = 3_600_000;

  /** Parses a request body or a configured job; {@code fields.done()} is called, so unknown fields are a 400. */
  static JobSpec parse(Fields f) {
    String name = f.string("name", null, MAX_NAME);
    if (name == null) {
      throw f.bad("name", "is required");
    }
    if (!NAME.matcher(name).matches()) {
      throw f.bad("name", "may contain letters, digits and . _ : - and must start with a letter or digit, got '" + name + "'");
    }
    Object every = f.value("every");
    String cron = f.string("cron", null, 200);
    if (every == null && cron == null) {
      throw f.bad("every", "a job needs either every (30s, 5m, 1h or milliseconds) or cron (6 fields with seconds, or @hourly, @daily, …)");
    }
    if (every != null && cron != null) {
      throw f.bad("cron", "give either every or cron, not both");
    }
    Long everyMs = null;
    if (every != null) {
      try {
        everyMs = Every.parse(every);
      } catch (IllegalArgumentException e) {
        throw f.bad("every", e.getMessage());
      }
    }
    String zoneText = f.string("zone", null, 100);
    if (zoneText != null && cron == null) {
      throw f.bad("zone", "applies only to cron schedules (every is a fixed period of real time)");
    }
    ZoneId zone = ZoneOffset.UTC;
    if (zoneText != null) {
      try {
        zone = ZoneId.of(zoneText.strip());
      } catch (DateTimeException e) {
        throw f.bad("zone", "unknown time zone '" + zoneText + "' (use an IANA name such as Europe/Berlin, or UTC)");
      }
    }
    JsonObject actionJson = f.object("action");
    if (actionJson == null) {
      if (f.json().containsKey("action")) {
        throw f.bad("action", "must be a JSON object, got " + Fields.typeName(f.json().getValue("action")));
      }
      throw f.bad("action", "is required: {type: send|publish|task, …}");
    }
    Action action = Action.parse(actionJson);
    Object runOnValue = f.value("runOn");
    RunOn runOn = runOnValue == null ? RunOn.CLUSTER_ONCE : RunOn.parse(runOnValue, f);
    Overlap overlap = Overlap.of(f.oneOf("overlap", "skip", Overlap.NAMES));
    Long queueLimitValue = f.optionalLong("queueLimit", 1, MAX_QUEUE);
    if (queueLimitValue != null && overlap != Overlap.QUEUE) {
      throw f.bad("queueLimit", "applies only with overlap: queue");
    }
    int queueLimit = queueLimitValue == null ? 10 : queueLimitValue.intValue();
    Misfire misfire = Misfire.of(f.oneOf("misfire", "skip", Misfire.NAMES));
    long jitterMs = f.longValue("jitterMs", 0, 0, MAX_JITTER_MS);
    if (everyMs != null && jitterMs >= everyMs) {
      throw f.bad("jitterMs", "must be less than the period (" + everyMs + " ms), got " + jitterMs);
    }
    Long startAt = instant(f, "startAt");
    Long endAt = instant(f, "endAt");
    if (startAt != null && endAt != null && endAt <= startAt) {
      throw f.bad("endAt", "must be after startAt");
    }
    boolean enabled = f.bool("enabled", true);
    String description = f.string("description", null, 1_000);
    Object doorJson = f.value("door");
    Door door = doorJson == null ? null : Door.fromJson(doorJson, "door");
    f.done();
    JobSpec spec = new JobSpec(name, everyMs, cron == null ? null : cron.strip(), zone, action, runOn, overlap,
      queueLimit, misfire, jitterMs, startAt, endAt, enabled, description, door);
    if (cron != null) {
      CronSchedule parsed;
      try {
        parsed = CronSchedule.parse(cron, zone);
      } catch (IllegalArgumentException e) {
        throw f.bad("cron", e.getMessage());
      }
      long from = startAt == null ? Instant.now().toEpochMilli() : startAt;
      if (parsed.next(from) == Schedule.NONE) {
        throw f.bad("cron", "'" + cron + "' never fires");
      }
    }
    return spec;
  }

  /**
   * A job put through a door (a bridge, HTTP): it fires later, so every address its action will send to is
   * checked now (a 403 naming the first the door does not permit), and the job keeps the door's rule, which
   * every message it sends carries ({@link ActionRunner}).
   */
  JobSpec throughDoor(Door through) {
    action.checkTargets(through);
    return new JobSpec(name, everyMs, cron, zone, action, runOn, overlap, queueLimit, misfire, jitterMs, startAt, endAt,
      enabled, description, through);
  }

  static JobSpec parse(JsonObject json) {
    return parse(Fields.nested(json, ""));
  }

  private static Long instant(Fields f, String name) {
    Object v = f.value(name);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      if (n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 0) {
        throw f.bad(name, "must be an ISO-8601 instant (2025-01-31T08:00:00Z) or epoch milliseconds, got " + n);
      }
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return OffsetDateTime.parse(s.strip()).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        throw f.bad(name, "must be an ISO-8601 instant with an offset (2025-01-31T08:00:00Z), got '" + s + "'");
      }
    }
    throw f.bad(name, "must be an ISO-8601 instant or epoch milliseconds, got " + Fields.typeName(v));
  }

  /**
   * The ticks of this job, for a definition that took effect at {@code sinceMs}. An interval counts from
   * {@code startAt} (first tick at startAt) or else from {@code sinceMs} (first tick one period later).
   */
  Schedule schedule(long sinceMs) {
    Schedule base = everyMs != null
      ? new IntervalSchedule(startAt != null ? startAt : sinceMs, everyMs)
      : CronSchedule.parse(cron, zone);
    if (startAt == null && endAt == null) {
      return base;
    }
    return new WindowedSchedule(base, startAt == null ? Long.MIN_VALUE : startAt, endAt == null ? Long.MAX_VALUE : endAt);
  }

  /** The canonical JSON: what is stored, returned and compared. */
  JsonObject toJson() {
    JsonObject o = new JsonObject().put("name", name);
    if (everyMs != null) {
      o.put("every", Every.format(everyMs));
    } else {
      o.put("cron", cron).put("zone", zone.getId());
    }
    o.put("action", action.toJson())
      .put("runOn", runOn.toJson())
      .put("overlap", overlap.text);
    if (overlap == Overlap.QUEUE) {
      o.put("queueLimit", queueLimit);
    }
    o.put("misfire", misfire.text).put("jitterMs", jitterMs);
    if (startAt != null) {
      o.put("startAt", Instant.ofEpochMilli(startAt).toString());
    }
    if (endAt != null) {
      o.put("endAt", Instant.ofEpochMilli(endAt).toString());
    }
    o.put("enabled", enabled);
    if (description != null) {
      o.put("description", description);
    }
    if (door != null) {
      o.put("door", door.toJson());
    }
    return o;
  }

  /** A 500 for a job that is stored but that this node cannot read (a node with a newer Steward wrote it). */
  static StewardException unreadable(String name) {
    return new StewardException(io.steward.bus.Failure.HANDLER_FAILED, "the stored job '" + name + "' cannot be read "
      + "by this node (written by a newer Steward?); see this node's log, and upgrade it");
  }
}
