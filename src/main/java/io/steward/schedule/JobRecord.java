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
  static final String DELETED = "deleted";

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

  /**
   * The stored text of a deleted job: a tombstone with a version above the job's last, so that after a split brain
   * the delete wins over an older copy of the job kept by the other side ({@link JobsMergePolicy}). Readers treat it
   * as absent; it is purged after {@code schedule.tombstoneRetentionMinutes}.
   */
  static String tombstone(long version, long deletedAt) {
    return new JsonObject().put(DELETED, true).put("version", version).put("deletedAt", deletedAt).encode();
  }

  static boolean isTombstone(String stored) {
    return new JsonObject(stored).getBoolean(DELETED, false);
  }

  /** When a tombstone's job was deleted (epoch ms). */
  static long deletedAt(String tombstone) {
    return new JsonObject(tombstone).getLong("deletedAt");
  }

  /** The version of stored text, job or tombstone. */
  static long storedVersion(String stored) {
    return new JsonObject(stored).getLong("version");
  }

  /** Throws on a tombstone: check {@link #isTombstone} first. */
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
