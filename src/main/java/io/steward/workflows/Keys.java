package io.steward.workflows;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Workflow idempotency keys: the Hazelcast map {@value #MAP}, key to {@code {id, at}} (the workflow bound to it, and
 * when it was bound, on the cluster clock). Bound as durable task keys are: an entry processor whose write counts only
 * once the synchronous backup acknowledged it ({@link HazelcastInternals#submitToKeyConfirmed}), so a binding survives
 * the death of the member that holds it. A binding is kept while its workflow runs, and
 * {@code workflows.finishedTtlMs} after it ended (as its record is); with a store it is written there too.
 */
final class Keys {

  static final String MAP = "steward.workflows.keys";

  /** A key's binding: the workflow it names, and when it was bound (cluster time). */
  record Binding(String id, long at) {
    static Binding parse(String json) {
      JsonObject o = new JsonObject(json);
      return new Binding(o.getString("id"), o.getLong("at", 0L));
    }

    String encode() {
      return new JsonObject().put("id", id).put("at", at).encode();
    }
  }

  private final Vertx vertx;
  private final IMap<String, String> map;

  Keys(Vertx vertx, IMap<String, String> map) {
    this.vertx = vertx;
    this.map = map;
  }

  /**
   * Binds {@code key} to workflow {@code id} when it is free, or bound to {@code replacing} (non-null: a workflow
   * found gone); answers the binding the key has afterwards (this one when it was bound). Fails when the backup did
   * not confirm it.
   */
  Future<Binding> bind(String key, String id, long at, String replacing) {
    return Runs.call(vertx, () -> HazelcastInternals.submitToKeyConfirmed(map, key, new Bind(id, at, replacing)))
      .map(Binding::parse);
  }

  /**
   * Sets how long the binding of {@code key} to {@code id} is kept: {@code ttlMs} from now, or (0) as long as its
   * workflow runs. Nothing when the key is bound to another workflow.
   */
  Future<Boolean> hold(String key, String id, long ttlMs) {
    return Runs.call(vertx, () -> map.submitToKey(key, new Hold(id, ttlMs)));
  }

  /** Frees {@code key} if it is still bound to {@code id} (a submit that wrote nothing). */
  void unbind(String key, String id) {
    hold(key, id, -1);
  }

  /**
   * Binds a free key, or one bound to {@code replacing}; answers the binding it leaves. The backup gets the binding
   * the owner has afterwards ({@link Mirror}), also when it was there already: a backup that missed it is repaired
   * before a submit is answered with it.
   */
  static final class Bind implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 2L;
    private final String id;
    private final long at;
    private final String replacing;
    private transient Mirror backup;

    Bind(String id, long at, String replacing) {
      this.id = id;
      this.at = at;
      this.replacing = replacing;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v != null) {
        String bound = Binding.parse(v).id();
        if (!bound.equals(replacing)) {
          backup = new Mirror(v, Mirror.KEEP_EXPIRY);
          return v; // another workflow's, or this very binding run again by Hazelcast after a member left mid-call
        }
      }
      String mine = new Binding(id, at).encode();
      ((ExtendedMapEntry<String, String>) entry).setValue(mine, 0, TimeUnit.MILLISECONDS);
      backup = new Mirror(mine, 0);
      return mine;
    }

    @Override
    public EntryProcessor<String, String, String> getBackupProcessor() {
      return backup == null ? null : cast(backup);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static <R> EntryProcessor<String, String, R> cast(Mirror m) {
    return (EntryProcessor) m;
  }

  /** The binding's expiry ({@code ttlMs} 0: none), or (negative) its removal, if the key is bound to {@code id}. */
  static final class Hold implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 2L;
    private final String id;
    private final long ttlMs;
    private transient Mirror backup;

    Hold(String id, long ttlMs) {
      this.id = id;
      this.ttlMs = ttlMs;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v == null || !Binding.parse(v).id().equals(id)) {
        return false;
      }
      if (ttlMs < 0) {
        entry.setValue(null);
        backup = new Mirror(null, 0);
      } else {
        ((ExtendedMapEntry<String, String>) entry).setValue(v, ttlMs, TimeUnit.MILLISECONDS);
        backup = new Mirror(v, ttlMs);
      }
      return true;
    }

    @Override
    public EntryProcessor<String, String, Boolean> getBackupProcessor() {
      return backup == null ? null : cast(backup);
    }
  }
}
