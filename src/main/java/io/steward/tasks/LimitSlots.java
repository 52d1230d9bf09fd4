package io.steward.tasks;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The atomic steps on {@code steward.tasks.limits}: one entry per limited supervisor (or per supervisor and partition
 * value), JSON text {@code {"held": {slotId: {"n": nodeId, "t": acquiredAt}}, "starts": [t, ...]}}: the slots held
 * by running attempts across the cluster, and the start times inside the rate window. Each step runs where the entry
 * lives (and the same step on its backup) and is deterministic: the time comes from the caller (the cluster clock),
 * never from the member that runs it. An entry with no slot held expires when its rate window has passed, so a
 * partition value used once leaves nothing behind.
 */
final class LimitSlots {

  /** The map of cluster-wide limit slots. */
  static final String MAP = "steward.tasks.limits";

  private LimitSlots() {
  }

  /** The entry of a supervisor's limit, or of one value of its partition field. */
  static String key(String supervisor, String partition) {
    return partition == null ? supervisor : supervisor + "/" + partition;
  }

  /** The supervisor a key belongs to. */
  static String supervisorOf(String key) {
    int slash = key.indexOf('/');
    return slash < 0 ? key : key.substring(0, slash);
  }

  /**
   * Takes slots for {@code slotIds}, in order, while the limits allow: answers {@code [granted, retryAt]}, where the
   * first {@code granted} ids got a slot (an id already held counts as granted: Hazelcast may run a step again after a
   * member loss) and {@code retryAt} is, when the rate window stopped the rest, the cluster time at which its oldest
   * start leaves the window (0 when the concurrency limit stopped them: wait for a release).
   */
  static final class Acquire implements EntryProcessor<String, String, long[]> {
    private static final long serialVersionUID = 1L;
    private final String node;
    private final String[] slotIds;
    private final int limit;
    private final int rate;
    private final long periodMs;
    private final long now;

    Acquire(String node, String[] slotIds, int limit, int rate, long periodMs, long now) {
      this.node = node;
      this.slotIds = slotIds;
      this.limit = limit;
      this.rate = rate;
      this.periodMs = periodMs;
      this.now = now;
    }

    @Override
    public long[] process(Map.Entry<String, String> entry) {
      JsonObject state = parse(entry.getValue());
      JsonObject held = state.getJsonObject("held");
      JsonArray starts = pruned(state.getJsonArray("starts"), rate, periodMs, now);
      int granted = 0;
      long retryAt = 0;
      for (String id : slotIds) {
        if (held.containsKey(id)) {
          granted++;
          continue;
        }
        if (limit > 0 && held.size() >= limit) {
          break;
        }
        if (rate > 0 && starts.size() >= rate) {
          retryAt = starts.getLong(0) + periodMs;
          break;
        }
        if (limit > 0) {
          held.put(id, new JsonObject().put("n", node).put("t", now));
        }
        if (rate > 0) {
          starts.add(now);
        }
        granted++;
      }
      state.put("starts", starts);
      write(entry, state, periodMs);
      return new long[] {granted, retryAt};
    }
  }

  /** Gives one slot back (nothing if it is not held: released already, or reclaimed). Answers whether it was held. */
  static final class Release implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String slotId;
    private final long periodMs;

    Release(String slotId, long periodMs) {
      this.slotId = slotId;
      this.periodMs = periodMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (entry.getValue() == null) {
        return false;
      }
      JsonObject state = parse(entry.getValue());
      if (state.getJsonObject("held").remove(slotId) == null) {
        return false;
      }
      write(entry, state, periodMs);
      return true;
    }
  }

  /**
   * Frees the slots of nodes that are not cluster members ({@code live}), on the entries of {@code supervisor}: those
   * held by {@code departed}, at once (Hazelcast reported it gone), and those of any other absent node acquired before
   * {@code olderThan} (a sweep, in case a report was missed; a node that joined a moment ago may not be in every
   * member's list yet). Answers how many slots it freed.
   */
  static final class Reclaim implements EntryProcessor<String, String, Integer> {
    private static final long serialVersionUID = 1L;
    private final String supervisor;
    private final Set<String> live;
    private final String departed;
    private final long olderThan;
    private final long periodMs;

    Reclaim(String supervisor, Set<String> live, String departed, long olderThan, long periodMs) {
      this.supervisor = supervisor;
      this.live = live;
      this.departed = departed;
      this.olderThan = olderThan;
      this.periodMs = periodMs;
    }

    @Override
    public Integer process(Map.Entry<String, String> entry) {
      if (entry.getValue() == null || !supervisor.equals(supervisorOf(entry.getKey()))) {
        return 0;
      }
      JsonObject state = parse(entry.getValue());
      int freed = 0;
      for (Iterator<Map.Entry<String, Object>> it = state.getJsonObject("held").iterator(); it.hasNext(); ) {
        JsonObject slot = (JsonObject) it.next().getValue();
        String node = slot.getString("n");
        if (node.equals(departed) || (!live.contains(node) && slot.getLong("t") < olderThan)) {
          it.remove();
          freed++;
        }
      }
      if (freed > 0) {
        write(entry, state, periodMs);
      }
      return freed;
    }
  }

  private static JsonObject parse(String v) {
    if (v == null) {
      return new JsonObject().put("held", new JsonObject()).put("starts", new JsonArray());
    }
    return new JsonObject(v);
  }

  /** The start times still inside the window ending at {@code now}; empty without a rate limit. */
  private static JsonArray pruned(JsonArray starts, int rate, long periodMs, long now) {
    if (rate == 0 || starts == null) {
      return new JsonArray();
    }
    JsonArray kept = new JsonArray();
    for (Object t : starts) {
      if (((Number) t).longValue() > now - periodMs) {
        kept.add(t);
      }
    }
    return kept;
  }

  /** Writes the state back: removed when empty; kept without expiry while a slot is held, else for one window. */
  @SuppressWarnings("unchecked")
  private static void write(Map.Entry<String, String> entry, JsonObject state, long periodMs) {
    boolean noSlots = state.getJsonObject("held").isEmpty();
    if (noSlots && state.getJsonArray("starts").isEmpty()) {
      entry.setValue(null);
    } else if (noSlots) {
      ((ExtendedMapEntry<String, String>) entry).setValue(state.encode(), Math.max(1, periodMs), TimeUnit.MILLISECONDS);
    } else {
      ((ExtendedMapEntry<String, String>) entry).setValue(state.encode(), 0, TimeUnit.MILLISECONDS);
    }
  }
}
