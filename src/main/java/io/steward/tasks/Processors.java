package io.steward.tasks;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.query.Predicate;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The atomic steps and queries on Steward's task maps, run by Hazelcast where the data is (an entry processor
 * runs on the partition that owns the key, and the same step on its backup). Each is deterministic, so
 * primary and backup agree. Records are JSON text.
 */
final class Processors {

  private static final Set<String> LIVE_STATES = Set.of(TaskState.PENDING.wire(), TaskState.RUNNING.wire(),
    TaskState.RESTARTING.wire());

  private Processors() {
  }

  /**
   * Takes over a live durable task of a departed node: only if its owner is still {@code deadOwner}, so exactly
   * one survivor wins each task. Returns the updated record, or null when another node got it first, or it
   * ended, or it is gone.
   */
  static final class Claim implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String deadOwner;
    private final String newOwner;

    Claim(String deadOwner, String newOwner) {
      this.deadOwner = deadOwner;
      this.newOwner = newOwner;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null) {
        return null;
      }
      JsonObject rec = new JsonObject(v);
      if (!deadOwner.equals(rec.getString("node")) || !LIVE_STATES.contains(rec.getString("state"))) {
        return null;
      }
      rec.put("node", newOwner).put("takeovers", rec.getInteger("takeovers", 0) + 1)
        .put("lostNode", deadOwner).put("lostState", rec.getString("state"));
      String out = rec.encode();
      entry.setValue(out);
      return out;
    }
  }

  /** Live records whose owner is not a live node. */
  static final class Orphans implements Predicate<String, String> {
    private static final long serialVersionUID = 1L;
    private final Set<String> liveNodes;

    Orphans(Set<String> liveNodes) {
      this.liveNodes = liveNodes;
    }

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      JsonObject rec = new JsonObject(entry.getValue());
      return LIVE_STATES.contains(rec.getString("state")) && !liveNodes.contains(rec.getString("node"));
    }
  }

  /** Records of one supervisor and/or type (null: any). */
  static final class Matching implements Predicate<String, String> {
    private static final long serialVersionUID = 1L;
    private final String supervisor;
    private final String type;

    Matching(String supervisor, String type) {
      this.supervisor = supervisor;
      this.type = type;
    }

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      if (supervisor == null && type == null) {
        return true;
      }
      JsonObject rec = new JsonObject(entry.getValue());
      return (supervisor == null || supervisor.equals(rec.getString("supervisor")))
        && (type == null || type.equals(rec.getString("type")));
    }
  }

  /**
   * Takes back the live record of a submit that could not be confirmed (its batch write failed, perhaps after
   * writing it): removes it if it is still {@code owner}'s and live. True when the record is gone (removed, or
   * never written), false when it is no longer the submitter's to take back (a survivor took it over).
   */
  static final class Withdraw implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String owner;

    Withdraw(String owner) {
      this.owner = owner;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null) {
        return true;
      }
      JsonObject rec = new JsonObject(v);
      if (!owner.equals(rec.getString("node")) || !LIVE_STATES.contains(rec.getString("state"))) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  /** Binds an idempotency key to a task id unless it is bound: returns the id already bound, or null. */
  static final class BindKey implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String id;
    private final long ttlMs;

    BindKey(String id, long ttlMs) {
      this.id = id;
      this.ttlMs = ttlMs;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String existing = entry.getValue();
      if (existing != null) {
        return existing;
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(id, ttlMs, TimeUnit.MILLISECONDS);
      return null;
    }
  }

  /**
   * Moves a key from a finished task to a new one; false when someone else moved it first. With {@code expected}
   * equal to {@code id}, keeps a finished task's key bound for {@code ttlMs} more.
   */
  static final class RebindKey implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String expected;
    private final String id;
    private final long ttlMs;

    RebindKey(String expected, String id, long ttlMs) {
      this.expected = expected;
      this.id = id;
      this.ttlMs = ttlMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (!Objects.equals(entry.getValue(), expected)) {
        return false;
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(id, ttlMs, TimeUnit.MILLISECONDS);
      return true;
    }
  }

  /** Frees a key if it is still bound to this task. */
  static final class UnbindKey implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String id;

    UnbindKey(String id) {
      this.id = id;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (!id.equals(entry.getValue())) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }
}
