package io.steward.tasks;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.query.Predicate;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The atomic steps and queries on Steward's task maps, run by Hazelcast where the data is (an entry processor
 * runs on the partition that owns the key, and the same step on its backup). Each is deterministic, so
 * primary and backup agree. Records are JSON text.
 */
final class Processors {

  private static final Set<String> LIVE_STATES = Set.of(TaskState.PENDING.wire(), TaskState.RUNNING.wire(),
    TaskState.RESTARTING.wire(), TaskState.SCHEDULED.wire());

  private Processors() {
  }

  /**
   * Takes over a live durable task of a departed node: only if its owner is still {@code deadOwner}, so exactly
   * one survivor wins each task. Returns the updated record, or null when another node got it first, or it
   * ended, or it is gone. The record keeps {@code claimId}: when Hazelcast runs the claim again (a member lost
   * while it was in flight, after the first run was applied and backed up), the retry finds its own claim and
   * answers the record again, and a claimer that never got an answer finds it in the next sweep ({@link Orphans}).
   */
  static final class Claim implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 2L;
    private final String deadOwner;
    private final String newOwner;
    private final String claimId;

    Claim(String deadOwner, String newOwner, String claimId) {
      this.deadOwner = deadOwner;
      this.newOwner = newOwner;
      this.claimId = claimId;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null) {
        return null;
      }
      JsonObject rec = new JsonObject(v);
      if (!LIVE_STATES.contains(rec.getString("state"))) {
        return null;
      }
      if (newOwner.equals(rec.getString("node")) && claimId.equals(rec.getString("claimId"))) {
        return v; // this very claim, applied before
      }
      if (!deadOwner.equals(rec.getString("node"))) {
        return null;
      }
      rec.put("node", newOwner).put("takeovers", rec.getInteger("takeovers", 0) + 1)
        .put("lostNode", deadOwner).put("lostState", rec.getString("state")).put("claimId", claimId);
      String out = rec.encode();
      entry.setValue(out);
      return out;
    }
  }

  /**
   * Writes a record of {@code owner}'s task only while the task is still {@code owner}'s: when the record there names
   * another node, that node took the task over (this one was declared dead: a partition, a pause past failure
   * detection) and runs it; the write is dropped and the answer is that node's id ({@link #REFUSED_BY} and the id of the
   * node that refused it when the record is a refused submit's tombstone). Null when written (also when there
   * was no record: it was lost, and this owner's is the only one left). {@code ttlMs} 0 for a live record, else a
   * final one kept that long. The fence that keeps a node that was cut off from running a task again, or from
   * overwriting the survivor's record (with its {@code takeovers} and {@code possibleDuplicate}) once the sides merge
   * (fault campaign, seeds 100, 101, 112).
   */
  static final class WriteOwned implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String owner;
    private final String json;
    private final long ttlMs;

    WriteOwned(String owner, String json, long ttlMs) {
      this.owner = owner;
      this.json = json;
      this.ttlMs = ttlMs;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v != null) {
        JsonObject rec = new JsonObject(v);
        String holder = rec.getString("node");
        if (refused(rec)) {
          return REFUSED_BY + holder; // never written over: a copy of a refused submit, applied late on a cut-off side
        }
        if (holder != null && !holder.equals(owner)) {
          return holder;
        }
      }
      if (ttlMs > 0) {
        ((ExtendedMapEntry<String, String>) entry).setValue(json, ttlMs, TimeUnit.MILLISECONDS);
      } else {
        entry.setValue(json);
      }
      return null;
    }
  }

  /**
   * Live records whose owner is not a live node, and live records {@code self} claimed (they carry the claim
   * id until their new owner writes them again): the caller re-runs a claim of its own that it does not run.
   */
  static final class Orphans implements Predicate<String, String> {
    private static final long serialVersionUID = 2L;
    private final Set<String> liveNodes;
    private final String self;

    Orphans(Set<String> liveNodes, String self) {
      this.liveNodes = liveNodes;
      this.self = self;
    }

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      JsonObject rec = new JsonObject(entry.getValue());
      if (!LIVE_STATES.contains(rec.getString("state"))) {
        return false;
      }
      String node = rec.getString("node");
      return !liveNodes.contains(node) || (self.equals(node) && rec.containsKey("claimId"));
    }
  }

  /** The mark a taken record of temporary tasks carries: {@code taken <claimId>}, a newline, the record. */
  static final String TAKEN = "taken ";

  /**
   * Takes a departed node's record of temporary tasks for one survivor: returns the record to the first claim and
   * leaves it marked as taken by {@code claimId} for {@code ttlMs}, so a retry of the same claim (Hazelcast runs it
   * again after a member loss) answers the record again and any other claim answers null. The taker deletes the
   * mark once it has reported the tasks ({@link ForgetTaken}).
   */
  static final class TakeLiveRecord implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String claimId;
    private final long ttlMs;

    TakeLiveRecord(String claimId, long ttlMs) {
      this.claimId = claimId;
      this.ttlMs = ttlMs;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null) {
        return null;
      }
      if (v.startsWith(TAKEN)) {
        int nl = v.indexOf('\n');
        String by = v.substring(TAKEN.length(), nl < 0 ? v.length() : nl);
        return claimId.equals(by) && nl >= 0 ? v.substring(nl + 1) : null;
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(TAKEN + claimId + "\n" + v, ttlMs, TimeUnit.MILLISECONDS);
      return v;
    }
  }

  /** Deletes a record of temporary tasks taken by {@code claimId}. */
  static final class ForgetTaken implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String claimId;

    ForgetTaken(String claimId) {
      this.claimId = claimId;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null || !v.startsWith(TAKEN + claimId + "\n")) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  /** Sets an entry to {@code value} (null removes it); answers the value it replaced. A supervisor's pause. */
  static final class SetValue implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;
    private final String value;

    SetValue(String value) {
      this.value = value;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String prior = entry.getValue();
      entry.setValue(value);
      return prior;
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
   * A key's binding: the task id while the task is live, {@code "<id> <endedAt>"} once it ended and the key is
   * held for its {@code uniqueForMs} ({@code endedAt} on the cluster clock: {@code TaskStore.holdKey}).
   */
  static String boundId(String binding) {
    int sp = binding.indexOf(' ');
    return sp < 0 ? binding : binding.substring(0, sp);
  }

  /** When the bound task ended (epoch ms), or 0 while it is live (or not known to have ended). */
  static long boundEndedAt(String binding) {
    int sp = binding.indexOf(' ');
    return sp < 0 ? 0 : Long.parseLong(binding.substring(sp + 1));
  }

  /**
   * The answer of {@link WriteOwned} when the record is a refused submit's tombstone: this prefix, then the node that
   * refused it.
   */
  static final String REFUSED_BY = "refused-by ";

  /** Whether a record is a refused submit's tombstone ({@link Withdraw}). */
  static boolean refused(JsonObject rec) {
    return TaskState.REFUSED.wire().equals(rec.getString("state"));
  }

  /**
   * Takes back the live record of a submit that could not be confirmed (its batch write failed, perhaps after
   * writing it): replaces it, if it is still {@code owner}'s and live, or writes in its place if there is none, a
   * tombstone ({@code tombstone}: state {@code refused}, kept {@code ttlMs}). A delete would not do: a member that was
   * sent the write may apply it on its own side of a split brain, and a deleted entry leaves nothing for that copy to
   * lose to at the merge ({@link RecordsMergePolicy}: a tombstone beats every live copy; campaign seed 1003). True
   * when the tombstone is there (written now or before), false when the record is no longer the submitter's to take
   * back (a survivor took it over, or it ended).
   */
  static final class Withdraw implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 2L;
    private final String owner;
    private final String tombstone;
    private final long ttlMs;

    Withdraw(String owner, String tombstone, long ttlMs) {
      this.owner = owner;
      this.tombstone = tombstone;
      this.ttlMs = ttlMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v != null) {
        JsonObject rec = new JsonObject(v);
        if (refused(rec)) {
          return true;
        }
        if (!owner.equals(rec.getString("node")) || !LIVE_STATES.contains(rec.getString("state"))) {
          return false;
        }
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(tombstone, ttlMs, TimeUnit.MILLISECONDS);
      return true;
    }
  }

  /** Binds an idempotency key to a task id unless it is bound: returns the binding already there, or null. */
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

  /** Moves a key from a task that ended (or was never registered) to a new one; false when someone else moved it first. */
  static final class RebindKey implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 2L;
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
      String v = entry.getValue();
      if (v == null || !boundId(v).equals(expected)) {
        return false;
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(id, ttlMs, TimeUnit.MILLISECONDS);
      return true;
    }
  }

  /** Keeps a finished task's key bound for {@code ttlMs} more, noting when the task ended. */
  static final class HoldKey implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String id;
    private final long endedAt;
    private final long ttlMs;

    HoldKey(String id, long endedAt, long ttlMs) {
      this.id = id;
      this.endedAt = endedAt;
      this.ttlMs = ttlMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null || !boundId(v).equals(id)) {
        return false;
      }
      ((ExtendedMapEntry<String, String>) entry).setValue(id + " " + endedAt, ttlMs, TimeUnit.MILLISECONDS);
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
      String v = entry.getValue();
      if (v == null || !boundId(v).equals(id)) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }
}
