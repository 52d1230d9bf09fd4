package io.steward.schedule;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import io.steward.bus.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The jobs of the cluster: the map {@code steward.schedule.jobs} (one synchronous backup, so it survives the loss
 * of any one node) and this node's replica of it, kept current by an entry listener and reloaded after a
 * split-brain merge. Changes are passed on to the schedulers ({@link #subscribe}); a change never goes back in
 * version.
 */
final class JobStore {

  static final String JOBS = "steward.schedule.jobs";
  private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
  private static final RateLimitedLog UNREADABLE = new RateLimitedLog(LOG, 60_000);

  private final Vertx vertx;
  private final IMap<String, String> map;
  private final ConcurrentSkipListMap<String, JobRecord> replica = new ConcurrentSkipListMap<>();
  private final CopyOnWriteArrayList<BiConsumer<String, JobRecord>> subscribers = new CopyOnWriteArrayList<>();
  private UUID listenerId;

  JobStore(Vertx vertx, IMap<String, String> map) {
    this.vertx = vertx;
    this.map = map;
  }

  IMap<String, String> map() {
    return map;
  }

  /** Starts listening, then loads what is there. */
  Future<Void> start() {
    // Registering waits for every member: on a worker, never on the event loop.
    return vertx.executeBlocking(() -> map.addEntryListener(new Listener(), true), false)
      .compose(id -> {
        listenerId = id;
        return reload();
      });
  }

  /** Stops listening (on a worker: removing a listener waits for every member). Never fails. */
  Future<Void> stop() {
    UUID id = listenerId;
    if (id == null) {
      return Future.succeededFuture();
    }
    return vertx.<Void>executeBlocking(() -> {
      try {
        map.removeEntryListener(id);
      } catch (RuntimeException e) {
        LOG.debug("Could not remove the jobs listener while leaving: {}", e.getMessage());
      }
      return null;
    }, false);
  }

  /** Loads every stored job; forgets local jobs the map no longer has (after a merge). */
  Future<Void> reload() {
    return vertx.executeBlocking(() -> Map.copyOf(map), false).map(all -> {
      Set<String> present = new HashSet<>();
      all.forEach((name, stored) -> {
        present.add(name);
        apply(name, stored);
      });
      for (String name : replica.keySet()) {
        if (!present.contains(name)) {
          removed(name);
        }
      }
      return null;
    });
  }

  /** Receives (name, record) for each change, record null for a removal. */
  void subscribe(BiConsumer<String, JobRecord> subscriber) {
    subscribers.add(subscriber);
  }

  void unsubscribe(BiConsumer<String, JobRecord> subscriber) {
    subscribers.remove(subscriber);
  }

  /** This node's copy, sorted by name. */
  NavigableMap<String, JobRecord> replica() {
    return replica;
  }

  /** Applies a stored value read from the map (event, reload or a write's answer); returns its record. */
  JobRecord apply(String name, String stored) {
    JobRecord rec;
    try {
      rec = JobRecord.fromStored(stored);
    } catch (RuntimeException e) {
      UNREADABLE.warn(name, "Job '" + name + "' in " + JOBS + " cannot be read by this node (" + e.getMessage()
        + "); it is not scheduled here. A node with a newer Steward may have written it: upgrade this node, or "
        + "put the job again.");
      return null;
    }
    JobRecord[] changed = new JobRecord[1];
    replica.compute(name, (k, current) -> {
      if (current != null && current.version() >= rec.version()) {
        return current;
      }
      changed[0] = rec;
      return rec;
    });
    if (changed[0] != null) {
      subscribers.forEach(s -> s.accept(name, rec));
    }
    return rec;
  }

  void removed(String name) {
    if (replica.remove(name) != null) {
      subscribers.forEach(s -> s.accept(name, null));
    }
  }

  private final class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
    EntryRemovedListener<String, String>, EntryEvictedListener<String, String>, EntryMergedListener<String, String>,
    MapClearedListener {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      apply(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      apply(event.getKey(), event.getValue());
    }

    @Override
    public void entryMerged(EntryEvent<String, String> event) {
      if (event.getValue() != null) {
        apply(event.getKey(), event.getValue());
      }
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      removed(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
      removed(event.getKey());
    }

    @Override
    public void mapCleared(MapEvent event) {
      replica.keySet().forEach(JobStore.this::removed);
    }
  }
}
