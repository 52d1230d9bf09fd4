package io.steward.tasks;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import io.steward.bus.StewardException;
import io.steward.spi.HazelcastInternals;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Which supervisors are paused, cluster-wide: an entry per paused supervisor in the Hazelcast map
 * {@value #MAP} ({@code {pausedAt, node}}, JSON text), which every tasks node listens to. A node reads the map as it
 * starts (so one that joins or restarts while a supervisor is paused starts nothing of it), and follows it through
 * the map's events; one cut off from the cluster keeps the last state it knew until the sides merge. A paused
 * supervisor accepts submits into its queue and starts nothing ({@link Supervisor#pause}).
 */
final class Pauses {

  static final String MAP = "steward.tasks.paused";
  private static final Logger LOG = LoggerFactory.getLogger(Pauses.class);

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final Map<String, Supervisor> supervisors;
  private final Consumer<Supervisor> resumed;
  private final IMap<String, String> map;
  /** Supervisors whose entry changed since the listener was added: the first read must not undo that. Guarded by this. */
  private final Set<String> heard = new HashSet<>();
  private UUID listener;

  /** @param resumed told (any thread) when a paused supervisor here is resumed: its durable queue must move again */
  Pauses(Vertx vertx, Context context, HazelcastInstance hz, String nodeId, Map<String, Supervisor> supervisors,
         Consumer<Supervisor> resumed) {
    this.vertx = vertx;
    this.context = context;
    this.nodeId = nodeId;
    this.supervisors = supervisors;
    this.resumed = resumed;
    this.map = hz.getMap(MAP);
  }

  /**
   * Listens to the map, then reads it: completes once this node knows which of its supervisors are paused. Reads the
   * whole (small) map rather than {@code getAll} of this node's supervisors: with a store, {@code getAll} asks the
   * database for every supervisor not paused (a miss), and waits for it during an outage; the entries are in memory
   * once the store's initial load is done, which the node waits for before its modules start.
   */
  Future<Void> start() {
    return vertx.executeBlocking(() -> {
      listener = map.addEntryListener(new Listener(), true);
      Map<String, String> now = new HashMap<>();
      try {
        map.entrySet().forEach(e -> now.put(e.getKey(), e.getValue()));
      } catch (RuntimeException e) {
        // Refused below cluster.minimumSize: the node retries the module's start with a new listener.
        map.removeEntryListener(listener);
        listener = null;
        throw e;
      }
      synchronized (this) {
        for (String name : supervisors.keySet()) {
          if (!heard.contains(name)) {
            apply(name, now.get(name));
          }
        }
      }
      return null;
    });
  }

  Future<Void> stop() {
    UUID id = listener;
    if (id == null) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      map.removeEntryListener(id);
      return null;
    });
  }

  /** Pauses {@code name} cluster-wide (idempotent: a paused one keeps its first pausedAt); 404 if unknown here. */
  Future<JsonObject> pause(String name, long now) {
    Supervisor sup = known(name);
    return Future.fromCompletionStage(map.getAsync(name), context).compose(old -> {
      if (old != null) {
        heard(name, old);
        return Future.succeededFuture(status(sup).put("changed", false));
      }
      String entry = new JsonObject().put("pausedAt", now).put("node", nodeId).encode();
      // Confirmed: a pause only this entry's owner held (its backup cut off) would be gone once the others promote
      // the backup (UnbackedTaskWritesTest); a 504 then says the outcome is unknown.
      return Future.fromCompletionStage(HazelcastInternals.submitToKeyConfirmed(map, name, new Processors.SetValue(entry)), context)
        .map(prior -> {
          heard(name, entry);
          LOG.info("Supervisor '{}' paused cluster-wide from node {}: its tasks are queued and none starts until it is "
            + "resumed (steward.tasks.resume, POST /tasks/supervisors/{}/resume).", name, nodeId, name);
          return status(sup).put("changed", prior == null);
        });
    });
  }

  /** Resumes {@code name} cluster-wide (idempotent); 404 if unknown here. */
  Future<JsonObject> resume(String name) {
    Supervisor sup = known(name);
    return Future.fromCompletionStage(HazelcastInternals.submitToKeyConfirmed(map, name, new Processors.SetValue(null)), context)
      .map(prior -> {
        heard(name, null);
        if (prior != null) {
          LOG.info("Supervisor '{}' resumed cluster-wide from node {}: its queue starts again.", name, nodeId);
        }
        return status(sup).put("changed", prior != null);
      });
  }

  /** Reads {@code name}'s entry again (another node just changed it), then answers this node's view. */
  Future<JsonObject> refresh(String name) {
    Supervisor sup = known(name);
    return Future.fromCompletionStage(map.getAsync(name), context).map(entry -> {
      heard(name, entry);
      return status(sup);
    });
  }

  private Supervisor known(String name) {
    Supervisor sup = supervisors.get(name);
    if (sup == null) {
      throw StewardException.notFound("supervisor: no supervisor '" + name + "' (configured: "
        + String.join(", ", supervisors.keySet()) + "; see tasks.supervisors)");
    }
    return sup;
  }

  static JsonObject status(Supervisor sup) {
    return sup.stats().put("supervisor", sup.name());
  }

  private synchronized void heard(String name, String entry) {
    heard.add(name);
    apply(name, entry);
  }

  /** Under the monitor. A supervisor not configured here is none of this node's business. */
  private void apply(String name, String entry) {
    Supervisor sup = supervisors.get(name);
    if (sup == null) {
      return;
    }
    if (entry != null) {
      long at;
      try {
        at = new JsonObject(entry).getLong("pausedAt", 1L);
      } catch (RuntimeException e) {
        at = 1L; // paused all the same: an entry is a pause
      }
      sup.pause(at);
    } else if (sup.resume()) {
      resumed.accept(sup);
    }
  }

  /** The map's events, on Hazelcast's event threads (in order per supervisor). */
  private final class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
    EntryRemovedListener<String, String>, EntryMergedListener<String, String>, EntryExpiredListener<String, String>,
    EntryEvictedListener<String, String>, MapClearedListener {

    @Override
    public void entryAdded(EntryEvent<String, String> e) {
      heard(e.getKey(), e.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> e) {
      heard(e.getKey(), e.getValue());
    }

    @Override
    public void entryMerged(EntryEvent<String, String> e) {
      heard(e.getKey(), e.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> e) {
      heard(e.getKey(), null);
    }

    @Override
    public void entryExpired(EntryEvent<String, String> e) {
      heard(e.getKey(), null);
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> e) {
      heard(e.getKey(), null);
    }

    @Override
    public void mapCleared(MapEvent e) {
      supervisors.keySet().forEach(name -> heard(name, null));
    }
  }
}
