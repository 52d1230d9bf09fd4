package io.steward.schedule;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleService;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import io.steward.observe.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.ToIntFunction;

/**
 * The jobs of the cluster: the map {@code steward.schedule.jobs} (one synchronous backup, so it survives the loss
 * of any one node) and this node's replica of it, kept current by an entry listener and reloaded after a
 * split-brain merge. Changes are passed on to the schedulers ({@link #subscribe}); a change never goes back in
 * version. A deleted job stays in the map as a tombstone ({@link JobRecord#tombstone}) until purged, so a delete
 * survives a split brain ({@link JobsMergePolicy}); readers treat it as absent.
 */
final class JobStore {

  static final String JOBS = "steward.schedule.jobs";
  /** How long partition-lost events are gathered before they are handled together. */
  private static final long LOSS_BATCH_MS = 200;
  /** How often a read of lost jobs that was refused is tried again. */
  private static final long REREAD_MS = 2_000;
  private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
  private static final RateLimitedLog UNREADABLE = new RateLimitedLog(LOG, 60_000);

  private final Vertx vertx;
  private final IMap<String, String> map;
  private final ConcurrentSkipListMap<String, JobRecord> replica = new ConcurrentSkipListMap<>();
  /** Deleted jobs this node knows of: name to the tombstone's (version, deletedAt), until purged. */
  private final ConcurrentHashMap<String, long[]> tombstones = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<BiConsumer<String, JobRecord>> subscribers = new CopyOnWriteArrayList<>();
  private final LifecycleService lifecycle;
  /** The partition of a job's key; null: partition losses are not followed (tests of the listener alone). */
  private final ToIntFunction<String> partitionOf;
  /** Partitions of the jobs map reported lost and not yet handled ({@link #partitionLost}). */
  private final Set<Integer> lostPartitions = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean lossPending = new AtomicBoolean();
  private volatile UUID listenerId;
  private UUID lifecycleId;
  private UUID partitionLostId;

  JobStore(Vertx vertx, IMap<String, String> map, LifecycleService lifecycle) {
    this(vertx, map, lifecycle, null);
  }

  JobStore(Vertx vertx, IMap<String, String> map, LifecycleService lifecycle, ToIntFunction<String> partitionOf) {
    this.vertx = vertx;
    this.map = map;
    this.lifecycle = lifecycle;
    this.partitionOf = partitionOf;
  }

  IMap<String, String> map() {
    return map;
  }

  /** Starts listening, then loads what is there. */
  Future<Void> start() {
    // Registering waits for every member: on a worker, never on the event loop.
    return vertx.executeBlocking(() -> {
      if (partitionOf != null) {
        partitionLostId = map.addPartitionLostListener(event -> partitionLost(event.getPartitionId()));
      }
      return map.addEntryListener(new Listener(), true);
    }, false)
      .compose(id -> {
        listenerId = id;
        // After a merge this node's side may have lost entries to the other side's copies without an event (the
        // other side's tombstone of a job deleted there, kept over the job this side had): read the map again.
        lifecycleId = lifecycle.addLifecycleListener(event -> {
          if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
            reload().onFailure(err -> LOG.warn("Could not reload the jobs after a split-brain merge ({}); this node may "
              + "fire a job deleted on the other side until the next change of it. Restart the node if it does.",
              err.toString()));
          }
        });
        // Refused below cluster.minimumSize: the node retries the module's start, so leave no listener behind.
        return reload().recover(err -> stop().transform(v -> Future.<Void>failedFuture(err)));
      });
  }

  /** Stops listening (on a worker: removing a listener waits for every member). Never fails. */
  Future<Void> stop() {
    UUID id = listenerId;
    listenerId = null;
    UUID lifecycleListener = lifecycleId;
    UUID lostListener = partitionLostId;
    if (lifecycleListener != null) {
      try {
        lifecycle.removeLifecycleListener(lifecycleListener);
      } catch (RuntimeException e) {
        LOG.debug("Could not remove the jobs' lifecycle listener while leaving: {}", e.getMessage());
      }
    }
    if (id == null) {
      return Future.succeededFuture();
    }
    return vertx.<Void>executeBlocking(() -> {
      try {
        map.removeEntryListener(id);
        if (lostListener != null) {
          map.removePartitionLostListener(lostListener);
        }
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

  /**
   * A partition of the jobs map lost its owner and every backup at once in this node's cluster (more members lost at
   * once than backups, or the other side of a split holds them): the map has no copy of its jobs here any more, but
   * this node's replica still had them, and fired them on, although the cluster answered "no such job", and a job the
   * other side deleted fired again as soon as the sides were one, before the merge brought its tombstone (campaign
   * seed 2051: four nodes, two equal halves with cluster.minimumSize 3). Its jobs leave the replica (the schedulers
   * stop them; a delete this node knew of is kept), then are read again from the map, which has them back when a
   * store holds them (loaded from the database) or once a merge brings the other side's copies (each then arrives
   * as an entry event too). A read refused (this side below cluster.minimumSize) is tried again every
   * {@value #REREAD_MS} ms. Partition losses come in bursts, one event per partition: handled together.
   */
  private void partitionLost(int partition) {
    lostPartitions.add(partition);
    if (lossPending.compareAndSet(false, true)) {
      vertx.setTimer(LOSS_BATCH_MS, t -> {
        lossPending.set(false);
        Set<Integer> lost = new HashSet<>(lostPartitions);
        lostPartitions.removeAll(lost);
        List<String> gone = new ArrayList<>();
        for (String name : replica.keySet()) {
          if (lost.contains(partitionOf.applyAsInt(name)) && replica.remove(name) != null) {
            gone.add(name);
            subscribers.forEach(sub -> sub.accept(name, null));
          }
        }
        if (!gone.isEmpty()) {
          LOG.warn("{} job(s) of this node's schedule were in partitions of {} that this cluster lost (owner and every "
            + "backup at once: see the WARN 'Partitions lost'); they are stopped here until the map has them again (a "
            + "store loads them, a split-brain merge brings them back). If they do not come back (no store, and no "
            + "other side to merge with), put them again: {}", gone.size(), JOBS,
            gone.size() <= 10 ? gone : gone.subList(0, 10) + " and " + (gone.size() - 10) + " more");
          reread(Set.copyOf(gone));
        }
      });
    }
  }

  /** Reads the jobs again from the map (the store loads what it holds); tries again while refused. */
  private void reread(Set<String> names) {
    if (listenerId == null) {
      return; // stopped
    }
    vertx.executeBlocking(() -> map.getAll(names), false).onComplete(ar -> {
      if (ar.succeeded()) {
        ar.result().forEach((name, stored) -> {
          if (stored != null) {
            apply(name, stored);
          }
        });
      } else {
        LOG.debug("Could not read the jobs of lost partitions again ({}); trying again in {} ms", ar.cause().toString(), REREAD_MS);
        vertx.setTimer(REREAD_MS, t -> reread(names));
      }
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

  /**
   * Applies a stored value read from the map (event, reload or a write's answer); returns its record, or null for
   * a tombstone (the job is deleted) or unreadable text.
   */
  JobRecord apply(String name, String stored) {
    JobRecord rec;
    try {
      if (JobRecord.isTombstone(stored)) {
        buried(name, JobRecord.storedVersion(stored), JobRecord.deletedAt(stored));
        return null;
      }
      rec = JobRecord.fromStored(stored);
    } catch (RuntimeException e) {
      UNREADABLE.warn(name, "Job '" + name + "' in " + JOBS + " cannot be read by this node (" + e.getMessage()
        + "); it is not scheduled here. A node with a newer Steward may have written it: upgrade this node, or "
        + "put the job again.");
      return null;
    }
    long[] tombstone = tombstones.get(name);
    if (tombstone != null) {
      if (tombstone[0] >= rec.version()) {
        return rec; // an older copy of a job deleted since
      }
      tombstones.remove(name, tombstone);
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

  /** The job was deleted: a tombstone of {@code version} replaces any older copy here. */
  void buried(String name, long version, long deletedAt) {
    tombstones.merge(name, new long[] {version, deletedAt}, (a, b) -> a[0] >= b[0] ? a : b);
    JobRecord[] gone = new JobRecord[1];
    replica.computeIfPresent(name, (k, current) -> {
      if (current.version() > version) {
        return current;
      }
      gone[0] = current;
      return null;
    });
    if (gone[0] != null) {
      subscribers.forEach(s -> s.accept(name, null));
    }
  }

  /** The entry is gone from the map (removed, evicted, or a tombstone purged). */
  void removed(String name) {
    tombstones.remove(name);
    if (replica.remove(name) != null) {
      subscribers.forEach(s -> s.accept(name, null));
    }
  }

  /**
   * Removes from the map the tombstones of deletes made at or before {@code cutoff} whose key this member owns
   * (each member purges its own partitions; a tombstone that reappears later is purged again), and tells
   * {@code purged} (name, tombstone's version) of each one that went. Returns how many were asked to go.
   */
  int purge(long cutoff, java.util.function.Predicate<String> ownedHere, BiConsumer<String, Long> purged) {
    int asked = 0;
    for (Map.Entry<String, long[]> e : tombstones.entrySet()) {
      if (e.getValue()[1] <= cutoff && ownedHere.test(e.getKey())) {
        asked++;
        String name = e.getKey();
        long version = e.getValue()[0];
        map.submitToKey(name, JobUpdate.purge(cutoff)).whenComplete((r, err) -> {
          if (err != null) {
            LOG.debug("Could not purge the tombstone of job '{}' (tried again later): {}", name, err.toString());
          } else if (r != null) {
            purged.accept(name, version);
          }
        });
      }
    }
    return asked;
  }

  /** Deleted jobs whose tombstone this node holds (for tests and metrics). */
  int tombstones() {
    return tombstones.size();
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
