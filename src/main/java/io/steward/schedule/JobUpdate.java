package io.steward.schedule;

import com.hazelcast.map.EntryProcessor;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The changes to a stored job, applied where the entry lives so that concurrent puts, pauses and resumes never
 * overwrite each other. Works on the stored JSON text only (no parsing of cron or actions here). Returns the
 * new stored text prefixed by what happened ({@code created|}, {@code updated|}, {@code unchanged|}), or null
 * when the job does not exist (pause/resume/delete; a tombstone counts as absent). Versions are at least the time of the change, so a job deleted and
 * created again never goes back in version on a node that missed the deletion.
 */
final class JobUpdate implements EntryProcessor<String, String, String> {

  private static final long serialVersionUID = 1L;

  enum Kind { PUT, PAUSE, RESUME, DELETE, PURGE }

  private final Kind kind;
  private final String specJson;
  private final long now;
  /** For a delete: the version of the job on the deleting node, or {@link Long#MIN_VALUE} if it knows none. */
  private final long known;

  private JobUpdate(Kind kind, String specJson, long now) {
    this(kind, specJson, now, Long.MIN_VALUE);
  }

  private JobUpdate(Kind kind, String specJson, long now, long known) {
    this.kind = kind;
    this.specJson = specJson;
    this.now = now;
    this.known = known;
  }

  static JobUpdate put(JobSpec spec, long now) {
    return new JobUpdate(Kind.PUT, spec.toJson().encode(), now);
  }

  static JobUpdate pause(long now) {
    return new JobUpdate(Kind.PAUSE, null, now);
  }

  static JobUpdate resume(long now) {
    return new JobUpdate(Kind.RESUME, null, now);
  }

  /**
   * Replaces the job by a tombstone ({@link JobRecord#tombstone}); answers {@code deleted|<tombstone>}. When the map
   * has no entry but the deleting node knows the job at version {@code known} (its side of a split brain lost the
   * partition holding it, while the other side still has the job), the tombstone is written anyway, above that
   * version, so that the delete wins the merge. {@code known} is {@link Long#MIN_VALUE} when the node knows none.
   */
  static JobUpdate delete(long now, long known) {
    return new JobUpdate(Kind.DELETE, null, now, known);
  }

  /** Removes the entry if it is a tombstone of a delete made at or before {@code cutoff}; answers {@code purged|}. */
  static JobUpdate purge(long cutoff) {
    return new JobUpdate(Kind.PURGE, null, cutoff);
  }

  @Override
  public String process(Map.Entry<String, String> entry) {
    String current = entry.getValue();
    if (kind == Kind.PURGE) {
      if (current != null && JobRecord.isTombstone(current) && JobRecord.deletedAt(current) <= now) {
        entry.setValue(null);
        return "purged|";
      }
      return null;
    }
    long buried = Long.MIN_VALUE;
    if (current != null && JobRecord.isTombstone(current)) {
      buried = JobRecord.storedVersion(current);
      current = null;
    }
    if (kind == Kind.DELETE) {
      if (buried != Long.MIN_VALUE || (current == null && known == Long.MIN_VALUE)) {
        return null;
      }
      long above = current != null ? new JsonObject(current).getLong("version") : known;
      String tombstone = JobRecord.tombstone(Math.max(above + 1, now), now);
      entry.setValue(tombstone);
      return "deleted|" + tombstone;
    }
    if (kind == Kind.PUT) {
      JsonObject spec = new JsonObject(specJson);
      if (current == null) {
        // Created again after a delete: above the tombstone's version, so it wins a merge against it.
        long version = buried == Long.MIN_VALUE ? now : Math.max(buried + 1, now);
        JsonObject stored = new JsonObject().put(JobRecord.SPEC, spec).put("version", version).put("createdAt", now)
          .put("updatedAt", now).put("since", now).put("paused", false).put("pausedAt", 0L).put("resumedAt", 0L);
        entry.setValue(stored.encode());
        return "created|" + stored.encode();
      }
      JsonObject stored = new JsonObject(current);
      if (stored.getJsonObject(JobRecord.SPEC).equals(spec)) {
        return "unchanged|" + current;
      }
      // A new definition: its ticks count from now; paused stays as the operator left it.
      stored.put(JobRecord.SPEC, spec).put("version", Math.max(stored.getLong("version") + 1, now)).put("updatedAt", now).put("since", now);
      entry.setValue(stored.encode());
      return "updated|" + stored.encode();
    }
    if (current == null) {
      return null;
    }
    JsonObject stored = new JsonObject(current);
    boolean pause = kind == Kind.PAUSE;
    if (stored.getBoolean("paused") == pause) {
      return "unchanged|" + current;
    }
    stored.put("paused", pause).put("version", Math.max(stored.getLong("version") + 1, now)).put("updatedAt", now)
      .put(pause ? "pausedAt" : "resumedAt", now);
    entry.setValue(stored.encode());
    return "updated|" + stored.encode();
  }
}
