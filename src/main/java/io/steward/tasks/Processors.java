package io.steward.tasks;

import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Objects;

/**
 * The atomic steps on Steward's task maps, run by Hazelcast on the partition that owns the key (and the same
 * step on its backup). Each is deterministic, so primary and backup agree.
 */
final class Processors {

  private Processors() {
  }

  /**
   * Takes over a durable task of a departed node: only if its owner is still {@code deadOwner}, so exactly
   * one survivor wins each task. Returns the updated record, or null when another node got it first (or it
   * is gone).
   */
  static final class Claim implements EntryProcessor<String, HazelcastJsonValue, String> {
    private static final long serialVersionUID = 1L;
    private final String deadOwner;
    private final String newOwner;

    Claim(String deadOwner, String newOwner) {
      this.deadOwner = deadOwner;
      this.newOwner = newOwner;
    }

    @Override
    public String process(Map.Entry<String, HazelcastJsonValue> entry) {
      HazelcastJsonValue v = entry.getValue();
      if (v == null) {
        return null;
      }
      JsonObject rec = new JsonObject(v.getValue());
      if (!deadOwner.equals(rec.getString("node"))) {
        return null;
      }
      rec.put("node", newOwner).put("takeovers", rec.getInteger("takeovers", 0) + 1)
        .put("lostNode", deadOwner).put("lostState", rec.getString("state"));
      String out = rec.encode();
      entry.setValue(new HazelcastJsonValue(out));
      return out;
    }
  }

  /** Binds an idempotency key to a task id unless it is bound: returns the id already bound, or null. */
  static final class BindKey implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String id;

    BindKey(String id) {
      this.id = id;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String existing = entry.getValue();
      if (existing != null) {
        return existing;
      }
      entry.setValue(id);
      return null;
    }
  }

  /** Moves a key from a finished task to a new one; false when someone else moved it first. */
  static final class RebindKey implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String expected;
    private final String id;

    RebindKey(String expected, String id) {
      this.expected = expected;
      this.id = id;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (!Objects.equals(entry.getValue(), expected)) {
        return false;
      }
      entry.setValue(id);
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

  /** Deletes entries (a batch of keys in one call). */
  static final class Delete implements EntryProcessor<String, HazelcastJsonValue, Boolean> {
    private static final long serialVersionUID = 1L;
    static final Delete INSTANCE = new Delete();

    @Override
    public Boolean process(Map.Entry<String, HazelcastJsonValue> entry) {
      boolean present = entry.getValue() != null;
      entry.setValue(null);
      return present;
    }
  }
}
